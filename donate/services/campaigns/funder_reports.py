"""Reports for funders (APBD, DBH Sawit, a company's CSR, BAZNAS): what their money did, by period and region.

A funder is named on its gifts (``Donation.funder``; online donors together
as :data:`books.INDIVIDUALS`), as the funder tallies know it. Money in is
counted from the funder's payments in the period. Coverage is counted two
ways, both exact and neither estimated:

* *direct*: months bought by the funder's own gifts for named workers, for
  N × M or for its own list (the allocation names the gift);
* *pooled*: months the campaign bought from its pool (money of every pool
  gift and institutional funding together), beside the funder's share of
  that pool money, so the reader sees what the share stands for.

Workers, worker-months, months accepted by BPJS, lapses (cover over and the
arrears window past, ``coverage.waitlist.lapsed_member``) and claims are
given per regency, over the coverage months of the period.
"""

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa

from ...extensions import db
from ...models import (
    LIVE_STATES,
    RECEIVED_STATES,
    Allocation,
    Campaign,
    Claim,
    CoverageMonth,
    CoverageState,
    Donation,
    DonationKind,
    Payment,
    Worker,
)
from ...months import current_month, month_code, month_end, month_start
from ...regions import regency_name
from ..coverage.claims import CLAIM_PAID_IDR
from ..coverage.waitlist import lapsed_member
from ..csvfiles import write_csv
from .books import INDIVIDUALS, money_by_funder

#: Gifts whose money goes to the pool unearmarked: the pooled months are theirs together.
POOLED_KINDS = (DonationKind.pool, DonationKind.funding)


@dataclass
class RegionLine:
    code: str
    name: str
    workers: int = 0
    worker_months: int = 0
    months_accepted: int = 0
    lapsed: int = 0
    claims: int = 0
    claims_idr: int = 0


@dataclass
class FunderReport:
    campaign: Campaign
    #: The funder's name, or :data:`INDIVIDUALS` for online donors together.
    funder: str
    first_month: int
    last_month: int
    gifts: int = 0
    received_idr: int = 0
    refunded_idr: int = 0
    #: The funder's part of all unearmarked money the pool ever received, in parts per thousand.
    pool_share_permille: int = 0
    direct: list[RegionLine] = field(default_factory=list)
    pooled: list[RegionLine] = field(default_factory=list)

    @property
    def net_idr(self) -> int:
        """Return the money of the period that stayed with the campaign."""
        return self.received_idr - self.refunded_idr

    @staticmethod
    def total(lines: list[RegionLine]) -> RegionLine:
        """Return the sum of region lines (workers are distinct within a regency, so the sum is exact)."""
        total = RegionLine("", "")
        for line in lines:
            for name in ("workers", "worker_months", "months_accepted", "lapsed", "claims", "claims_idr"):
                setattr(total, name, getattr(total, name) + getattr(line, name))
        return total


def funder_names(campaign: Campaign) -> list[str]:
    """Return the campaign's funders that brought money, as the funder tallies name them (online donors last)."""
    names: list[str] = []
    for row in money_by_funder(campaign):
        if row.funder not in names:
            names.append(row.funder)
    return names


def _funder_is(funder: str):
    return sa.func.coalesce(Donation.funder, INDIVIDUALS) == funder


def _money(report: FunderReport) -> None:
    """Count the funder's payments received in the period, and the refunds of them."""
    start = dt.datetime.combine(month_start(report.first_month), dt.time())
    end = dt.datetime.combine(month_end(report.last_month) + dt.timedelta(days=1), dt.time())
    gifts, received, refunded = db.session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Payment.amount_idr), 0),
                  sa.func.coalesce(sa.func.sum(Payment.refunded_idr), 0))
        .join(Donation, Donation.id == Payment.donation_id)
        .where(Donation.campaign_id == report.campaign.id, _funder_is(report.funder),
               Payment.state.in_(RECEIVED_STATES), Payment.paid_at >= start, Payment.paid_at < end)).one()
    report.gifts, report.received_idr, report.refunded_idr = gifts, int(received), int(refunded)
    net = Payment.amount_idr - Payment.refunded_idr
    mine, whole = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(sa.case((_funder_is(report.funder), net), else_=0)), 0),
                  sa.func.coalesce(sa.func.sum(net), 0))
        .join(Donation, Donation.id == Payment.donation_id)
        .where(Donation.campaign_id == report.campaign.id, Donation.kind.in_(POOLED_KINDS),
               Payment.state.in_(RECEIVED_STATES))).one()
    mine, whole = int(mine), int(whole)
    report.pool_share_permille = (mine * 1000 + whole // 2) // whole if whole else 0


def _lines(report: FunderReport, attribution, *, today: dt.date) -> list[RegionLine]:
    """Return the coverage of the period per regency for the months ``attribution`` selects."""
    period = (CoverageMonth.campaign_id == report.campaign.id,
              CoverageMonth.month.between(report.first_month, report.last_month), attribution)
    lines: dict[str, RegionLine] = {}

    def line(code: str) -> RegionLine:
        return lines.setdefault(code, RegionLine(code, regency_name(code)))

    for code, workers, months, accepted in db.session.execute(
            sa.select(Worker.regency_code, sa.func.count(sa.distinct(CoverageMonth.worker_id)), sa.func.count(),
                      sa.func.sum(sa.case((CoverageMonth.state == CoverageState.accepted, 1), else_=0)))
            .join(Worker, Worker.id == CoverageMonth.worker_id)
            .join(Allocation, Allocation.id == CoverageMonth.allocation_id)
            .where(*period, CoverageMonth.state.in_(LIVE_STATES)).group_by(Worker.regency_code)):
        item = line(code)
        item.workers, item.worker_months, item.months_accepted = workers, months, int(accepted or 0)
    for code, lapsed in db.session.execute(
            sa.select(Worker.regency_code, sa.func.count(sa.distinct(Worker.id)))
            .join(CoverageMonth, CoverageMonth.worker_id == Worker.id)
            .join(Allocation, Allocation.id == CoverageMonth.allocation_id)
            .where(*period, CoverageMonth.state.in_(LIVE_STATES), lapsed_member(current_month(today)))
            .group_by(Worker.regency_code)):
        line(code).lapsed = lapsed
    for code, claims, paid in db.session.execute(
            sa.select(Worker.regency_code, sa.func.count(), sa.func.sum(CLAIM_PAID_IDR))
            .join(CoverageMonth, CoverageMonth.id == Claim.coverage_month_id)
            .join(Worker, Worker.id == Claim.worker_id)
            .join(Allocation, Allocation.id == CoverageMonth.allocation_id)
            .where(*period).group_by(Worker.regency_code)):
        item = line(code)
        item.claims, item.claims_idr = claims, int(paid or 0)
    return sorted(lines.values(), key=lambda r: r.code)


def funder_report(campaign: Campaign, funder: str, *, first_month: int, last_month: int,
                  today: dt.date) -> FunderReport:
    """Return what ``funder``'s money did in the campaign over the months ``first_month`` to ``last_month``."""
    report = FunderReport(campaign, funder, first_month, last_month)
    _money(report)
    own = sa.select(Donation.id).where(Donation.campaign_id == campaign.id, _funder_is(funder))
    report.direct = _lines(report, Allocation.donation_id.in_(own), today=today)
    report.pooled = _lines(report, Allocation.donation_id.is_(None), today=today)
    return report


#: Columns of the report's CSV: one row per attribution and regency, each with the funder's money of the period.
CSV_COLUMNS = ("funder", "period_from", "period_to", "gifts", "received_idr", "refunded_idr", "net_idr",
               "pool_share_percent", "attribution", "regency_code", "regency_name", "workers", "worker_months",
               "months_accepted", "lapsed", "claims", "claims_idr")


def funder_report_csv(report: FunderReport) -> str:
    """Return the report as CSV (the one CSV writer): coverage per regency, direct and pooled."""
    money = (report.funder or "online donors", month_code(report.first_month), month_code(report.last_month),
             report.gifts, report.received_idr, report.refunded_idr, report.net_idr,
             f"{report.pool_share_permille / 10:.1f}")
    return write_csv(CSV_COLUMNS, (
        (*money, attribution, line.code, line.name, line.workers, line.worker_months, line.months_accepted,
         line.lapsed, line.claims, line.claims_idr)
        for attribution, lines in (("direct", report.direct), ("pooled", report.pooled)) for line in lines))
