"""Small but felt: renewal terms, a print view without JavaScript, labelled search forms, reminders in the donor's language."""

import re

import sqlalchemy as sa

from donate.extensions import db
from donate.maintenance import tick
from donate.models import Donation, DonationKind, OutboxMessage, Role
from donate.models.base import utcnow
from donate.services.access.accounts import create_user
from donate.services.money.receipts import issue_receipt, payment_token
from tests.manage_helpers import login, staff_user


def path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def test_renewal_offers_each_term_and_uses_the_one_chosen(client, make):
    campaign = make.campaign("gn")
    worker = make.worker(campaign)
    user = create_user("rina@example.com", "rahasia123", name="Rina")
    make.paid_gift(campaign, 16_800, kind=DonationKind.worker, worker=worker, months=1, donor_id=user.id,
                   donor_email=user.email, donor_name="Rina")
    db.session.commit()
    login(client, user)
    home = client.get("/donor/").get_data(as_text=True)
    offered = re.findall(r'<button type="submit" name="months" value="(\d+)"', home)
    assert offered == ["1", "3", "6", "12"]
    choice = client.post(f"/donor/workers/{worker.public_id}/renew", data={"months": "3"})  # then: how to pay
    assert 'name="months" value="3"' in choice.get_data(as_text=True)
    response = client.post(f"/donor/workers/{worker.public_id}/renew", data={"months": "3", "method": "qris"})
    assert "/sandbox/checkout/" in response.headers["Location"]
    renewal = db.session.scalars(sa.select(Donation).order_by(Donation.id.desc())).first()
    assert renewal.months == 3 and renewal.amount_idr == 3 * 16_800


def test_the_receipt_prints_from_a_plain_link(client, make):
    campaign = make.campaign("gn")
    gift = make.paid_gift(campaign, 100_800, donor_name="Siti", donor_email="s@example.com")
    issue_receipt(gift.payments[0], email=False, now=utcnow())
    db.session.commit()
    token = payment_token(gift.payments[0])
    page = client.get(f"/donor/receipts/{token}").get_data(as_text=True)
    link = f'href="/donor/receipts/{token}/print"'
    assert link in page
    printable = client.get(f"/donor/receipts/{token}/print")
    assert printable.status_code == 200
    text = printable.get_data(as_text=True)
    assert 'class="receipt' in text and '<header class="site"' not in text and "Rp 100.800" in text
    assert client.get("/donor/receipts/nope/print").status_code == 404


def test_the_two_search_forms_on_the_workers_page_have_distinct_names(client, make):
    campaign = make.campaign("gn")
    manager = staff_user("amil@example.com", Role.manager, campaign)
    db.session.commit()
    login(client, manager)
    page = client.get("/manage/campaigns/gn/workers").get_data(as_text=True)
    labels = re.findall(r'role="search" aria-label="([^"]+)"', page)
    assert len(labels) == 2 and len(set(labels)) == 2


def test_scrollable_tables_can_be_reached_with_the_keyboard(client, make):
    campaign = make.campaign("gn", regions=(("1402", 10),))
    db.session.commit()
    page = client.get("/campaigns/gn").get_data(as_text=True)
    wrapper = re.search(r'<div class="scroll"([^>]*)>\s*<table class="regions">', page).group(1)
    assert 'tabindex="0"' in wrapper and ("aria-label" in wrapper or "aria-labelledby" in wrapper)


def test_renewal_reminders_go_out_in_the_donors_language(app, make):
    campaign = make.campaign()
    ann, siti = make.worker(campaign), make.worker(campaign)
    make.paid_gift(campaign, 16_800, kind=DonationKind.worker, worker=ann, months=1, donor_email="ann@example.com",
                   donor_name="Ann", locale="en")
    make.paid_gift(campaign, 16_800, kind=DonationKind.worker, worker=siti, months=1,
                   donor_email="siti@example.com", donor_name="Siti")
    tick()
    sent = {m.to_email: m for m in db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == "renewal_reminder"))}
    assert "protected only until" in sent["ann@example.com"].subject
    assert "protected only until" not in sent["siti@example.com"].subject
