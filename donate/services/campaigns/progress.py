"""Read a campaign's progress: workers funded and protected, money in and out, from the kept figures."""

import datetime as dt

import sqlalchemy as sa

from ...extensions import db
from ...models import (
    Account,
    Campaign,
    CoverageState,
    CoverageTally,
    DonorCount,
    WorkerTally,
)
from ...months import current_month
from ...regions import regency_name
from .. import ledger
from ..coverage.claims import claim_totals_query
from ..coverage.rates import base_premium
from ..coverage.waitlist import waiting_count


def campaign_progress(campaign: Campaign, *, today: dt.date) -> dict:
    """Return the figures of DESIGN's campaign API for one campaign.

    Each comes from a total kept in the transaction of the change that moves
    it (``services.tallies``, ``ledger``), so the cost does not grow with the
    campaign; ``check-ledger`` proves them equal to a recomputation.
    """
    month = current_month(today)
    per_region = db.session.execute(
        sa.select(WorkerTally.regency_code, WorkerTally.live_months, WorkerTally.workers)
        .where(WorkerTally.campaign_id == campaign.id, WorkerTally.workers != 0)).all()
    regional: dict[str, int] = {}
    for code, months, count in per_region:
        if months >= campaign.term_months:
            regional[code] = regional.get(code, 0) + count
    # The one-row figures in one round trip.
    claims = claim_totals_query(campaign.id)
    workers_protected, donors, claims_paid, claims_paid_idr = db.session.execute(sa.select(
        sa.select(sa.func.coalesce(sa.func.sum(CoverageTally.months), 0)).where(
            CoverageTally.campaign_id == campaign.id, CoverageTally.month == month,
            CoverageTally.state == CoverageState.accepted).scalar_subquery(),
        sa.select(DonorCount.donors).where(DonorCount.campaign_id == campaign.id).scalar_subquery(),
        claims["claims_paid"], claims["claims_paid_idr"])).one()
    donors = donors or 0
    books = ledger.balances(campaign.id)
    return {
        "slug": campaign.slug,
        "name": campaign.name,
        "status": campaign.status.value,
        "target_workers": campaign.target_workers,
        "term_months": campaign.term_months,
        "workers_registered": sum(n for _, _, n in per_region),
        "workers_waiting": waiting_count(campaign, today=today),
        "workers_funded": sum(regional.values()),
        "workers_protected": int(workers_protected),
        "worker_months_funded": sum(m * n for _, m, n in per_region),
        "raised_idr": -sum(books[Account.received].values()) - sum(books[Account.refunded].values())
                      - sum(books[Account.suspense].values()),
        "allocated_idr": sum(books[Account.allocated].values()) + sum(books[Account.remitted].values()),
        "pool_balance_idr": sum(books[Account.pool].values()),
        "donors": donors,
        "premium_idr": base_premium(month, jht=campaign.includes_jht),
        # Benefits BPJS paid for the campaign's workers (``services.coverage.claims``); not the campaign's money.
        "claims_paid": int(claims_paid),
        "claims_paid_idr": int(claims_paid_idr),
        "regions": [
            {"code": region.code, "name": regency_name(region.code), "target_workers": region.target_workers,
             "workers_funded": regional.get(region.code, 0)}
            for region in campaign.regions
        ],
    }
