"""Number, look up and email receipts for paid gifts."""

import datetime as dt

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import RECEIVED_STATES, Designation, Payment, Receipt
from ..mail import mail_locale, send_mail

#: Receipt numbers read "LDG-2026-0000042".
PREFIX = "LDG"


#: Days a link to a payment's page or receipt (name, NPWP) works for anyone who holds it; after that
#: only the donor's account opens the receipt.
PAYMENT_LINK_DAYS = 30


def _links() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="payment-link")


def payment_token(payment: Payment) -> str:
    """Return an unguessable, dated token naming a payment, for links in emails and redirects."""
    return _links().dumps(payment.id)


def payment_from_token(token: str, *, viewer=None, now: dt.datetime) -> Payment | None:
    """Return the payment a token names: forged tokens never, expired ones only for the donor's own account."""
    try:
        payment_id, signed_at = _links().loads(token, return_timestamp=True)
    except (BadSignature, ValueError, TypeError):
        return None
    payment = db.session.get(Payment, payment_id) if isinstance(payment_id, int) else None
    if payment is None:
        return None
    fresh = now - signed_at.replace(tzinfo=None) <= dt.timedelta(days=PAYMENT_LINK_DAYS)
    owner = viewer is not None and getattr(viewer, "is_authenticated", False) and \
        payment.donation.donor_id == viewer.id
    return payment if fresh or owner else None


def receipt_for(payment: Payment) -> Receipt | None:
    """Return the payment's receipt, if issued."""
    return db.session.scalar(sa.select(Receipt).where(Receipt.payment_id == payment.id))


def issue_receipt(payment: Payment, *, email: bool = True, now: dt.datetime) -> Receipt | None:
    """Number a receipt for a paid payment once, and email it the first time; ``None`` if unpaid."""
    if payment.state not in RECEIVED_STATES:
        return None
    existing = receipt_for(payment)
    if existing is not None:
        return existing
    receipt = Receipt(payment_id=payment.id, issued_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(receipt)
            db.session.flush()
    except IntegrityError:  # a concurrent caller issued it first
        return receipt_for(payment)
    receipt.number = f"{PREFIX}-{now.year}-{receipt.id:07d}"
    db.session.flush()
    donation = payment.donation
    if email and donation.donor_email:
        link = url_for("donor.receipt", token=payment_token(payment), _external=True)
        with force_locale(mail_locale(donation.locale)):
            subject = (_("Bukti setor zakat %(number)s", number=receipt.number)
                       if donation.designation == Designation.zakat
                       else _("Receipt %(number)s for your gift", number=receipt.number))
            send_mail(donation.donor_email, subject, "receipt", receipt=receipt, payment=payment,
                      donation=donation, link=link)
        receipt.emailed_at = now
        db.session.flush()
    return receipt
