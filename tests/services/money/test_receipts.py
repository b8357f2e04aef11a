"""Receipts: one per paid payment, numbered from their id, emailed once."""

import re

import sqlalchemy as sa

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
        first = issue_receipt(payment)
        again = issue_receipt(payment)
    assert first.id == again.id and re.fullmatch(r"LDG-\d{4}-\d{7}", first.number)
    mails = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "receipt")).all()
    assert len(mails) == 1 and "Bukti setor zakat" in mails[0].subject and first.number in mails[0].body
    assert first.emailed_at is not None


def test_unpaid_payments_get_no_receipt_and_numbers_differ(app, make):
    campaign = make.campaign()
    donation = create_donation(campaign, kind=DonationKind.pool, designation=Designation.infak, amount_idr=50_000)
    unpaid = start_payment(donation, "sandbox", "sbx_unpaid")
    with app.test_request_context():
        assert issue_receipt(unpaid) is None
        numbers = {issue_receipt(make.paid_gift(campaign, 20_000).payments[0]).number for _ in range(3)}
    assert len(numbers) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Receipt)) == 3


def test_payment_links_are_signed(app, make):
    campaign = make.campaign()
    payment = make.paid_gift(campaign, 20_000).payments[0]
    token = payment_token(payment)
    assert payment_from_token(token).id == payment.id
    assert payment_from_token(token[:-2] + "xx") is None
    assert payment_from_token(str(payment.id)) is None
    assert isinstance(payment, Payment)

