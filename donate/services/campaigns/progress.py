"""Read a campaign's progress: workers funded and protected, money in and out, from the kept figures."""

import datetime as dt
import functools

import sqlalchemy as sa

from ... import cache
from ...extensions import db
from ...models import (
    Account,
    AccountBalance,
    Campaign,
    CampaignRegion,
    CoverageState,
    CoverageTally,
    DonorCount,
    EligibleTally,
    WorkerTally,
)
from ...months import current_month
from ...regions import regency_name
from ..coverage.claims import claim_totals_query
from ..coverage.rates import base_premium
from ..coverage.waitlist import needs_mustahik, waiting_tallies
from ..locks import figures_changed_here

T = WorkerTally


def _total(column, *conditions):
    """Return a scalar subquery summing ``column`` over the rows meeting ``conditions`` (0 for none)."""
    return sa.select(sa.func.coalesce(sa.func.sum(column), 0)).where(*conditions).scalar_subquery()


@functools.cache
def _figures(zakat_rule: bool) -> sa.Select:
    """Select every one-number figure of a campaign in one statement, built once (bound parameters)."""
    campaign, month, term = sa.bindparam("campaign"), sa.bindparam("month"), sa.bindparam("term")
    mine = T.campaign_id == campaign

    def balance(*accounts: Account):
        return _total(AccountBalance.balance_idr, AccountBalance.campaign_id == campaign,
                      AccountBalance.account.in_(accounts))

    return sa.select(
        _total(T.workers, mine),
        _total(T.workers, mine, T.live_months >= term),
        _total(T.workers * T.live_months, mine),
        _total(CoverageTally.months, CoverageTally.campaign_id == campaign, CoverageTally.month == month,
               CoverageTally.state == CoverageState.accepted),
        _total(DonorCount.donors, DonorCount.campaign_id == campaign),
        _total(EligibleTally.workers, *waiting_tallies(campaign, month, zakat_rule)),
        balance(Account.received, Account.refunded, Account.suspense),
        balance(Account.allocated, Account.remitted),
        balance(Account.pool),
        *claim_totals_query(campaign).values(),
    )


#: The campaign's regions with the workers funded in each.
_REGIONS = (
    sa.select(CampaignRegion.code, CampaignRegion.target_workers,
              _total(T.workers, T.campaign_id == CampaignRegion.campaign_id, T.regency_code == CampaignRegion.code,
                     T.live_months >= sa.bindparam("term")))
    .where(CampaignRegion.campaign_id == sa.bindparam("campaign")).order_by(CampaignRegion.code)
)


def campaign_progress(campaign: Campaign, *, today: dt.date) -> dict:
    """Return the figures of DESIGN's campaign API for one campaign.

    Each comes from a total kept in the transaction of the change that moves
    it (``services.tallies``, ``ledger``), summed by the database in two
    statements, so the cost does not grow with the campaign; ``check-ledger``
    proves them equal to a recomputation. With a cache, they are kept there
    under the campaign's figures version (``services.locks``) and the day,
    unless this transaction changed a campaign itself (its figures are then
    not committed, nor is their version the one loaded).
    """
    if campaign.figures_version is None or figures_changed_here():
        return _progress(campaign, today)
    return cache.remembered(f"progress:{campaign.id}:{campaign.figures_version}:{today.isoformat()}",
                            lambda: _progress(campaign, today))


def _progress(campaign: Campaign, today: dt.date) -> dict:
    """Return the campaign's figures, read from the kept totals."""
    month = current_month(today)
    params = {"campaign": campaign.id, "month": month, "term": campaign.term_months}
    (registered, funded, worker_months, protected, donors, waiting, received, allocated, pool, claims_paid,
     claims_paid_idr) = (int(value) for value in
                         db.session.execute(_figures(needs_mustahik(campaign, None)), params).one())
    return {
        "slug": campaign.slug,
        "name": campaign.name,
        "status": campaign.status.value,
        "target_workers": campaign.target_workers,
        "term_months": campaign.term_months,
        "workers_registered": registered,
        "workers_waiting": waiting,
        "workers_funded": funded,
        "workers_protected": protected,
        "worker_months_funded": worker_months,
        "raised_idr": -received,
        "allocated_idr": allocated,
        "pool_balance_idr": pool,
        "donors": donors,
        "premium_idr": base_premium(month, jht=campaign.includes_jht),
        # Benefits BPJS paid for the campaign's workers (``services.coverage.claims``); not the campaign's money.
        "claims_paid": claims_paid,
        "claims_paid_idr": claims_paid_idr,
        "regions": [
            {"code": code, "name": regency_name(code), "target_workers": target, "workers_funded": int(count)}
            for code, target, count in db.session.execute(_REGIONS, params)
        ],
    }
