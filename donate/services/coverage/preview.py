"""Allocation as managers run it: a preview inside a rolled-back savepoint, and the audited run."""

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from ... import jobs
from ...extensions import db
from ...models import (
    Account,
    Allocation,
    AllocationKind,
    BackgroundJob,
    Campaign,
    CoverageMonth,
    Designation,
    User,
    Worker,
)
from .. import ledger
from ..access import audit
from .allocation import DESIGNATION_ORDER, PASSES, allocate_pool


@dataclass
class PreviewRun:
    kind: AllocationKind
    designation: Designation
    workers: int
    months: int
    amount_idr: int


@dataclass
class AllocationPreview:
    runs: list[PreviewRun]
    #: regency code -> (renewals, new workers, amount)
    regions: dict[str, list[int]]
    pool_before: dict[Designation, int]
    pool_after: dict[Designation, int]

    @property
    def renewals(self) -> int:
        """Return how many workers the allocation would renew."""
        return self.total(AllocationKind.renewal)

    @property
    def new_workers(self) -> int:
        """Return how many waiting workers the allocation would enrol."""
        return self.total(AllocationKind.new)

    def total(self, kind: AllocationKind | None = None, attr: str = "workers") -> int:
        """Sum one figure over the runs, optionally of one kind."""
        return sum(getattr(r, attr) for r in self.runs if kind is None or r.kind == kind)


def preview_allocation(campaign: Campaign, *, today: dt.date, now: dt.datetime) -> AllocationPreview:
    """Run the allocation inside a savepoint, read what it did, and roll it back."""
    pool_before = {d: ledger.balance(campaign.id, Account.pool, d) for d in DESIGNATION_ORDER}
    savepoint = db.session.begin_nested()
    try:
        runs = allocate_pool(campaign, today=today, now=now)
        previews = [PreviewRun(r.kind, r.designation, r.workers, r.months, r.amount_idr) for r in runs]
        regions: dict[str, list[int]] = {}
        if runs:
            rows = db.session.execute(
                sa.select(Worker.regency_code, Allocation.kind, sa.func.count(sa.distinct(Worker.id)),
                          sa.func.sum(CoverageMonth.premium_idr))
                .join(CoverageMonth, CoverageMonth.worker_id == Worker.id)
                .join(Allocation, Allocation.id == CoverageMonth.allocation_id)
                .where(Allocation.id.in_([r.id for r in runs]))
                .group_by(Worker.regency_code, Allocation.kind))
            for code, kind, workers, amount in rows:
                entry = regions.setdefault(code, [0, 0, 0])
                entry[0 if kind == AllocationKind.renewal else 1] += workers
                entry[2] += int(amount)
        pool_after = {d: ledger.balance(campaign.id, Account.pool, d) for d in DESIGNATION_ORDER}
    finally:
        savepoint.rollback()
    return AllocationPreview(previews, dict(sorted(regions.items())), pool_before, pool_after)


def start_allocation(campaign: Campaign, *, user: User, today: dt.date) -> BackgroundJob:
    """Have the pool allocated off the request, as a job whose page shows each pass done."""
    return jobs.start_job("allocate_pool", campaign_id=campaign.id, user_id=user.id, total=len(PASSES),
                          params={"today": today.isoformat()})


@jobs.job("allocate_pool")
def run_allocation_job(job: BackgroundJob, progress, *, now: dt.datetime) -> dict:
    """Allocate the pool for the day the manager asked (the job's ``today``); return what the page shows."""
    campaign = db.session.get(Campaign, job.campaign_id)
    runs = run_allocation(campaign, user=db.session.get(User, job.user_id),
                          today=dt.date.fromisoformat(job.params["today"]), now=now, progress=progress)
    return {"runs": len(runs), "workers": sum(r.workers for r in runs), "months": sum(r.months for r in runs),
            "amount_idr": sum(r.amount_idr for r in runs)}


def run_allocation(campaign: Campaign, *, user: User, today: dt.date, now: dt.datetime,
                   progress=None) -> list[Allocation]:
    """Allocate the pool and log what was done."""
    runs = allocate_pool(campaign, today=today, now=now, progress=progress)
    audit.record_action(
        "allocation.run", user=user, campaign=campaign, subject=f"{len(runs)} runs",
        params={"runs": [{"kind": r.kind.value, "designation": r.designation.value, "workers": r.workers,
                          "months": r.months, "amount_idr": r.amount_idr} for r in runs]})
    return runs
