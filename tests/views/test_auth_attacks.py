"""Attacks on accounts found from outside: login CSRF by confirmation link, surviving sessions, open redirects."""

import pytest
import sqlalchemy as sa

from donate.extensions import db
from donate.models import User
from donate.services.access.accounts import create_user
from tests.views.test_auth import link_in, outbox, register


def test_a_confirmation_link_proves_the_address_and_logs_nobody_in(app, client, make):
    campaign = make.campaign()
    register(client, email="attacker@example.com")
    (mail,) = outbox("confirm_email")
    link = link_in(mail)
    victim = app.test_client()  # the victim opens the attacker's link in their own browser

    response = victim.get(link)
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/login")
    assert victim.get("/donor/").status_code == 302  # not logged in as the attacker
    attacker = db.session.scalar(sa.select(User))
    assert attacker.email_confirmed_at is not None

    # Whatever the victim gives next is given logged out, so it lands in nobody's account.
    gift = make.paid_gift(campaign, 50_000, donor_email="victim@example.com")
    db.session.commit()
    assert gift.donor_id is None


def test_a_confirmation_link_works_once(app, client):
    register(client, email="rina@example.com")
    (mail,) = outbox("confirm_email")
    link = link_in(mail)
    assert client.get(link).status_code == 302
    again = client.get(link + "?lang=en", follow_redirects=True).get_data(as_text=True)
    assert "invalid or has expired" in again


def _session_cookie(client) -> str:
    return client.get_cookie("session", domain="lindungi.test").value


def _logged_in(app, cookie: str) -> bool:
    """Return whether a browser holding ``cookie`` (say, a copy an attacker captured) opens the donor page."""
    other = app.test_client()
    other.set_cookie("session", cookie, domain="lindungi.test")
    return other.get("/donor/").status_code == 200


def _log_in(client, email="budi@example.com", password="rahasia123"):
    response = client.post("/auth/login", data={"email": email, "password": password})
    assert response.status_code == 302


def test_logout_ends_every_session_of_the_account(app, client):
    create_user("budi@example.com", "rahasia123")
    db.session.commit()
    _log_in(client)
    captured = _session_cookie(client)
    elsewhere = app.test_client()
    _log_in(elsewhere)
    assert _logged_in(app, captured)

    client.post("/auth/logout")
    assert not _logged_in(app, captured)
    assert elsewhere.get("/donor/").status_code == 302  # the other device is logged out too


def test_a_password_reset_ends_every_session(app, client):
    user = create_user("budi@example.com", "rahasia123")
    db.session.commit()
    _log_in(client)
    captured = _session_cookie(client)
    stranger = app.test_client()
    stranger.post("/auth/forgot", data={"email": "budi@example.com"})
    reset_link = link_in(outbox("password_reset")[-1])
    assert stranger.post(reset_link, data={"password": "baru-sekali", "confirm": "baru-sekali"}).status_code == 302
    assert not _logged_in(app, captured)
    assert stranger.get("/donor/").status_code == 200  # the one who set the password is logged in
    db.session.refresh(user)
    user.set_password("changed-again")  # any password change, e.g. by an administrator
    db.session.commit()
    assert stranger.get("/donor/").status_code == 302


def test_production_cookies_are_secure_httponly_and_lax(tmp_path):
    from donate import create_app

    app = create_app({"ENV": "production", "INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "k",
                      "ENCRYPTION_KEY": "k", "PAYMENT_PROVIDER": "stripe", "STRIPE_SECRET_KEY": "sk_test_x",
                      "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"})
    response = app.test_client().get("/auth/login?lang=en")  # choosing a language opens a session
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize("target", [
    "/%09/evil.example", "/%0A/evil.example", "/%0D/evil.example", "//evil.example", "/\\evil.example",
    "/%5Cevil.example", "https://evil.example/", "/%20/evil.example", "%2F%2Fevil.example",
])
def test_login_and_register_follow_only_same_site_paths(client, target):
    create_user("budi@example.com", "rahasia123")
    db.session.commit()
    response = client.post(f"/auth/login?next={target}", data={"email": "budi@example.com", "password": "rahasia123"})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//")
    assert "evil.example" not in location
    client.post("/auth/logout")
    response = client.post(f"/auth/register?next={target}", data={
        "email": "new@example.com", "password": "rahasia123", "confirm": "rahasia123"})
    assert response.status_code == 302 and "evil.example" not in response.headers["Location"]


def test_login_follows_a_local_next(client):
    create_user("budi@example.com", "rahasia123")
    db.session.commit()
    response = client.post("/auth/login?next=/campaigns/x%3Fa%3Db",
                           data={"email": "budi@example.com", "password": "rahasia123"})
    assert response.headers["Location"] == "/campaigns/x?a=b"
