"""The donor's language is kept with the account and each gift; mail to them goes out in it."""

import re

import sqlalchemy as sa

from donate.extensions import db
from donate.models import Donation, OutboxMessage, User


def pay_in_sandbox(client, checkout_url: str) -> None:
    response = client.post(re.sub(r"^https?://[^/]+", "", checkout_url), data={"outcome": "pay"})
    assert response.status_code == 302
    client.get(re.sub(r"^https?://[^/]+", "", response.headers["Location"]))


def give(client, slug: str, lang: str, email: str):
    client.get(f"/?lang={lang}")
    response = client.post(f"/donor/campaigns/{slug}/give", data={
        "amount": "100800", "designation": "infak", "donor_name": "Ann", "donor_email": email})
    assert response.status_code == 302, response.get_data(as_text=True)
    pay_in_sandbox(client, response.headers["Location"])


def test_each_gift_keeps_its_language_and_the_receipt_uses_it(app, client, make):
    make.campaign("gn")
    db.session.commit()
    give(client, "gn", "en", "ann@example.com")
    give(client, "gn", "id", "siti@example.com")
    locales = dict(db.session.execute(sa.select(Donation.donor_email, Donation.locale)).all())
    assert locales == {"ann@example.com": "en", "siti@example.com": "id"}
    receipts = {m.to_email: m for m in db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "receipt"))}
    assert receipts["ann@example.com"].subject.startswith("Receipt") and "Thank you" in receipts["ann@example.com"].body
    assert "Terima kasih" in receipts["siti@example.com"].body


def test_the_account_keeps_the_language_it_registered_and_logged_in_with(client):
    client.get("/?lang=en")
    client.post("/auth/register", data={"name": "Ann", "email": "ann@example.com", "password": "rahasia123",
                                        "confirm": "rahasia123"})
    user = db.session.scalar(sa.select(User))
    assert user.locale == "en"
    client.post("/auth/logout")
    client.get("/?lang=id")
    client.post("/auth/login", data={"email": "ann@example.com", "password": "rahasia123"})
    db.session.refresh(user)
    assert user.locale == "id"
