"""Prove the books against the providers: every payment compared with the provider's own record.

DESIGN's invariant "provider totals = money received" as a command: for
each payment of each configured provider, what the provider says it
collected, refunded and lost to disputes must equal what the ledger booked
for it; and every paid record the provider holds must be a payment here
(or a flagged event whose money waits in suspense).

Midtrans is asked order by order (its Core API lists nothing); a bank
transfer's record is the statement line that matched it. Money a manager
sent back by hand (virtual accounts, transfers) is in the ledger but in no
provider's record, so it is left out of the refunds compared.
"""

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from ...extensions import db
from ...models import RECEIVED_STATES, Dispute, Donation, FlaggedEvent, Payment, PaymentState, Refund
from ...formatting import rupiah
from ...payments.base import ProviderRecord
from .refunds import BY_HAND_PREFIX

#: Payments read per database round trip.
BATCH = 500


@dataclass(frozen=True)
class Difference:
    """One way a payment and the provider's record of it disagree."""

    provider: str
    reference: str
    what: str
    ours: str
    theirs: str
    payment_id: int | None = None

    def __str__(self) -> str:
        name = f"payment {self.payment_id}" if self.payment_id else "no payment"
        return f"{self.provider} {self.reference} ({name}): {self.what}: ledger {self.ours}, provider {self.theirs}"


@dataclass
class Reconciliation:
    """What a run found: differences (exit 1), notes on money held for a manager, and how much was checked."""

    differences: list[Difference] = field(default_factory=list)
    #: Disagreements already flagged for a manager, whose money waits in suspense.
    flagged: list[Difference] = field(default_factory=list)
    checked: int = 0


def _booked(payment_ids: list[int], model, column, *conditions) -> dict[int, int]:
    """Return ``sum(column)`` per payment for the refunds or disputes of these payments."""
    rows = db.session.execute(sa.select(model.payment_id, sa.func.coalesce(sa.func.sum(column), 0))
                              .where(model.payment_id.in_(payment_ids), *conditions).group_by(model.payment_id))
    return {payment_id: int(total) for payment_id, total in rows}


def _flagged_refs(provider_name: str) -> set[str]:
    """Return the provider references flagged for a manager and not yet resolved."""
    return set(db.session.scalars(sa.select(FlaggedEvent.provider_ref).where(
        FlaggedEvent.provider == provider_name, FlaggedEvent.resolved_at.is_(None),
        FlaggedEvent.provider_ref.is_not(None))))


def _compare(payment: Payment, record: ProviderRecord | None, refunded: int, disputed: int) -> list[tuple]:
    """Return (what, ours, theirs) for each figure on which the payment and its record disagree."""
    received = payment.amount_idr if payment.state in RECEIVED_STATES else 0
    if record is None:
        return [("the provider has no record of it", rupiah(received), "nothing")] if received else []
    found = []
    if record.currency.lower() not in ("idr", "") and record.state == PaymentState.paid:
        found.append(("currency", "idr", record.currency))
    if received != record.received_idr:
        found.append(("received", rupiah(received), rupiah(record.received_idr)))
    if refunded != record.refunded_idr:
        found.append(("refunded", rupiah(refunded), rupiah(record.refunded_idr)))
    if disputed != record.disputed_idr:
        found.append(("taken back by disputes", rupiah(disputed), rupiah(record.disputed_idr)))
    return found


def reconcile(campaign=None, *, since: dt.datetime | None = None) -> Reconciliation:
    """Compare every payment (of ``campaign``, created since ``since``) with its provider's own record.

    Raises :class:`~donate.payments.base.ProviderError` when a provider
    cannot be asked; nothing is changed either way.
    """
    report = Reconciliation()
    for name, gateway in current_app.extensions["donate_payments"].items():
        flagged = _flagged_refs(name)
        query = (sa.select(Payment).join(Payment.donation)
                 .where(Payment.provider == name, Payment.provider_ref.is_not(None))
                 .order_by(Payment.id))
        if campaign is not None:
            query = query.where(Donation.campaign_id == campaign.id)
        if since is not None:
            query = query.where(Payment.created_at >= since)
        known: set[str] = set()
        last_id = 0
        while True:
            page = db.session.scalars(query.where(Payment.id > last_id).limit(BATCH)).all()
            if not page:
                break
            last_id = page[-1].id
            ids = [p.id for p in page]
            # Money a manager transferred back by hand (a virtual account, a bank transfer) left through no
            # provider, so the provider's record cannot show it: only refunds made at the provider are compared.
            refunded = _booked(ids, Refund, Refund.booked_idr, sa.or_(
                Refund.provider_ref.is_(None), ~Refund.provider_ref.startswith(BY_HAND_PREFIX, autoescape=True)))
            disputed = _booked(ids, Dispute, Dispute.withdrawn_idr)
            for payment in page:
                known.add(payment.provider_ref)
                report.checked += 1
                record = gateway.fetch_record(payment)
                for what, ours, theirs in _compare(payment, record, refunded.get(payment.id, 0),
                                                   disputed.get(payment.id, 0)):
                    found = Difference(name, payment.provider_ref, what, ours, theirs, payment.id)
                    (report.flagged if payment.provider_ref in flagged else report.differences).append(found)
        if campaign is not None:
            continue  # money the provider holds for no payment belongs to no campaign we could name
        for record in gateway.list_records(since=since):
            if record.payment_ref in known or record.state != PaymentState.paid:
                continue
            if db.session.scalar(sa.select(Payment.id).where(Payment.provider == name,
                                                             Payment.provider_ref == record.payment_ref)):
                continue  # a payment outside this run's campaign or dates
            found = Difference(name, record.payment_ref, "collected by the provider but no payment here",
                               rupiah(0), f"{record.received_idr} {record.currency or 'idr'}" if
                               record.currency.lower() not in ("idr", "") else rupiah(record.received_idr),
                               record.payment_id)
            (report.flagged if record.payment_ref in flagged else report.differences).append(found)
    return report
