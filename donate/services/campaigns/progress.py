"""Read a campaign's progress: workers funded and protected, money in and out."""

import datetime as dt

import sqlalchemy as sa

from ...extensions import db
from ...models import (
    LIVE_STATES,
    RECEIVED_STATES,
    Account,
    Campaign,
    CoverageMonth,
    CoverageState,
    Donation,
    Payment,
    Worker,
)
from ...months import current_month
from ...regions import regency_name
from .. import ledger
from ..coverage.rates import base_premium
from ..coverage.waitlist import waiting_count


def _funded_workers(campaign: Campaign):
    """Subquery of workers with at least the campaign's term funded."""
    return (
        sa.select(CoverageMonth.worker_id)
        .where(CoverageMonth.campaign_id == campaign.id, CoverageMonth.state.in_(LIVE_STATES))
        .group_by(CoverageMonth.worker_id)
        .having(sa.func.count() >= campaign.term_months)
        .subquery("funded")
    )


def campaign_progress(campaign: Campaign, *, today: dt.date) -> dict:
    """Return the figures of DESIGN's campaign API for one campaign."""
    month = current_month(today)
    workers_registered = db.session.scalar(
        sa.select(sa.func.count()).select_from(Worker).where(Worker.campaign_id == campaign.id))
    workers_waiting = waiting_count(campaign, today=today)
    funded = _funded_workers(campaign)
    workers_funded = db.session.scalar(sa.select(sa.func.count()).select_from(funded))
    workers_protected = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(CoverageMonth.worker_id))).where(
            CoverageMonth.campaign_id == campaign.id, CoverageMonth.month == month,
            CoverageMonth.state == CoverageState.accepted))
    worker_months = db.session.scalar(
        sa.select(sa.func.count()).select_from(CoverageMonth).where(
            CoverageMonth.campaign_id == campaign.id, CoverageMonth.state.in_(LIVE_STATES)))
    books = ledger.balances(campaign.id)
    donors = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(
            sa.func.coalesce(Donation.donor_email, Donation.funder, sa.cast(Donation.id, sa.String)))))
        .select_from(Donation).join(Payment, Payment.donation_id == Donation.id)
        .where(Donation.campaign_id == campaign.id, Payment.state.in_(RECEIVED_STATES)))
    regional = dict(db.session.execute(
        sa.select(Worker.regency_code, sa.func.count())
        .join(funded, funded.c.worker_id == Worker.id)
        .group_by(Worker.regency_code)).all())
    return {
        "slug": campaign.slug,
        "name": campaign.name,
        "status": campaign.status.value,
        "target_workers": campaign.target_workers,
        "term_months": campaign.term_months,
        "workers_registered": workers_registered,
        "workers_waiting": workers_waiting,
        "workers_funded": workers_funded,
        "workers_protected": workers_protected,
        "worker_months_funded": worker_months,
        "raised_idr": -sum(books[Account.received].values()) - sum(books[Account.refunded].values())
                      - sum(books[Account.suspense].values()),
        "allocated_idr": sum(books[Account.allocated].values()) + sum(books[Account.remitted].values()),
        "pool_balance_idr": sum(books[Account.pool].values()),
        "donors": donors,
        "premium_idr": base_premium(month),
        "regions": [
            {"code": region.code, "name": regency_name(region.code), "target_workers": region.target_workers,
             "workers_funded": regional.get(region.code, 0)}
            for region in campaign.regions
        ],
    }
