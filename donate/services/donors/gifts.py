"""What a donor sees on their page: gifts, the workers they helped and where each one stands."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import (
    LIVE_STATES,
    Allocation,
    CoverageMonth,
    CoverageState,
    Donation,
    DonationKind,
    Payment,
    PaymentState,
    LIVE_SUBSCRIPTION_STATES,
    Subscription,
    SubscriptionState,
    Worker,
)
from ...months import current_month
from ..coverage.allocation import RENEWAL_HORIZON
from ..coverage.claims import impact_by_worker
from ..coverage.waitlist import ARREARS_MONTHS
from ..money.subscriptions import sponsorship_token
from .reminders import next_reminder_on


@dataclass(frozen=True)
class HelpedWorker:
    worker: Worker
    #: Months this donor's gifts paid for.
    months_funded: int
    #: The worker's coverage as a whole (every funder), first and last month.
    first_month: int
    last_month: int
    #: "protected", "waiting_bpjs", "lapsed" or "ended".
    state: str
    #: Coverage ends this month or next, or lapsed within the arrears window: time to renew.
    renewable: bool
    #: What BPJS paid on the worker's claims, said without naming anyone (``coverage.claims.impact_line``).
    impact: tuple[str, ...] = ()


def gifts_of(user) -> list[tuple[Donation, Payment | None]]:
    """Return the user's gifts, newest first, each with its latest payment."""
    donations = db.session.scalars(
        sa.select(Donation).where(Donation.donor_id == user.id).order_by(Donation.id.desc())
        .options(selectinload(Donation.payments))
    ).all()
    return [(d, d.payments[-1] if d.payments else None) for d in donations]


def pooled_remainders(gifts: list[tuple[Donation, Payment | None]]) -> dict[int, int]:
    """Return, by donation, the part of a paid sponsorship that went to the pool instead of the worker.

    A payment that arrives after its hold expired, for months someone else
    funded meanwhile, extends the worker at most ``MAX_MONTHS_AHEAD`` months
    ahead; the rest of the money stays in the campaign's pool.
    """
    paid = {d.id: d.amount_idr for d, p in gifts
            if d.kind == DonationKind.worker and p is not None and p.state == PaymentState.paid}
    if not paid:
        return {}
    spent = dict(db.session.execute(
        sa.select(Allocation.donation_id, sa.func.sum(Allocation.amount_idr))
        .where(Allocation.donation_id.in_(list(paid))).group_by(Allocation.donation_id)).all())
    return {d: amount - (spent.get(d) or 0) for d, amount in paid.items() if amount > (spent.get(d) or 0)}


def coverage_state(months: list[tuple[int, CoverageState]], month: int) -> tuple[str, int, int, bool]:
    """Return (state, first month, last month, renewable) from a worker's live months, sorted by month."""
    if not months:
        return "ended", month, month - 1, False
    first, last = months[0][0], months[-1][0]
    now = dict(months).get(month)
    if last < month:
        state = "lapsed" if last >= month - ARREARS_MONTHS else "ended"
    elif now == CoverageState.accepted:
        state = "protected"
    else:
        state = "waiting_bpjs"
    renewable = month - ARREARS_MONTHS <= last <= month + RENEWAL_HORIZON
    return state, first, last, renewable


def workers_helped(user, *, today: dt.date) -> list[HelpedWorker]:
    """Return every worker whose months the user's gifts paid for, with their claims (four queries, however many)."""
    month = current_month(today)
    funded = dict(db.session.execute(
        sa.select(CoverageMonth.worker_id, sa.func.count())
        .join(Allocation, Allocation.id == CoverageMonth.allocation_id)
        .join(Donation, Donation.id == Allocation.donation_id)
        .where(Donation.donor_id == user.id, CoverageMonth.state.in_(LIVE_STATES))
        .group_by(CoverageMonth.worker_id)
    ).all())
    if not funded:
        return []
    workers = {w.id: w for w in db.session.scalars(sa.select(Worker).where(Worker.id.in_(list(funded))))}
    months: dict[int, list[tuple[int, CoverageState]]] = defaultdict(list)
    for worker_id, number, state in db.session.execute(
        sa.select(CoverageMonth.worker_id, CoverageMonth.month, CoverageMonth.state)
        .where(CoverageMonth.worker_id.in_(list(funded)), CoverageMonth.state.in_(LIVE_STATES))
        .order_by(CoverageMonth.worker_id, CoverageMonth.month)
    ):
        months[worker_id].append((number, state))
    impact = impact_by_worker(list(funded))
    result = []
    for worker_id, count in funded.items():
        state, first, last, renewable = coverage_state(months[worker_id], month)
        result.append(HelpedWorker(workers[worker_id], count, first, last, state, renewable,
                                   tuple(impact.get(worker_id, ()))))
    return sorted(result, key=lambda h: (h.last_month, h.worker.id))


@dataclass(frozen=True)
class MonthlySponsorship:
    subscription: Subscription
    #: When its next reminder to pay comes (``None``: the provider charges by itself, or it has not started).
    next_reminder: dt.date | None
    #: The token of its link, which pays the next month (sponsorships by reminder only).
    token: str | None


def subscriptions_of(user, *, today: dt.date) -> list[MonthlySponsorship]:
    """Return the user's monthly sponsorships that are running or starting, with their next reminder."""
    found = db.session.scalars(
        sa.select(Subscription).where(Subscription.donor_id == user.id,
                                      Subscription.state.in_(LIVE_SUBSCRIPTION_STATES))
        .order_by(Subscription.id.desc())
    ).all()
    return [MonthlySponsorship(s, next_reminder_on(s, today=today), sponsorship_token(s) if s.by_reminder else None)
            for s in found if not _never_started(s)]


def _never_started(subscription: Subscription) -> bool:
    """Return whether a sponsorship's first payment failed or expired, so it will not start (unless paid after all)."""
    payments = subscription.donation.payments
    return subscription.state == SubscriptionState.pending and bool(payments) and \
        payments[-1].state in (PaymentState.failed, PaymentState.expired)


def recent_supporters(campaign, limit: int = 10) -> list[tuple[str, int, str, "dt.datetime"]]:
    """Return the latest paid gifts, anonymous ones as "Hamba Allah": (name, amount, message, paid at)."""
    # Read backwards along ``ix_payments_paid_at_id`` (paid time, then id) and stopped at ``limit``.
    rows = db.session.execute(
        sa.select(Donation, Payment.paid_at)
        .join(Payment, Payment.donation_id == Donation.id)
        .where(Donation.campaign_id == campaign.id, Payment.state == PaymentState.paid)
        .order_by(Payment.paid_at.desc(), Payment.id.desc()).limit(limit)
    ).all()
    return [(d.public_name, d.amount_idr, "" if d.message_hidden_at else d.message, paid_at) for d, paid_at in rows]
