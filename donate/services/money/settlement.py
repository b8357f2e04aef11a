"""Settle a payment: the one function that takes a provider's verdict to the payment, the ledger and the receipt.

Every provider (sandbox, Stripe, Midtrans, bank transfer) and every path
(webhook, success page, reconciliation) goes through :func:`settle_payment`.
A provider only says what it saw; this module decides whether to believe it.
"""

import datetime as dt

import sqlalchemy as sa

from ...extensions import db
from ...models import Account, FlaggedEvent, Payment, PaymentState
from ...payments.base import Verdict
from .. import ledger
from .donations import confirm_payment, fail_payment, transition
from .receipts import issue_receipt


def disagreement(payment: Payment, verdict: Verdict) -> tuple[str, str] | None:
    """Return (problem, explanation) if the verdict is not about this payment's money as asked, else ``None``."""
    if verdict.payment_ref is not None and verdict.payment_ref != payment.provider_ref:
        return "reference", (f"the provider's object {verdict.payment_ref} is not the one this payment "
                             f"was opened with ({payment.provider_ref or 'none'})")
    if (verdict.currency or "").lower() != "idr":
        return "currency", f"paid in {verdict.currency or 'an unknown currency'}, not rupiah"
    if verdict.amount_idr is None or verdict.amount_idr != payment.amount_idr:
        return "amount", f"paid Rp {verdict.amount_idr}, asked Rp {payment.amount_idr}"
    return None


def flag_event(provider_name: str, *, problem: str, detail: str, verdict: Verdict,
               payment: Payment | None = None, event_id: str | None = None, event_type: str = "",
               now: dt.datetime) -> FlaggedEvent:
    """Store a verified event that disagrees with us, for a manager; hold any rupiah it collected in suspense.

    The money is held once per provider object, however many events (or
    status look-ups) report it, and only when it is rupiah the provider says
    it collected: it never reaches the pool, so it funds no months.
    """
    campaign_id = payment.donation.campaign_id if payment is not None else None
    collected = verdict.state == PaymentState.paid and (verdict.currency or "").lower() == "idr" \
        and (verdict.amount_idr or 0) > 0
    held = 0
    if collected and campaign_id is not None and not _already_held(provider_name, verdict.payment_ref):
        held = verdict.amount_idr
    flag = FlaggedEvent(provider=provider_name, event_id=event_id, event_type=event_type[:80], problem=problem,
                        provider_ref=verdict.payment_ref, payment_id=payment.id if payment else None,
                        campaign_id=campaign_id, provider_amount=verdict.provider_amount[:80],
                        expected_idr=payment.amount_idr if payment else None, held_idr=held,
                        detail=detail[:500], created_at=now)
    db.session.add(flag)
    db.session.flush()
    if held:
        ledger.post_entry(campaign_id, "suspense",
                          [(Account.received, payment.donation.designation, -held),
                           (Account.suspense, payment.donation.designation, held)],
                          memo=f"held for a manager: {provider_name} {verdict.payment_ref} ({problem})")
    return flag


def _already_held(provider_name: str, provider_ref: str | None) -> bool:
    """Return whether money reported under this provider reference already waits in suspense."""
    if provider_ref is None:
        return False
    return db.session.scalar(sa.select(sa.func.count()).select_from(FlaggedEvent).where(
        FlaggedEvent.provider == provider_name, FlaggedEvent.provider_ref == provider_ref,
        FlaggedEvent.held_idr > 0)) > 0


def settle_payment(payment: Payment, verdict: Verdict, *, event_id: str | None = None, event_type: str = "",
                   today: dt.date, now: dt.datetime) -> str:
    """Apply what the provider says of ``payment``; return what was done.

    Paid: booked, fulfilled and receipted once, but only for this payment's
    own reference, amount and currency; anything else is flagged for a
    manager and changes nothing here. Failed or expired: the worker is
    freed. Pending: the checkout is under way. Idempotent: a repeated
    verdict finds the work done.
    """
    if verdict.state == PaymentState.paid:
        problem = disagreement(payment, verdict)
        if problem is not None:
            flag_event(payment.provider, problem=problem[0], detail=problem[1], verdict=verdict, payment=payment,
                       event_id=event_id, event_type=event_type, now=now)
            return "flagged"
        if verdict.money_ref and not payment.money_ref:
            payment.money_ref = verdict.money_ref
        confirmed = confirm_payment(payment.id, today=today, now=now)
        db.session.refresh(payment)
        issue_receipt(payment, now=now)
        return "confirmed" if confirmed else "already paid"
    if verdict.state in (PaymentState.failed, PaymentState.expired):
        return verdict.state.value if fail_payment(payment, verdict.state) else "already settled"
    if verdict.state == PaymentState.pending:
        if payment.state == PaymentState.created:
            transition(payment, PaymentState.pending)
        return "pending"
    return "ignored"


def flagged_events(campaign, *, resolved: bool = False) -> list[FlaggedEvent]:
    """Return a campaign's flagged provider events, newest first (the open ones, or the resolved ones)."""
    state = FlaggedEvent.resolved_at.is_not(None) if resolved else FlaggedEvent.resolved_at.is_(None)
    return db.session.scalars(sa.select(FlaggedEvent).where(FlaggedEvent.campaign_id == campaign.id, state)
                              .order_by(FlaggedEvent.id.desc()).limit(200)).all()


def open_flag_count(campaign) -> int:
    """Return how many of a campaign's flagged events wait for a manager."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(FlaggedEvent).where(
        FlaggedEvent.campaign_id == campaign.id, FlaggedEvent.resolved_at.is_(None)))


def resolve_flag(flag: FlaggedEvent, *, user, note: str = "", now: dt.datetime) -> None:
    """Close a flagged event the manager settled at the provider (returned the money to the payer there).

    What waited in suspense leaves the books the way it came in, so the
    campaign's money stays what its payments paid.
    """
    from ..access import audit

    if flag.resolved_at is not None:
        return
    if flag.held_idr and flag.campaign_id is not None:
        designation = flag.payment.donation.designation
        ledger.post_entry(flag.campaign_id, "suspense_returned",
                          [(Account.suspense, designation, -flag.held_idr),
                           (Account.received, designation, flag.held_idr)],
                          memo=f"flagged {flag.provider} {flag.provider_ref} returned to the payer")
    flag.resolved_at = now
    db.session.flush()
    audit.record_action("payment.flag_resolved", user=user, campaign=flag.payment.donation.campaign
                        if flag.payment else None, subject=f"flagged event {flag.id}",
                        params={"flag": flag.id, "provider": flag.provider, "reference": flag.provider_ref,
                                "problem": flag.problem, "provider_amount": flag.provider_amount, "note": note})
