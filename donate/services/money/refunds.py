"""Money going back: refunds of gifts and the disputes (chargebacks) providers report."""

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext

from ... import payments
from ...extensions import db
from ...formatting import rupiah
from ...labels import label
from ...models import (
    Account,
    Allocation,
    CoverageMonth,
    CoverageState,
    Designation,
    Donation,
    Journal,
    Payment,
    PaymentState,
    Posting,
    User,
)
from ...months import current_month
from .. import ledger
from ..access import audit
from ..errors import DomainError, Rupiah
from ..locks import lock_campaign
from .donations import MANUAL_PROVIDER, transition


class RefundRefused(DomainError):
    """A refund larger than what was paid or than the pool can give back."""


def refund_payment(payment: Payment, amount_idr: int | None = None, *,
                   today: dt.date | None = None) -> int:
    """Give money back out of the pool; return the amount refunded.

    Premiums already sent to BPJS cannot come back. If the pool is short,
    months this gift funded that are not yet remitted are released first,
    latest first; if that is still not enough the refund is refused.
    """
    donation = payment.donation
    # Lock, then re-read: a concurrent refund of the same payment must see what this one did.
    lock_campaign(donation.campaign_id)
    db.session.refresh(payment)
    if payment.state not in (PaymentState.paid, PaymentState.disputed):
        raise RefundRefused(lazy_gettext("only a paid payment can be refunded (this one is %(state)s)"),
                            state=label(payment.state))
    remaining = payment.amount_idr - payment.refunded_idr
    amount_idr = remaining if amount_idr is None else amount_idr
    if not 0 < amount_idr <= remaining:
        raise RefundRefused(lazy_gettext("a refund must be between Rp 1 and %(remaining)s"), remaining=Rupiah(remaining))
    pool = ledger.balance(donation.campaign_id, Account.pool, donation.designation)
    if pool < amount_idr:
        months = _unremitted_months(donation, today=today)
        # Refuse before releasing anything: a refused refund must leave the worker's months alone.
        available = pool + sum(month.premium_idr for month in months)
        if available < amount_idr:
            raise RefundRefused(
                lazy_gettext("only %(available)s can be refunded now: the rest of this gift has been sent to BPJS "
                   "or already pays other workers' premiums"), available=Rupiah(available))
        pool += _release_unremitted(donation, amount_idr - pool, today=today, months=months)
    ledger.post_entry(
        donation.campaign_id, "refund",
        [(Account.pool, donation.designation, -amount_idr),
         (Account.refunded, donation.designation, amount_idr)],
        payment_id=payment.id, memo=f"refund of payment {payment.id}",
    )
    payment.refunded_idr += amount_idr
    if payment.refunded_idr == payment.amount_idr:
        transition(payment, PaymentState.refunded)
    db.session.flush()
    return amount_idr


def _unremitted_months(donation: Donation, *, today) -> list[CoverageMonth]:
    """Return this gift's funded months from this month on that BPJS has not been paid for, latest first."""
    return db.session.scalars(
        sa.select(CoverageMonth)
        .join(Allocation, Allocation.id == CoverageMonth.allocation_id)
        .where(CoverageMonth.state == CoverageState.funded,
               CoverageMonth.month >= current_month(today),
               Allocation.donation_id == donation.id)
        .order_by(CoverageMonth.month.desc(), CoverageMonth.worker_id.desc())
    ).all()


def _release_unremitted(donation: Donation, needed: int, *, today,
                        months: list[CoverageMonth] | None = None) -> int:
    """Return this gift's future funded months to the pool, latest first, until ``needed`` is freed."""
    if months is None:
        months = _unremitted_months(donation, today=today)
    freed: dict[Designation, int] = {}
    total = 0
    for month in months:
        if total >= needed:
            break
        total += month.premium_idr
        freed[month.designation] = freed.get(month.designation, 0) + month.premium_idr
        db.session.delete(month)
    db.session.flush()
    for designation, amount in freed.items():
        ledger.post_entry(
            donation.campaign_id, "release",
            [(Account.allocated, designation, -amount), (Account.pool, designation, amount)],
            memo=f"months funded by donation {donation.id} released for a refund",
        )
    return freed.get(donation.designation, 0)


def dispute_payment(payment: Payment, *, today: dt.date | None = None) -> bool:
    """Mark a paid payment disputed and book the money the provider took back; ``False`` if done already.

    The card network withdraws a disputed amount at once, so it leaves the
    pool as a refund would: months this gift funded that are not yet sent to
    BPJS are released first. What was already remitted cannot come back; the
    shortfall is left for a manager, and the payment stays ``disputed``.
    """
    donation = payment.donation
    # Lock, then re-read: of two deliveries of the same dispute, only one may take the money.
    lock_campaign(donation.campaign_id)
    db.session.refresh(payment)
    if payment.state != PaymentState.paid:
        return False
    transition(payment, PaymentState.disputed)
    amount = payment.amount_idr - payment.refunded_idr
    pool = ledger.balance(donation.campaign_id, Account.pool, donation.designation)
    if pool < amount:
        pool += _release_unremitted(donation, amount - pool, today=today)
    taken = min(pool, amount)
    ledger.post_entry(
        donation.campaign_id, "dispute",
        [(Account.pool, donation.designation, -taken), (Account.refunded, donation.designation, taken)],
        payment_id=payment.id, memo=f"disputed payment {payment.id}",
    )
    payment.refunded_idr += taken
    db.session.flush()
    return True


def close_dispute(payment: Payment, *, won: bool) -> str:
    """Settle a disputed payment: a won dispute brings the withdrawn money back to the pool.

    A lost dispute leaves the books as they are (the money left when the
    dispute opened); the payment becomes ``refunded`` if nothing of it is left.
    Returns what was done; a repeated close changes nothing.
    """
    donation = payment.donation
    lock_campaign(donation.campaign_id)
    db.session.refresh(payment)
    if payment.state != PaymentState.disputed:
        return "dispute already closed"
    if not won:
        if payment.refunded_idr == payment.amount_idr:
            transition(payment, PaymentState.refunded)
        return "dispute lost"
    withdrawn = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Posting.amount_idr), 0))
        .join(Journal, Journal.id == Posting.journal_id)
        .where(Journal.payment_id == payment.id, Journal.kind == "dispute", Posting.account == Account.refunded))
    ledger.post_entry(
        donation.campaign_id, "dispute_won",
        [(Account.refunded, donation.designation, -int(withdrawn)), (Account.pool, donation.designation, int(withdrawn))],
        payment_id=payment.id, memo=f"dispute over payment {payment.id} won",
    )
    payment.refunded_idr -= int(withdrawn)
    transition(payment, PaymentState.paid)
    return "dispute won"


def refund_gift(payment: Payment, amount_idr: int | None, *, user: User, reason: str = "") -> int:
    """Refund a gift fully or partly out of the pool, through the card provider when it came by card."""

    if payment.state == PaymentState.disputed:
        # The card network already took the disputed money back; refunding it too would pay twice.
        raise RefundRefused(lazy_gettext("this gift is disputed: the card network settles it; answer the dispute "
                               "at the payment provider instead of refunding"))
    refunded = refund_payment(payment, amount_idr)
    if payment.provider != MANUAL_PROVIDER:
        try:
            gateway = payments.provider(payment.provider)
        except KeyError:
            raise RefundRefused(lazy_gettext("the %(provider)s provider is not configured here; refund it where it was paid"),
                                provider=payment.provider) from None
        gateway.refund(payment, refunded)
    donation = payment.donation
    audit.record_action("payment.refund", user=user, campaign=donation.campaign, subject=f"payment {payment.id}",
                        detail=f"{rupiah(refunded)} of {rupiah(payment.amount_idr)} ({payment.provider})"
                               + (f": {reason}" if reason else ""))
    return refunded
