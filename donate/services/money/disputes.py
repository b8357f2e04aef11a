"""Disputes (chargebacks) as the provider reports them: money moves only when the provider moves it.

An inquiry moves nothing. A dispute's money leaves when the provider
withdraws it (``funds_withdrawn``) and comes back when it reinstates it
(``funds_reinstated``, a won dispute); the months released when it left are
put back for the same workers where they are still free.
"""

import datetime as dt

import sqlalchemy as sa

from ...extensions import db
from ...models import (
    Account,
    Allocation,
    AllocationKind,
    CoverageMonth,
    Designation,
    Dispute,
    Payment,
    PaymentState,
    Worker,
)
from ...payments.base import DisputeRecord
from .. import ledger
from ..coverage.waitlist import is_fundable
from .donations import transition
from .refunds import _lock, give_back, take_back

#: Statuses of a dispute that is over.
CLOSED_STATUSES = {"won", "lost", "warning_closed", "prevented"}


def apply_dispute(payment: Payment, record: DisputeRecord, *, today: dt.date,
                  now: dt.datetime) -> str:
    """Bring the books in line with what the provider holds back for one dispute; return what was done.

    Idempotent and order-proof: the provider's figure is the net it has
    withdrawn, so a repeated or late event moves only the difference, and an
    event that knows fewer balance movements than we already saw is old news.
    """
    _lock(payment)
    dispute = db.session.scalar(sa.select(Dispute).where(Dispute.payment_id == payment.id,
                                                         Dispute.provider_ref == record.ref)
                                .execution_options(populate_existing=True))
    if dispute is None:
        dispute = Dispute(payment_id=payment.id, provider_ref=record.ref, amount_idr=record.amount_idr,
                          status=record.status, withdrawn_idr=0, released=[], transactions_seen=0)
        db.session.add(dispute)
        db.session.flush()
    reopening = dispute.status in CLOSED_STATUSES and record.status not in CLOSED_STATUSES
    if record.transactions < dispute.transactions_seen or (reopening and record.transactions == dispute.transactions_seen):
        return "dispute already recorded"  # older news than what we hold
    dispute.transactions_seen = record.transactions
    dispute.status = record.status
    target = 0 if record.inquiry else min(record.withdrawn_idr, payment.amount_idr)
    outcome = "dispute recorded"
    if target > dispute.withdrawn_idr:
        amount = min(target - dispute.withdrawn_idr, payment.amount_idr - payment.refunded_idr)
        if amount > 0:
            if payment.state == PaymentState.paid:
                transition(payment, PaymentState.disputed)
            released = take_back(payment, amount, kind="dispute", today=today)
            dispute.released = list(dispute.released or []) + released
            dispute.withdrawn_idr += amount
            outcome = "funds withdrawn"
    elif target < dispute.withdrawn_idr:
        amount = dispute.withdrawn_idr - target
        give_back(payment, amount, kind="dispute_won")
        dispute.withdrawn_idr = target
        _restore(payment, dispute, now=now)
        outcome = "funds reinstated"
    _settle_state(payment, dispute, record)
    db.session.flush()
    return outcome


def _settle_state(payment: Payment, dispute: Dispute, record: DisputeRecord) -> None:
    """Keep the payment ``disputed`` while a real dispute is open; settle it when the dispute closes."""
    if record.inquiry:
        return
    if record.status not in CLOSED_STATUSES:
        if payment.state == PaymentState.paid:
            transition(payment, PaymentState.disputed)
        return
    if payment.state == PaymentState.disputed:
        transition(payment, PaymentState.refunded if payment.refunded_idr == payment.amount_idr
                   else PaymentState.paid)


def _restore(payment: Payment, dispute: Dispute, *, now) -> None:
    """Put back the months released when the dispute's money left, for the same workers, where still free."""
    rows = list(dispute.released or [])
    if not rows:
        return
    donation = payment.donation
    campaign = donation.campaign
    workers = {w for w, _, _, _ in rows}
    taken = set(db.session.execute(
        sa.select(CoverageMonth.worker_id, CoverageMonth.month)
        .where(CoverageMonth.worker_id.in_(workers), CoverageMonth.month.in_({m for _, m, _, _ in rows}))
    ).tuples())
    by_designation: dict[Designation, list] = {}
    for worker_id, month, premium, designation in rows:
        designation = Designation(designation)
        worker = db.session.get(Worker, worker_id)
        if (worker_id, month) in taken or worker is None or not is_fundable(
                worker, designation, campaign, company_id=donation.company_id):
            continue
        by_designation.setdefault(designation, []).append((worker_id, month, premium))
    for designation, months in by_designation.items():
        budget = ledger.balance(campaign.id, Account.pool, designation)
        chosen, spent = [], 0
        for worker_id, month, premium in sorted(months, key=lambda r: (r[1], r[0])):
            if spent + premium > budget:
                break
            chosen.append((worker_id, month, premium))
            spent += premium
        if not chosen:
            continue
        run = Allocation(campaign_id=campaign.id, kind=AllocationKind.sponsorship, designation=designation,
                         donation_id=donation.id, workers=len({w for w, _, _ in chosen}), months=len(chosen),
                         amount_idr=spent)
        db.session.add(run)
        db.session.flush()
        db.session.add_all(CoverageMonth(worker_id=w, month=m, campaign_id=campaign.id, premium_idr=p,
                                         designation=designation, allocation_id=run.id, created_at=now)
                           for w, m, p in chosen)
        db.session.flush()
        ledger.post_entry(campaign.id, "allocation",
                          [(Account.pool, designation, -spent), (Account.allocated, designation, spent)],
                          allocation_id=run.id, memo=f"months restored: dispute {dispute.provider_ref} reinstated")
    dispute.released = []
