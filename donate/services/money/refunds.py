"""Money going back to donors: one refund row per request, booked when the provider gives the money back.

A manager's refund is stored before the provider is called and its id is
the provider's idempotency key, so a retry after a timeout can never refund
twice. The provider's own notices (webhooks, or a refund made in its
dashboard) converge on the same row under the campaign lock: whichever
arrives first books it, the other finds it booked.
"""

import datetime as dt

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext

from ... import payments
from ...extensions import db
from ...labels import label
from ...models import (
    REFUND_BOOKED_STATES,
    Account,
    Allocation,
    CoverageMonth,
    CoverageState,
    Designation,
    Donation,
    Payment,
    PaymentState,
    Refund,
    RefundState,
    User,
)
from ...months import current_month
from ...payments.base import ProviderError, RefundRecord
from .. import ledger
from ..access import audit
from ..errors import DomainError, Rupiah
from ..locks import lock_campaign
from .donations import MANUAL_PROVIDER, transition

#: The reference of a refund a manager made by transferring the money back: no provider holds a record of it.
BY_HAND_PREFIX = "manual-refund-"


class RefundRefused(DomainError):
    """A refund larger than what was paid or than the pool can give back."""


class RefundUnavailable(RefundRefused):
    """The provider could not make the refund; nothing was booked (the message says what to do next)."""

    def __init__(self, detail: str, *, retryable: bool):
        if retryable:
            super().__init__(lazy_gettext(
                "The payment service did not answer, so the refund may not have been made yet. Nothing was "
                "booked. Send the same refund again in a few minutes: it cannot be made twice."))
        else:
            super().__init__(lazy_gettext(
                "The payment service refused this refund (%(detail)s). Nothing was booked; refund the donor "
                "another way and record it, or contact the payment service."), detail=detail)
        self.retryable = retryable


def _lock(payment: Payment) -> None:
    """Serialise money moves of the payment's campaign, then read the payment afresh."""
    lock_campaign(payment.donation.campaign_id)
    db.session.refresh(payment)


def unremitted_months(donation: Donation, *, today) -> list[CoverageMonth]:
    """Return this gift's funded months from this month on that BPJS has not been paid for, latest first."""
    return db.session.scalars(
        sa.select(CoverageMonth)
        .join(Allocation, Allocation.id == CoverageMonth.allocation_id)
        .where(CoverageMonth.state == CoverageState.funded,
               CoverageMonth.month >= current_month(today),
               Allocation.donation_id == donation.id)
        .order_by(CoverageMonth.month.desc(), CoverageMonth.worker_id.desc())
    ).all()


def release_unremitted(donation: Donation, needed: int, *, today,
                       months: list[CoverageMonth] | None = None) -> list[list]:
    """Return this gift's future funded months to the pool, latest first, until ``needed`` is freed.

    Returns what was released as ``[worker_id, month, premium, designation]``
    rows, so a reinstated dispute can put the same months back.
    """
    if months is None:
        months = unremitted_months(donation, today=today)
    freed: dict[Designation, int] = {}
    released = []
    total = 0
    for month in months:
        if total >= needed:
            break
        total += month.premium_idr
        freed[month.designation] = freed.get(month.designation, 0) + month.premium_idr
        released.append([month.worker_id, month.month, month.premium_idr, month.designation.value])
        db.session.delete(month)
    db.session.flush()
    for designation, amount in freed.items():
        ledger.post_entry(
            donation.campaign_id, "release",
            [(Account.allocated, designation, -amount), (Account.pool, designation, amount)],
            memo=f"months funded by donation {donation.id} released for money given back",
        )
    return released


def take_back(payment: Payment, amount_idr: int, *, kind: str, today: dt.date) -> list[list]:
    """Book money the provider gave back (refund or chargeback) at once; return the months released.

    What the pool holds pays first; then this gift's months not yet sent to
    BPJS are released; what was already remitted becomes a shortfall, repaid
    from the campaign's next money (``ledger.take_from_pool``).
    """
    donation = payment.donation
    pool = ledger.balance(donation.campaign_id, Account.pool, donation.designation)
    released = []
    if pool < amount_idr:
        released = release_unremitted(donation, amount_idr - pool, today=today)
    ledger.take_from_pool(donation.campaign_id, donation.designation, amount_idr, kind=kind, to=Account.refunded,
                          payment_id=payment.id, memo=f"{kind} of payment {payment.id}")
    payment.refunded_idr += amount_idr
    # A dispute's payment stays disputed until the dispute closes; a refund of everything ends the payment.
    if kind == "refund" and payment.refunded_idr == payment.amount_idr \
            and payment.state in (PaymentState.paid, PaymentState.disputed):
        transition(payment, PaymentState.refunded)
    db.session.flush()
    return released


def give_back(payment: Payment, amount_idr: int, *, kind: str) -> None:
    """Book money that came back after all (a failed refund, a reinstated dispute) into the pool."""
    donation = payment.donation
    ledger.post_entry(donation.campaign_id, kind,
                      [(Account.refunded, donation.designation, -amount_idr),
                       (Account.pool, donation.designation, amount_idr)],
                      payment_id=payment.id, memo=f"{kind}: payment {payment.id}")
    payment.refunded_idr -= amount_idr
    if payment.state == PaymentState.refunded:
        transition(payment, PaymentState.paid)
    db.session.flush()


def refundable(payment: Payment, *, today: dt.date) -> int:
    """Return what can be refunded now without leaving a shortfall: the pool and this gift's unremitted months."""
    donation = payment.donation
    pool = max(ledger.balance(donation.campaign_id, Account.pool, donation.designation), 0)
    return pool + sum(m.premium_idr for m in unremitted_months(donation, today=today))


def _check_request(payment: Payment, amount_idr: int | None, *, today, allow_disputed: bool = False) -> int:
    """Return the amount that may be refunded now, or raise :class:`RefundRefused` saying why not."""
    if payment.state == PaymentState.disputed and not allow_disputed:
        # The card network already took the disputed money back; refunding it too would pay twice.
        raise RefundRefused(lazy_gettext("this gift is disputed: the card network settles it; answer the dispute "
                                         "at the payment provider instead of refunding"))
    if payment.state not in (PaymentState.paid, PaymentState.disputed):
        raise RefundRefused(lazy_gettext("only a paid payment can be refunded (this one is %(state)s)"),
                            state=label(payment.state))
    open_requests = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Refund.amount_idr), 0))
        .where(Refund.payment_id == payment.id, Refund.state == RefundState.requested))
    remaining = payment.amount_idr - payment.refunded_idr - int(open_requests)
    amount_idr = remaining if amount_idr is None else amount_idr
    if not 0 < amount_idr <= remaining:
        raise RefundRefused(lazy_gettext("a refund must be between Rp 1 and %(remaining)s"),
                            remaining=Rupiah(max(remaining, 0)))
    available = refundable(payment, today=today)
    if available < amount_idr:
        raise RefundRefused(
            lazy_gettext("only %(available)s can be refunded now: the rest of this gift has been sent to BPJS "
                         "or already pays other workers' premiums"), available=Rupiah(available))
    return amount_idr


def request_refund(payment: Payment, amount_idr: int | None, *, user: User | None, reason: str = "",
                   request_key: str | None = None, today: dt.date) -> Refund:
    """Store a manager's refund before the provider is called; the same request sent again finds the same row.

    The caller commits, then calls :func:`send_refund`: the row (and so the
    idempotency key) must outlive a provider call that times out.
    """
    _lock(payment)
    if request_key:
        existing = db.session.scalar(sa.select(Refund).where(Refund.request_key == request_key))
        if existing is not None:
            if existing.payment_id != payment.id:
                raise RefundRefused(lazy_gettext("this refund form was already used for another gift"))
            return existing
    amount_idr = _check_request(payment, amount_idr, today=today)
    refund = Refund(payment_id=payment.id, amount_idr=amount_idr, state=RefundState.requested,
                    request_key=request_key or None, requested_by_id=user.id if user else None,
                    reason=(reason or "")[:300])
    db.session.add(refund)
    db.session.flush()
    return refund


def send_refund(refund: Refund, *, user: User | None = None, today: dt.date) -> Refund:
    """Ask the provider to make a stored refund (its key is the row's id) and book what the provider did.

    Raise :class:`RefundUnavailable` if the provider cannot: a refusal marks
    the row failed; a timeout leaves it requested, so sending it again is safe.
    """
    payment = refund.payment
    if refund.state != RefundState.requested:
        return refund  # sent already (or reported by the provider's webhook first)
    by_hand = payment.provider == MANUAL_PROVIDER
    if not by_hand:
        try:
            gateway = payments.provider(payment.provider)
        except KeyError:
            raise RefundRefused(lazy_gettext("the %(provider)s provider is not configured here; refund it where "
                                             "it was paid"), provider=payment.provider) from None
        # Virtual accounts and bank transfers cannot be reversed: a manager transfers the money back.
        by_hand = not gateway.can_refund(payment)
        if by_hand and not (refund.reason or "").strip():
            raise RefundRefused(lazy_gettext("this gift was paid by %(method)s, which cannot be refunded "
                                             "automatically: transfer the money back by hand and say why"),
                                method=payment.method or payment.provider)
    if by_hand:
        record = RefundRecord(ref=f"{BY_HAND_PREFIX}{refund.id}", amount_idr=refund.amount_idr, status="succeeded",
                              refund_id=refund.id)
    else:
        try:
            record = gateway.refund(refund)
        except ProviderError as exc:
            current_app.logger.warning("%s refused refund %s of payment %s (request %s): %s", payment.provider,
                                       refund.id, payment.id, exc.request_id, exc.detail)
            if not exc.retryable:
                refund.state = RefundState.failed
                refund.error = exc.detail[:300]
                db.session.flush()
            raise RefundUnavailable(exc.detail, retryable=exc.retryable) from exc
    apply_refund(payment, record, today=today)
    db.session.refresh(refund)
    audit.record_action("payment.refund", user=user, campaign=payment.donation.campaign,
                        subject=f"payment {payment.id}",
                        params={"payment": payment.id, "amount_idr": refund.amount_idr,
                                "paid_idr": payment.amount_idr, "refund": refund.id, "reason": refund.reason or ""})
    return refund


def refund_gift(payment: Payment, amount_idr: int | None, *, user: User, reason: str = "",
                request_key: str | None = None, today: dt.date) -> Refund:
    """Store and send a manager's refund in one go (for callers that need no commit in between, e.g. the CLI)."""
    refund = request_refund(payment, amount_idr, user=user, reason=reason, request_key=request_key, today=today)
    return send_refund(refund, user=user, today=today)


def refund_payment(payment: Payment, amount_idr: int | None = None, *, today: dt.date) -> int:
    """Give money of ours back without a provider (manual money, tests); return the amount refunded."""
    _lock(payment)
    amount_idr = _check_request(payment, amount_idr, today=today, allow_disputed=True)
    refund = Refund(payment_id=payment.id, amount_idr=amount_idr, state=RefundState.requested)
    db.session.add(refund)
    db.session.flush()
    apply_refund(payment, RefundRecord(ref=f"{BY_HAND_PREFIX}{refund.id}", amount_idr=amount_idr,
                                       status="succeeded", refund_id=refund.id), today=today)
    return amount_idr


#: A refund's status only moves forward: a late "pending" never undoes "succeeded".
_RANK = {RefundState.requested: 0, RefundState.pending: 1, RefundState.succeeded: 2,
         RefundState.failed: 3, RefundState.canceled: 3}


def apply_refund(payment: Payment, record: RefundRecord, *, today: dt.date) -> str:
    """Converge on the payment's refund row for what the provider reports, and book or unbook it once.

    Found by the provider's refund id, else by our id echoed back; a refund
    made in the provider's dashboard gets a row of its own. Runs under the
    campaign lock with the row read afresh, so a webhook and a manager's
    request for the same refund book it once between them.
    """
    _lock(payment)
    refund = db.session.scalar(sa.select(Refund).where(Refund.payment_id == payment.id,
                                                       Refund.provider_ref == record.ref)
                               .execution_options(populate_existing=True))
    if refund is None and record.refund_id:
        refund = db.session.scalar(sa.select(Refund).where(Refund.id == record.refund_id,
                                                           Refund.payment_id == payment.id)
                                   .execution_options(populate_existing=True))
    if refund is None:
        refund = Refund(payment_id=payment.id, amount_idr=max(record.amount_idr, 1), state=RefundState.requested,
                        reason="made at the provider")
        db.session.add(refund)
    if refund.provider_ref is None:
        refund.provider_ref = record.ref
    try:
        state = RefundState(record.status)
    except ValueError:
        state = RefundState.pending
    if _RANK[state] < _RANK[refund.state] or (refund.state in (RefundState.failed, RefundState.canceled)
                                              and state != refund.state):
        db.session.flush()
        return "refund already recorded"
    outcome = "refund already recorded" if refund.state == state and refund.id else "refund recorded"
    refund.state = state
    if state in REFUND_BOOKED_STATES and not refund.booked_idr:
        amount = min(record.amount_idr, payment.amount_idr - payment.refunded_idr)
        if amount > 0:
            refund.amount_idr = record.amount_idr
            take_back(payment, amount, kind="refund", today=today)
            refund.booked_idr = amount
            outcome = "refunded"
    elif state in (RefundState.failed, RefundState.canceled) and refund.booked_idr:
        give_back(payment, refund.booked_idr, kind="refund_failed")
        refund.booked_idr = 0
        outcome = "refund failed"
    db.session.flush()
    return outcome
