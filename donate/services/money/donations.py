"""Gifts and their payments: create, confirm (idempotently), record institutional funding, refund."""

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext

from ...extensions import db
from ...labels import label
from ...models import (
    PAYMENT_TRANSITIONS,
    Account,
    Campaign,
    CampaignStatus,
    Designation,
    Donation,
    DonationKind,
    MonthlyReminder,
    Payment,
    PaymentState,
    Subscription,
    SubscriptionState,
    User,
    Worker,
)
from ...months import month_index
from .. import ledger
from ..access import audit
from ..coverage.allocation import fund_new_workers, fund_sponsorship
from ..coverage.holds import release_hold
from ..errors import DomainError, Rupiah

#: Months a named sponsorship can buy at once (premiums are paid in advance for these).
SPONSOR_MONTHS = (1, 3, 6, 12)
#: Providers whose money arrives without a card checkout.
MANUAL_PROVIDER = "manual"


#: The most one gift or institutional funding may bring (Rp 1 trillion, far above any provincial budget line);
#: sums of many such amounts still fit the ledger's 64-bit columns.
MAX_AMOUNT_IDR = 1_000_000_000_000


class DonationRefused(DomainError):
    """A gift that cannot be accepted as asked (the message says why)."""


class PaymentUnavailable(DonationRefused):
    """The payment provider could not open the checkout; nothing was charged or kept."""

    def __init__(self, *, retryable: bool = True):
        super().__init__(lazy_gettext("the payment service is not answering. Nothing was charged; "
                                      "please try again in a few minutes.") if retryable else
                         lazy_gettext("the payment service refused to open the checkout. Nothing was charged; "
                                      "please try another payment method or contact us."))
        self.retryable = retryable


class InvalidTransition(DomainError):
    """A payment asked to move to a state its current state does not lead to."""


def create_donation(campaign: Campaign, *, kind: DonationKind, designation: Designation, amount_idr: int,
                    worker: Worker | None = None, months: int | None = None,
                    workers_count: int | None = None, donor_id: int | None = None, donor_name: str = "",
                    donor_email: str | None = None, npwp: str | None = None, is_anonymous: bool = False,
                    message: str = "", funder: str | None = None, locale: str = "id",
                    company_id: int | None = None) -> Donation:
    """Validate and store a gift (not yet paid)."""
    if campaign.status != CampaignStatus.open:
        raise DonationRefused(lazy_gettext("this campaign is not accepting gifts"))
    if designation not in campaign.designations:
        raise DonationRefused(lazy_gettext("this campaign does not accept %(designation)s"), designation=label(designation))
    if not isinstance(amount_idr, int) or amount_idr <= 0:
        raise DonationRefused(lazy_gettext("the amount must be a positive whole number of rupiah"))
    if amount_idr > MAX_AMOUNT_IDR:
        raise DonationRefused(lazy_gettext("one gift or funding is at most %(limit)s"), limit=Rupiah(MAX_AMOUNT_IDR))
    if kind == DonationKind.worker:
        if worker is None or worker.campaign_id != campaign.id:
            raise DonationRefused(lazy_gettext("choose a worker of this campaign"))
        if months not in SPONSOR_MONTHS:
            raise DonationRefused(lazy_gettext("a sponsorship is for 1, 3, 6 or 12 months"))
    if kind == DonationKind.bulk and (not workers_count or not months or not 1 <= months <= 12):
        raise DonationRefused(lazy_gettext("a gift for many workers needs a number of workers and 1 to 12 months"))
    donation = Donation(
        campaign_id=campaign.id, kind=kind, designation=designation, amount_idr=amount_idr,
        worker_id=worker.id if worker else None, months=months, workers_count=workers_count,
        donor_id=donor_id, donor_name=donor_name.strip(), donor_email=(donor_email or "").strip().lower() or None,
        npwp=npwp, is_anonymous=is_anonymous, message=message.strip(), funder=funder, locale=locale,
        company_id=company_id,
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
        raise InvalidTransition(lazy_gettext("payment %(payment)s cannot go from %(old)s to %(new)s"), payment=payment.id, old=payment.state.value, new=state.value)
    payment.state = state
    db.session.flush()


def fail_payment(payment: Payment, state: PaymentState = PaymentState.failed) -> bool:
    """Mark an unpaid payment failed or expired and free its worker; ``False`` if it was settled already."""
    if payment.state not in (PaymentState.created, PaymentState.pending):
        return False
    transition(payment, state)
    release_hold(payment.donation_id)
    return True


def confirm_payment(payment_id: int, *, today: dt.date, now: dt.datetime) -> bool:
    """Book a payment as paid and fulfil its gift, exactly once.

    Called from webhooks and success pages alike. The conditional UPDATE is
    the lock: of any number of concurrent callers, one moves the payment to
    ``paid`` and fulfils it; the others return ``False``. A payment that had
    failed or expired here but that the provider reports as paid is still
    taken: money that arrived is never refused.
    """
    values = {"state": PaymentState.paid, "paid_at": now}
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
        _keep_sponsorship_running(donation, today=today, now=now)
    elif donation.kind == DonationKind.bulk:
        fund_new_workers(campaign, donation.designation, budget=amount_idr, workers=donation.workers_count,
                         months=donation.months, donation_id=donation.id, today=today, now=now,
                         company_id=donation.company_id)


def _keep_sponsorship_running(donation: Donation, *, today: dt.date, now: dt.datetime) -> None:
    """A paid month of a sponsorship by reminder: the first one starts the reminders, a later one answers them.

    The reminders come each month on the day the first month was paid (the
    last day of a shorter month); the month it started needs none.
    """
    condition = Subscription.donation_id == donation.id
    if donation.subscription_id is not None:
        condition = sa.or_(condition, Subscription.id == donation.subscription_id)
    subscription = db.session.scalar(sa.select(Subscription).where(condition, Subscription.by_reminder.is_(True)))
    if subscription is None:
        return
    if subscription.donation_id == donation.id:
        if subscription.state == SubscriptionState.pending:
            subscription.state = SubscriptionState.active
            subscription.reminder_day = today.day
            subscription.reminded_month = month_index(today)
    else:
        subscription.unanswered_reminders = 0
        db.session.execute(sa.update(MonthlyReminder)
                           .where(MonthlyReminder.subscription_id == subscription.id, MonthlyReminder.paid_at.is_(None))
                           .values(paid_at=now).execution_options(synchronize_session=False))
    db.session.flush()


def record_funding(campaign: Campaign, amount_idr: int, *, funder: str,
                   designation: Designation = Designation.csr, reference: str | None = None,
                   today: dt.date, now: dt.datetime) -> Donation:
    """Record institutional or offline money (APBD, DBH Sawit, CSR transfer) into the pool.

    Idempotent by ``reference``: recording the same transfer twice returns the
    first record instead of counting the money twice.
    """
    funder = funder.strip()
    if not funder:
        raise DonationRefused(lazy_gettext("name the funder"))
    reference = (reference or "").strip() or None
    if reference:
        existing = db.session.scalar(
            sa.select(Payment).where(Payment.provider == MANUAL_PROVIDER, Payment.provider_ref == reference)
        )
        if existing is not None:
            if existing.amount_idr != amount_idr or existing.donation.campaign_id != campaign.id:
                raise DonationRefused(lazy_gettext("reference %(reference)s was already recorded with other details"), reference=reference)
            return existing.donation
    donation = create_donation(campaign, kind=DonationKind.funding, designation=designation,
                               amount_idr=amount_idr, donor_name=funder, funder=funder)
    payment = start_payment(donation, MANUAL_PROVIDER, reference)
    confirm_payment(payment.id, today=today, now=now)
    return donation


def record_institutional_funding(campaign: Campaign, amount_idr: int, *, user: User, funder: str,
                                 designation: Designation, reference: str | None, source: str,
                                 today: dt.date, now: dt.datetime):
    """Record an institutional or offline gift (APBD, DBH Sawit, CSR, transfer) through the ledger."""
    donation = record_funding(campaign, amount_idr, funder=funder, designation=designation, reference=reference,
                              today=today, now=now)
    audit.record_action("funding.record", user=user, campaign=campaign, subject=f"donation {donation.id}",
                        params={"donation": donation.id, "source": source, "funder": donation.funder,
                                "amount_idr": amount_idr, "designation": designation.value,
                                "reference": (reference or "").strip()})
    return donation
