"""Accounts: register, log in and out, reset a password by emailed link, claim earlier gifts."""

import re

import sqlalchemy as sa

from donate.extensions import db
from donate.models import Designation, OutboxMessage, User
from donate.services.access.accounts import create_user, password_reset_token


def outbox(kind: str | None = None) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return db.session.scalars(query).all()


def link_in(message: OutboxMessage) -> str:
    """Return the path of the first link in an email."""
    url = re.search(r"https?://\S+", message.body).group(0)
    return re.sub(r"^https?://[^/]+", "", url)


def register(client, email="siti@example.com", password="rahasia123", **extra):
    return client.post("/auth/register", data={"name": "Siti", "email": email, "password": password,
                                               "confirm": extra.pop("confirm", password), **extra})


def test_register_creates_a_donor_logs_in_and_sends_a_confirmation(client):
    response = register(client, email=" Siti@Example.com ")
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User))
    assert user.email == "siti@example.com" and user.name == "Siti" and user.role.value == "donor"
    assert user.password_hash != "rahasia123" and user.check_password("rahasia123")
    (mail,) = outbox("confirm_email")
    assert mail.to_email == "siti@example.com" and "/auth/confirm/" in mail.body
    page = client.get("/").get_data(as_text=True)
    assert "Keluar" in page  # the "Log out" button, in Indonesian


def test_register_refuses_a_taken_email_short_password_and_mismatch(client):
    create_user("siti@example.com", "rahasia123")
    db.session.commit()
    html = register(client, email="SITI@example.com").get_data(as_text=True)
    assert "reset" in html.lower() or "atur ulang" in html.lower()
    assert register(client, email="a@example.com", password="pendek").status_code == 200
    assert register(client, email="b@example.com", confirm="lainlain123").status_code == 200
    assert register(client, email="bukan-email").status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_login_and_logout(client):
    create_user("budi@example.com", "rahasia123")
    db.session.commit()
    bad = client.post("/auth/login", data={"email": "budi@example.com", "password": "salah12345"})
    assert bad.status_code == 200 and "Masuk" in bad.get_data(as_text=True)
    unknown = client.post("/auth/login", data={"email": "nobody@example.com", "password": "rahasia123"})
    assert unknown.get_data(as_text=True).count("role=\"alert\"") == bad.get_data(as_text=True).count("role=\"alert\"")
    ok = client.post("/auth/login?next=/campaigns/x", data={"email": "BUDI@example.com", "password": "rahasia123"})
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/campaigns/x")
    assert client.post("/auth/logout").status_code == 302
    assert "Keluar" not in client.get("/").get_data(as_text=True)


def test_login_ignores_an_offsite_next(client):
    create_user("budi@example.com", "rahasia123")
    db.session.commit()
    response = client.post("/auth/login?next=//evil.example/x",
                           data={"email": "budi@example.com", "password": "rahasia123"})
    assert "evil" not in response.headers["Location"]


def test_password_reset_by_emailed_link_works_once(client):
    user = create_user("ani@example.com", "lama-sekali")
    db.session.commit()
    response = client.post("/auth/forgot", data={"email": "ani@example.com"})
    assert response.status_code == 302
    (mail,) = outbox("password_reset")
    path = link_in(mail)
    assert path.startswith("/auth/reset/")
    response = client.post(path, data={"password": "baru-sekali", "confirm": "baru-sekali"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.check_password("baru-sekali")
    client.post("/auth/logout")
    # The link dies with the password it replaced.
    again = client.post(path, data={"password": "ketiga-kali", "confirm": "ketiga-kali"})
    assert again.headers["Location"].endswith("/auth/forgot")
    db.session.refresh(user)
    assert user.check_password("baru-sekali")


def test_forgot_password_says_the_same_for_unknown_emails(client):
    known = create_user("ani@example.com", "lama-sekali")
    db.session.commit()
    a = client.post("/auth/forgot", data={"email": "ani@example.com"}, follow_redirects=True)
    b = client.post("/auth/forgot", data={"email": "nobody@example.com"}, follow_redirects=True)
    assert a.status_code == b.status_code == 200
    flash = re.compile(r'<p class="flash"[^>]*>(.*?)</p>')
    assert flash.findall(a.get_data(as_text=True)) == flash.findall(b.get_data(as_text=True))
    assert [m.to_email for m in outbox()] == [known.email]


def test_forged_or_expired_reset_token_is_refused(app, client):
    user = create_user("ani@example.com", "lama-sekali")
    db.session.commit()
    token = password_reset_token(user)
    response = client.post(f"/auth/reset/{token}x", data={"password": "baru-sekali", "confirm": "baru-sekali"})
    assert response.headers["Location"].endswith("/auth/forgot")
    app.config["SECRET_KEY"] = "another-key"
    response = client.post(f"/auth/reset/{token}", data={"password": "baru-sekali", "confirm": "baru-sekali"})
    assert response.headers["Location"].endswith("/auth/forgot")


def test_gifts_given_by_email_are_claimed_once_the_address_is_confirmed(client, make):
    campaign = make.campaign()
    earlier = make.paid_gift(campaign, 50_000, donor_email="Rina@Example.com", donor_name="Rina")
    other = make.paid_gift(campaign, 50_000, donor_email="other@example.com")
    db.session.commit()
    register(client, email="rina@example.com")
    db.session.refresh(earlier)
    assert earlier.donor_id is None  # not before the address is proven
    (mail,) = outbox("confirm_email")
    response = client.get(link_in(mail))
    assert response.status_code == 302
    db.session.refresh(earlier)
    db.session.refresh(other)
    user = db.session.scalar(sa.select(User))
    assert earlier.donor_id == user.id and other.donor_id is None


def test_a_reset_link_also_proves_the_address_and_claims_gifts(client, make):
    campaign = make.campaign()
    user = create_user("rina@example.com", "lama-sekali")
    gift = make.paid_gift(campaign, 16_800, designation=Designation.zakat, donor_email="rina@example.com")
    db.session.commit()
    client.post("/auth/forgot", data={"email": "rina@example.com"})
    client.post(link_in(outbox("password_reset")[0]), data={"password": "baru-sekali", "confirm": "baru-sekali"})
    db.session.refresh(gift)
    assert gift.donor_id == user.id


def test_login_page_in_english(app, client):
    with app.app_context():
        html = client.get("/auth/login?lang=en").get_data(as_text=True)
    assert "Forgot your password?" in html and '<html lang="en">' in html
