"""Receipts: one per paid payment, numbered from their id, emailed once."""

import re

import sqlalchemy as sa

from donate import clock
from donate.extensions import db
from donate.models import Designation, DonationKind, OutboxMessage, Payment, Receipt
from donate.services.money.donations import create_donation, start_payment
from donate.services.money.receipts import (
    issue_receipt,
    payment_from_token,
    payment_token,
)


def test_a_receipt_is_issued_once_with_a_stable_number_and_emailed_once(app, make):
    campaign = make.campaign()
    with app.test_request_context():
        gift = make.paid_gift(campaign, 16_800, designation=Designation.zakat, donor_name="Ahmad",
                              donor_email="ahmad@example.com", npwp="012345678901000")
        payment = gift.payments[0]
        first = issue_receipt(payment, now=clock.now())
        again = issue_receipt(payment, now=clock.now())
    assert first.id == again.id and re.fullmatch(r"LDG-\d{4}-\d{7}", first.number)
    mails = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "receipt")).all()
    assert len(mails) == 1 and "Bukti setor zakat" in mails[0].subject and first.number in mails[0].body
    assert first.emailed_at is not None


def test_unpaid_payments_get_no_receipt_and_numbers_differ(app, make):
    campaign = make.campaign()
    donation = create_donation(campaign, kind=DonationKind.pool, designation=Designation.infak, amount_idr=50_000)
    unpaid = start_payment(donation, "sandbox", "sbx_unpaid")
    with app.test_request_context():
        assert issue_receipt(unpaid, now=clock.now()) is None
        numbers = {issue_receipt(make.paid_gift(campaign, 20_000).payments[0],
                                 now=clock.now()).number for _ in range(3)}
    assert len(numbers) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Receipt)) == 3


def test_payment_links_are_signed(app, make):
    campaign = make.campaign()
    payment = make.paid_gift(campaign, 20_000).payments[0]
    token = payment_token(payment)
    assert payment_from_token(token, now=clock.now()).id == payment.id
    # Change a whole character of the signature: its last base64 character carries spare bits, and
    # a token that happened to end in "xx" already would stay valid, so the test would be flaky.
    middle = len(token) - 5
    tampered = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1:]
    assert payment_from_token(tampered, now=clock.now()) is None
    assert payment_from_token(str(payment.id), now=clock.now()) is None
    assert isinstance(payment, Payment)



def test_receipt_links_expire_for_strangers_but_not_for_the_donors_account(app, client, make):
    import datetime as dt

    import time_machine

    from donate.models.base import utcnow
    from donate.services.access.accounts import create_user
    from donate.services.money.receipts import PAYMENT_LINK_DAYS, issue_receipt
    from tests.manage_helpers import login

    campaign = make.campaign()
    donor = create_user("siti@example.org", "rahasia123")
    donation = make.paid_gift(campaign, 50_000, donor_email="siti@example.org", donor_name="Siti", npwp="012345678901234")
    donation.donor_id = donor.id
    payment = donation.payments[0]
    issue_receipt(payment, email=False, now=clock.now())
    db.session.commit()
    token = payment_token(payment)
    fresh = client.get(f"/donor/receipts/{token}")
    assert fresh.status_code == 200 and fresh.headers["Cache-Control"] == "no-store"
    later = utcnow() + dt.timedelta(days=PAYMENT_LINK_DAYS + 1)
    assert payment_from_token(token, now=later) is None
    with time_machine.travel(later.replace(tzinfo=dt.timezone.utc), tick=False):
        assert client.get(f"/donor/receipts/{token}").status_code == 404  # a forwarded or leaked link
        login(client, donor)
        assert client.get(f"/donor/receipts/{token}").status_code == 200  # the donor, logged in
