"""Figures for a campaign's manager dashboard, read from coverage, the ledger and the audit log."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext, ngettext

from ...extensions import db
from ...labels import audit_action, journal_kind, label, provider_label
from ...models import (
    Allocation,
    AuditEvent,
    Campaign,
    CoverageMonth,
    CoverageState,
    CoverageTally,
    Journal,
    Payment,
    Posting,
    Worker,
    WorkerTally,
)
from ...months import current_month, month_end
from ...regions import regency_name
from ..access.audit_details import describe
from ..coverage.rates import base_premium, rates_for_months
from ..coverage.waitlist import last_live_months, waiting_by_regency
from .books import INDIVIDUALS, money_by_funder


def coverage_over_time(campaign: Campaign, *, today: dt.date,
                       months_back: int = 11, months_ahead: int = 6) -> list[tuple[int, int, int]]:
    """Return (month, workers funded, workers protected) for each month around today, from the tallies."""
    now = current_month(today)
    first, last = now - months_back, now + months_ahead
    counts: dict[int, list[int]] = {m: [0, 0] for m in range(first, last + 1)}
    rows = db.session.execute(
        sa.select(CoverageTally.month, CoverageTally.state, sa.func.sum(CoverageTally.months))
        .where(CoverageTally.campaign_id == campaign.id, CoverageTally.month.between(first, last))
        .group_by(CoverageTally.month, CoverageTally.state))
    for month, state, count in rows:
        counts[month][0] += int(count)
        if state == CoverageState.accepted:
            counts[month][1] += int(count)
    return [(month, funded, protected) for month, (funded, protected) in sorted(counts.items())]


@dataclass
class RegionRow:
    code: str
    name: str
    target: int | None
    registered: int = 0
    waiting: int = 0
    funded: int = 0
    protected: int = 0


def region_table(campaign: Campaign, *, today: dt.date) -> list[RegionRow]:
    """Return registered, waiting, funded and protected workers per regency, campaign regions first."""
    month = current_month(today)
    rows = {r.code: RegionRow(r.code, regency_name(r.code), r.target_workers) for r in campaign.regions}

    def row(code: str) -> RegionRow:
        return rows.setdefault(code, RegionRow(code, regency_name(code), None))

    for code, months, count in db.session.execute(
            sa.select(WorkerTally.regency_code, WorkerTally.live_months, WorkerTally.workers)
            .where(WorkerTally.campaign_id == campaign.id, WorkerTally.workers != 0)):
        row(code).registered += count
        if months >= campaign.term_months:
            row(code).funded += count
    for code, count in db.session.execute(
            sa.select(Worker.regency_code, sa.func.count())
            .join(CoverageMonth, CoverageMonth.worker_id == Worker.id)
            .where(CoverageMonth.campaign_id == campaign.id, CoverageMonth.month == month,
                   CoverageMonth.state == CoverageState.accepted)
            .group_by(Worker.regency_code)):
        row(code).protected = count
    for code, count in waiting_by_regency(campaign, today=today).items():
        row(code).waiting = count
    return sorted(rows.values(), key=lambda r: (r.target is None, r.code))


def worker_equivalent(campaign: Campaign, amount_idr: int, *, today: dt.date) -> int:
    """Return how many workers ``amount_idr`` covers for the campaign's term at today's base premium."""
    return amount_idr // (base_premium(current_month(today), jht=campaign.includes_jht) * campaign.term_months)


def public_funders(campaign: Campaign, *, today: dt.date) -> list[tuple[str, int, int]]:
    """Return (funder, net rupiah, workers covered for a term) for the public page; individual gifts together."""
    totals: dict[str, int] = defaultdict(int)
    for row in money_by_funder(campaign):
        totals[row.funder] += row.net_idr
    term_cost = base_premium(current_month(today), jht=campaign.includes_jht) * campaign.term_months
    return [(funder, amount, amount // term_cost)
            for funder, amount in sorted(totals.items(), key=lambda item: (item[0] == INDIVIDUALS, -item[1]))
            if amount > 0]


@dataclass
class Lapsing:
    workers: int
    renewal_idr: int
    #: (worker, last funded month), soonest first; at most ``limit``.
    sample: list[tuple[Worker, int]]


def _lapsing_query(campaign: Campaign, today: dt.date):
    """Return (worker_id, last live month) of workers whose coverage ends within 30 days."""
    horizon = today + dt.timedelta(days=30)
    months = [m for m in range(current_month(today), current_month(horizon) + 1)
              if today <= month_end(m) <= horizon]
    last = last_live_months(campaign.id)
    return last, last.c.last_month.in_(months or [-1])


def lapsing_workers(campaign: Campaign, *, today: dt.date, limit: int | None = 50) -> Lapsing:
    """Return the workers whose coverage ends in the next 30 days and what renewing them for a term costs."""
    last, ending = _lapsing_query(campaign, today)
    groups = db.session.execute(
        sa.select(last.c.last_month, Worker.monthly_income_idr, sa.func.count())
        .join(Worker, Worker.id == last.c.worker_id).where(ending)
        .group_by(last.c.last_month, Worker.monthly_income_idr)).all()
    total_workers, total = 0, 0
    if groups:
        first = min(g[0] for g in groups) + 1
        rates = rates_for_months(first, max(g[0] for g in groups) + campaign.term_months)
        for last_month, income, count in groups:
            per_worker = sum(rates[m].premium(income, jht=campaign.includes_jht)
                             for m in range(last_month + 1, last_month + 1 + campaign.term_months))
            total_workers += count
            total += per_worker * count
    query = (sa.select(Worker, last.c.last_month).join(last, last.c.worker_id == Worker.id).where(ending)
             .order_by(last.c.last_month, Worker.id))
    if limit is not None:
        query = query.limit(limit)
    sample = [(worker, month) for worker, month in db.session.execute(query)]
    return Lapsing(total_workers, total, sample)


@dataclass
class Activity:
    at: dt.datetime
    #: What happened, in the current locale.
    kind: str
    #: Its details, in the current locale.
    text: str
    who: str = ""
    amount_idr: int | None = None


def _journal_text(kind: str, payment: Payment | None, allocation: Allocation | None) -> str:
    """Describe a journal entry from the rows it points to (its stored memo is for the books, in English)."""
    if allocation is not None:
        return " · ".join((label(allocation.kind),
                           ngettext("%(num)s worker", "%(num)s workers", allocation.workers),
                           ngettext("%(num)s worker-month", "%(num)s worker-months", allocation.months)))
    if payment is not None:
        return gettext("gift %(gift)s, payment %(payment)s by %(provider)s", gift=payment.donation_id,
                       payment=payment.id, provider=provider_label(payment.provider))
    return ""


def recent_activity(campaign: Campaign, *, limit: int = 20) -> list[Activity]:
    """Return the latest ledger entries and staff actions of the campaign, newest first, in the current locale."""
    items = []
    amount = (sa.select(sa.func.sum(Posting.amount_idr))
              .where(Posting.journal_id == Journal.id, Posting.amount_idr > 0).scalar_subquery())
    journals = db.session.execute(
        sa.select(Journal.created_at, Journal.kind, Payment, Allocation, amount)
        .outerjoin(Payment, Payment.id == Journal.payment_id)
        .outerjoin(Allocation, Allocation.id == Journal.allocation_id)
        .where(Journal.campaign_id == campaign.id)
        .order_by(Journal.created_at.desc(), Journal.id.desc()).limit(limit))
    for at, kind, payment, allocation, total in journals:
        items.append(Activity(at, journal_kind(kind), _journal_text(kind, payment, allocation),
                              amount_idr=int(total or 0)))
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.campaign_id == campaign.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit))
    for event in events:
        items.append(Activity(event.at, audit_action(event.action), describe(event),
                              who=event.user.email if event.user else ""))
    items.sort(key=lambda a: a.at, reverse=True)
    return items[:limit]
