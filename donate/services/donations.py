"""Gifts and their payments: create, confirm (idempotently), record institutional funding, refund."""

import datetime as dt

import sqlalchemy as sa

from ..extensions import db
from ..models import (
    PAYMENT_TRANSITIONS,
    Account,
    Allocation,
    Campaign,
    CampaignStatus,
    CoverageMonth,
    CoverageState,
    Designation,
    Donation,
    DonationKind,
    Journal,
    Payment,
    PaymentState,
    Posting,
    Worker,
)
from ..formatting import rupiah
from ..models.base import utcnow
from ..months import current_month
from . import ledger
from .allocation import fund_new_workers, fund_sponsorship
from .holds import release_hold
from .locks import lock_campaign

#: Months a named sponsorship can buy at once (premiums are paid in advance for these).
SPONSOR_MONTHS = (1, 3, 6, 12)
#: Providers whose money arrives without a card checkout.
MANUAL_PROVIDER = "manual"


class DonationRefused(ValueError):
    """A gift that cannot be accepted as asked (the message says why)."""


class InvalidTransition(ValueError):
    """A payment asked to move to a state its current state does not lead to."""


class RefundRefused(ValueError):
    """A refund larger than what was paid or than the pool can give back."""


def create_donation(campaign: Campaign, *, kind: DonationKind, designation: Designation, amount_idr: int,
                    worker: Worker | None = None, months: int | None = None,
                    workers_count: int | None = None, donor_id: int | None = None, donor_name: str = "",
                    donor_email: str | None = None, npwp: str | None = None, is_anonymous: bool = False,
                    message: str = "", funder: str | None = None) -> Donation:
    """Validate and store a gift (not yet paid)."""
    if campaign.status != CampaignStatus.open:
        raise DonationRefused("this campaign is not accepting gifts")
    if designation not in campaign.designations:
        raise DonationRefused(f"this campaign does not accept {designation.value}")
    if not isinstance(amount_idr, int) or amount_idr <= 0:
        raise DonationRefused("the amount must be a positive whole number of rupiah")
    if kind == DonationKind.worker:
        if worker is None or worker.campaign_id != campaign.id:
            raise DonationRefused("choose a worker of this campaign")
        if months not in SPONSOR_MONTHS:
            raise DonationRefused("a sponsorship is for 1, 3, 6 or 12 months")
    if kind == DonationKind.bulk and (not workers_count or not months or not 1 <= months <= 12):
        raise DonationRefused("a gift for many workers needs a number of workers and 1 to 12 months")
    donation = Donation(
        campaign_id=campaign.id, kind=kind, designation=designation, amount_idr=amount_idr,
        worker_id=worker.id if worker else None, months=months, workers_count=workers_count,
        donor_id=donor_id, donor_name=donor_name.strip(), donor_email=(donor_email or "").strip().lower() or None,
        npwp=npwp, is_anonymous=is_anonymous, message=message.strip(), funder=funder,
    )
    donation.campaign = campaign
    db.session.add(donation)
    db.session.flush()
    return donation


def start_payment(donation: Donation, provider: str, provider_ref: str | None = None) -> Payment:
    """Open a payment for the whole gift with ``provider``."""
    payment = Payment(donation_id=donation.id, provider=provider, provider_ref=provider_ref,
                      amount_idr=donation.amount_idr, state=PaymentState.created)
    db.session.add(payment)
    db.session.flush()
    return payment


def transition(payment: Payment, state: PaymentState) -> None:
    """Move a payment along the state machine or raise :class:`InvalidTransition`."""
    if state not in PAYMENT_TRANSITIONS[payment.state]:
        raise InvalidTransition(f"payment {payment.id} cannot go from {payment.state.value} to {state.value}")
    payment.state = state
    db.session.flush()


def fail_payment(payment: Payment, state: PaymentState = PaymentState.failed) -> bool:
    """Mark an unpaid payment failed or expired and free its worker; ``False`` if it was settled already."""
    if payment.state not in (PaymentState.created, PaymentState.pending):
        return False
    transition(payment, state)
    release_hold(payment.donation_id)
    return True


def confirm_payment(payment_id: int, *, amount_idr: int | None = None, today: dt.date | None = None,
                    now: dt.datetime | None = None) -> bool:
    """Book a payment as paid and fulfil its gift, exactly once.

    Called from webhooks and success pages alike. The conditional UPDATE is
    the lock: of any number of concurrent callers, one moves the payment to
    ``paid`` and fulfils it; the others return ``False``. A payment that had
    failed or expired here but that the provider reports as paid is still
    taken: money that arrived is never refused.
    """
    now = now or utcnow()
    values = {"state": PaymentState.paid, "paid_at": now}
    if amount_idr is not None:
        values["amount_idr"] = amount_idr
    claimed = db.session.execute(
        sa.update(Payment)
        .where(Payment.id == payment_id,
               Payment.state.in_([PaymentState.created, PaymentState.pending,
                                  PaymentState.failed, PaymentState.expired]))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return False
    payment = db.session.get(Payment, payment_id, populate_existing=True)
    donation = payment.donation
    ledger.post_entry(
        donation.campaign_id, "payment_received",
        [(Account.received, donation.designation, -payment.amount_idr),
         (Account.pool, donation.designation, payment.amount_idr)],
        payment_id=payment.id, memo=f"{payment.provider} payment for donation {donation.id}",
    )
    _fulfil(donation, payment.amount_idr, today=today, now=now)
    return True


def _fulfil(donation: Donation, amount_idr: int, *, today, now) -> None:
    """Turn a paid gift into coverage where it asked for it; the rest waits in the pool."""
    campaign = donation.campaign
    if donation.kind == DonationKind.worker:
        release_hold(donation.id)
        fund_sponsorship(campaign, donation.worker, donation.designation, months=donation.months,
                         budget=amount_idr, donation_id=donation.id, today=today, now=now)
    elif donation.kind == DonationKind.bulk:
        fund_new_workers(campaign, donation.designation, budget=amount_idr, workers=donation.workers_count,
                         months=donation.months, donation_id=donation.id, today=today, now=now)


def record_funding(campaign: Campaign, amount_idr: int, *, funder: str,
                   designation: Designation = Designation.csr, reference: str | None = None,
                   now: dt.datetime | None = None) -> Donation:
    """Record institutional or offline money (APBD, DBH Sawit, CSR transfer) into the pool.

    Idempotent by ``reference``: recording the same transfer twice returns the
    first record instead of counting the money twice.
    """
    funder = funder.strip()
    if not funder:
        raise DonationRefused("name the funder")
    reference = (reference or "").strip() or None
    if reference:
        existing = db.session.scalar(
            sa.select(Payment).where(Payment.provider == MANUAL_PROVIDER, Payment.provider_ref == reference)
        )
        if existing is not None:
            if existing.amount_idr != amount_idr or existing.donation.campaign_id != campaign.id:
                raise DonationRefused(f"reference {reference} was already recorded with other details")
            return existing.donation
    donation = create_donation(campaign, kind=DonationKind.funding, designation=designation,
                               amount_idr=amount_idr, donor_name=funder, funder=funder)
    payment = start_payment(donation, MANUAL_PROVIDER, reference)
    confirm_payment(payment.id, now=now)
    return donation


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
        raise RefundRefused(f"only a paid payment can be refunded (this one is {payment.state.value})")
    remaining = payment.amount_idr - payment.refunded_idr
    amount_idr = remaining if amount_idr is None else amount_idr
    if not 0 < amount_idr <= remaining:
        raise RefundRefused(f"a refund must be between Rp 1 and Rp {remaining}")
    pool = ledger.balance(donation.campaign_id, Account.pool, donation.designation)
    if pool < amount_idr:
        months = _unremitted_months(donation, today=today)
        # Refuse before releasing anything: a refused refund must leave the worker's months alone.
        available = pool + sum(month.premium_idr for month in months)
        if available < amount_idr:
            raise RefundRefused(
                f"only {rupiah(available)} can be refunded now: the rest of this gift has been sent to BPJS "
                "or already pays other workers' premiums"
            )
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
