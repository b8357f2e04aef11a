"""Match pooled money to workers, in whole months, with set-based SQL.

Order of precedence (DESIGN "Allocation"):

1. renewals: workers whose funded coverage ends this month or next, or who
   are inside the three-month arrears window, soonest first, so nobody
   protected falls out;
2. new workers from the waitlist (verified, consented, eligible for the
   money's designation) by priority then registration time, within region
   targets, each for a full term;
3. a strict prefix of that queue: the first worker the money cannot cover
   stops the run (nobody behind them jumps the queue); the rest stays in the
   pool.

Each pass is one ``INSERT ... SELECT`` whatever the number of workers. The
caller's campaign lock (``lock_campaign``) serialises passes, and the unique
(worker, month) constraint makes double funding impossible regardless.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from ...extensions import db
from ...models import (
    LIVE_STATES,
    Account,
    Allocation,
    AllocationKind,
    Campaign,
    CampaignRegion,
    CoverageMonth,
    CoverageState,
    Designation,
    Worker,
)
from ...months import current_month
from .. import ledger, tallies
from ..locks import lock_campaign
from .rates import rates_for_months
from .waitlist import (
    ARREARS_MONTHS,
    QUEUE_ORDER,
    eligible,
    is_fundable,
    last_live_months,
    next_fundable_month,
    not_held,
    queue_head,
    still_member,
)

#: Coverage ending within this many months of now is renewed.
RENEWAL_HORIZON = 1
#: Zakat first: it may fund only mustahik, so it goes where other money cannot.
DESIGNATION_ORDER = (Designation.zakat, Designation.infak, Designation.csr)

W = Worker.__table__
C = CoverageMonth.__table__


@dataclass(frozen=True)
class Pass:
    """What one allocation pass should do."""

    campaign: Campaign
    designation: Designation
    kind: AllocationKind
    month: int
    budget: int
    months: int
    #: When the pass runs: holds still open then keep their workers out, and months are stamped with it.
    now: dt.datetime
    max_workers: int | None = None
    #: A company's gift: only the workers of its list (``waitlist.eligible``).
    company_id: int | None = None


#: The passes of one allocation, in order: renewals, then new workers, each designation in turn.
PASSES = tuple((kind, designation) for kind in (AllocationKind.renewal, AllocationKind.new)
               for designation in DESIGNATION_ORDER)


def allocate_pool(campaign: Campaign, *, today: dt.date, now: dt.datetime,
                  progress: Callable[[int], None] | None = None) -> list[Allocation]:
    """Spend the campaign's pool on renewals, then new workers; return the runs made.

    ``progress`` hears how many of the ``PASSES`` are done after each.
    """
    lock_campaign(campaign.id)
    month = current_month(today)
    runs = []
    for done, (kind, designation) in enumerate(PASSES, start=1):
        budget = ledger.balance(campaign.id, Account.pool, designation)
        if budget > 0:
            run = run_pass(Pass(campaign, designation, kind, month, budget, campaign.term_months, now=now))
            if run is not None:
                runs.append(run)
        if progress is not None:
            progress(done)
    return runs


def fund_new_workers(campaign: Campaign, designation: Designation, *, budget: int, workers: int,
                     months: int, donation_id: int | None = None, today: dt.date,
                     now: dt.datetime, company_id: int | None = None) -> Allocation | None:
    """Enrol up to ``workers`` waiting workers (of a company's list, with ``company_id``) for ``months`` months each."""
    lock_campaign(campaign.id)
    budget = min(budget, ledger.balance(campaign.id, Account.pool, designation))
    spec = Pass(campaign, designation, AllocationKind.new, current_month(today), budget, months,
                max_workers=workers, now=now, company_id=company_id)
    return run_pass(spec, donation_id=donation_id)


def run_pass(spec: Pass, donation_id: int | None = None) -> Allocation | None:
    """Insert the coverage months one pass chooses and book them; ``None`` if it chose nobody."""
    run = Allocation(campaign_id=spec.campaign.id, kind=spec.kind, designation=spec.designation,
                     donation_id=donation_id)
    db.session.add(run)
    db.session.flush()

    rates = _rates_cte(spec)
    chosen = _chosen(spec, rates).cte("chosen")
    created = spec.now
    rows = (
        sa.select(
            chosen.c.worker_id,
            rates.c.month,
            sa.literal(spec.campaign.id, sa.Integer),
            _premium(rates, chosen.c.income),
            sa.literal(spec.designation, C.c.designation.type),
            sa.literal(run.id, sa.Integer),
            sa.literal(CoverageState.funded, C.c.state.type),
            sa.literal(created, sa.DateTime),
        )
        .select_from(chosen)
        .join(rates, sa.and_(rates.c.month >= chosen.c.start_month,
                             rates.c.month < chosen.c.start_month + spec.months))
    )
    inserted = db.session.execute(
        sa.insert(C).from_select(
            ["worker_id", "month", "campaign_id", "premium_idr", "designation",
             "allocation_id", "state", "created_at"],
            rows,
        )
    ).rowcount
    if inserted:  # a pass that chose nobody has nothing to count (-1: the driver cannot tell, so count)
        tallies.count_new_months(run.id)
        workers, months, amount = db.session.execute(
            sa.select(sa.func.count(sa.distinct(C.c.worker_id)), sa.func.count(),
                      sa.func.coalesce(sa.func.sum(C.c.premium_idr), 0))
            .where(C.c.allocation_id == run.id)
        ).one()
    else:
        workers = months = amount = 0
    if not months:
        db.session.delete(run)
        db.session.flush()
        return None
    run.workers, run.months, run.amount_idr = workers, months, int(amount)
    ledger.post_entry(
        spec.campaign.id, "allocation",
        [(Account.pool, spec.designation, -run.amount_idr),
         (Account.allocated, spec.designation, run.amount_idr)],
        allocation_id=run.id,
        memo=f"{spec.kind.value}: {workers} workers, {months} months",
    )
    return run


def _rates_cte(spec: Pass) -> sa.CTE:
    """Return a small table of (month, rate) for every month a pass can touch."""
    first = spec.month - ARREARS_MONTHS
    last = spec.month + RENEWAL_HORIZON + 1 + spec.months
    selects = [
        sa.select(
            sa.literal_column(str(int(month))).label("month"),
            sa.literal_column(str(int(rate.jkk_basis_points))).label("jkk_bp"),
            sa.literal_column(str(int(rate.min_income_idr))).label("min_income"),
            sa.literal_column(str(int(rate.jkm_idr))).label("jkm"),
            # The campaign's package: JHT's share of income, or none.
            sa.literal_column(str(int(rate.jht_basis_points if spec.campaign.includes_jht else 0))).label("jht_bp"),
        )
        for month, rate in rates_for_months(first, last).items()
    ]
    return sa.union_all(*selects).cte("month_rates")


def _premium(rates, income):
    """SQL for ``PremiumRate.premium``: JKK on declared income (at least the minimum), plus JKM, plus any JHT."""
    declared = sa.case((income < rates.c.min_income, rates.c.min_income), else_=income)
    return (rates.c.jkk_bp * declared + 5000) // 10000 + rates.c.jkm + (rates.c.jht_bp * declared + 5000) // 10000


def _eligible(spec: Pass):
    """Conditions every funded worker meets, whatever the pass: the waitlist's, and not held by a donor."""
    return [*eligible(spec.campaign, spec.designation, company_id=spec.company_id), not_held(spec.now)]


def _candidates(spec: Pass, *, regional: bool = True) -> sa.Select:
    """Return (worker_id, start_month, income, queue_pos, region_rank) for the pass's queue.

    ``region_rank`` (the place in the region's own queue) costs a second sort
    of the whole waitlist, so it is only worked out when ``regional``.
    """
    if spec.kind == AllocationKind.renewal:
        last = last_live_months(spec.campaign.id)
        order = (last.c.last_month, *QUEUE_ORDER)
        return (
            sa.select(
                W.c.id.label("worker_id"),
                (last.c.last_month + 1).label("start_month"),
                W.c.monthly_income_idr.label("income"),
                W.c.regency_code,
                sa.func.row_number().over(order_by=order).label("queue_pos"),
                sa.literal_column("1").label("region_rank"),
            )
            .join(last, last.c.worker_id == W.c.id)
            .where(*_eligible(spec),
                   last.c.last_month.between(spec.month - ARREARS_MONTHS, spec.month + RENEWAL_HORIZON))
        )
    limit = None if regional else _most_workers(spec)
    if limit is not None:
        # Only the queue's first few can be funded (N asked, or what the budget covers at the least premium):
        # read them along the index, not the whole queue.
        head = queue_head(sa.select(W.c.id.label("worker_id"), W.c.monthly_income_idr.label("income"),
                                    W.c.regency_code).where(*_eligible(spec)), spec.month, limit)
        return sa.select(
            head.c.worker_id,
            sa.literal_column(str(int(spec.month))).label("start_month"),
            head.c.income,
            head.c.regency_code,
            sa.func.row_number().over(order_by=(head.c.priority.desc(), head.c.registered_at, head.c.queue_id))
            .label("queue_pos"),
            sa.literal_column("1").label("region_rank"),
        )
    order = QUEUE_ORDER
    region_rank = (sa.func.row_number().over(partition_by=W.c.regency_code, order_by=order) if regional
                   else sa.literal_column("1"))
    return sa.select(
        W.c.id.label("worker_id"),
        sa.literal_column(str(int(spec.month))).label("start_month"),
        W.c.monthly_income_idr.label("income"),
        W.c.regency_code,
        sa.func.row_number().over(order_by=order).label("queue_pos"),
        region_rank.label("region_rank"),
    ).where(*_eligible(spec), ~still_member(spec.month))


def _most_workers(spec: Pass) -> int | None:
    """Return how many new workers a pass can fund at most: those asked for, and those the budget covers.

    Nobody's term costs less than the premium at the minimum declared income,
    so a strict prefix the budget pays for is never longer than the budget
    over that: the exact answer is found among that many at the queue's head.
    """
    rates = rates_for_months(spec.month, spec.month + spec.months - 1)
    jht = spec.campaign.includes_jht
    least = sum(rates[m].premium(0, jht=jht) for m in range(spec.month, spec.month + spec.months))
    affordable = spec.budget // least if least > 0 else None
    if spec.max_workers is None:
        return affordable
    return spec.max_workers if affordable is None else min(spec.max_workers, affordable)


def _has_region_targets(spec: Pass) -> bool:
    """Return whether any of the campaign's regions has a target that can cap new workers."""
    R = CampaignRegion.__table__
    return bool(db.session.scalar(sa.select(sa.exists().where(
        R.c.campaign_id == spec.campaign.id, R.c.target_workers.is_not(None)))))


def _region_room(spec: Pass) -> sa.Subquery:
    """Return (code, room): how many more workers each capped region may take."""
    R = CampaignRegion.__table__
    taken = (
        sa.select(W.c.regency_code, sa.func.count(sa.distinct(C.c.worker_id)).label("taken"))
        .join(C, C.c.worker_id == W.c.id)
        .where(W.c.campaign_id == spec.campaign.id, C.c.state.in_([s.value for s in LIVE_STATES]))
        .group_by(W.c.regency_code)
        .subquery("taken")
    )
    return (
        sa.select(R.c.code, (R.c.target_workers - sa.func.coalesce(taken.c.taken, 0)).label("room"))
        .outerjoin(taken, taken.c.regency_code == R.c.code)
        .where(R.c.campaign_id == spec.campaign.id, R.c.target_workers.is_not(None))
        .subquery("region_room")
    )


def _chosen(spec: Pass, rates: sa.CTE) -> sa.Select:
    """Return (worker_id, start_month, income) of the queue's prefix the budget covers."""
    # A renewing worker already counts toward the region's target; capping would let them lapse.
    regional = spec.kind != AllocationKind.renewal and _has_region_targets(spec)
    cand = _candidates(spec, regional=regional).subquery("candidates")
    if not regional:
        capped = cand
    else:
        room = _region_room(spec)
        capped = (
            sa.select(cand)
            .outerjoin(room, room.c.code == cand.c.regency_code)
            .where(sa.or_(room.c.room.is_(None), cand.c.region_rank <= room.c.room))
            .subquery("capped")
        )
    # Each worker's premiums over the months they would get: a scalar subquery over the small rates
    # table, which saves a join and a GROUP BY (a sort) over the whole queue.
    cost = (
        sa.select(sa.func.sum(_premium(rates, capped.c.income)))
        .where(rates.c.month >= capped.c.start_month, rates.c.month < capped.c.start_month + spec.months)
        .correlate(capped)
        .scalar_subquery()
    )
    costed = (
        sa.select(capped.c.worker_id, capped.c.start_month, capped.c.income, capped.c.queue_pos,
                  cost.label("cost"))
        .subquery("costed")
    )
    ranked = sa.select(
        costed.c.worker_id, costed.c.start_month, costed.c.income,
        sa.func.sum(costed.c.cost).over(order_by=costed.c.queue_pos).label("running"),
        sa.func.row_number().over(order_by=costed.c.queue_pos).label("position"),
    ).subquery("ranked")
    chosen = sa.select(ranked.c.worker_id, ranked.c.start_month, ranked.c.income).where(
        ranked.c.running <= spec.budget
    )
    if spec.max_workers is not None:
        chosen = chosen.where(ranked.c.position <= spec.max_workers)
    return chosen


#: The furthest a sponsorship funds a worker: coverage ends within this many months from now.
MAX_MONTHS_AHEAD = 12


def fund_sponsorship(campaign: Campaign, worker: Worker, designation: Designation, *, months: int,
                     budget: int, donation_id: int, today: dt.date,
                     now: dt.datetime) -> Allocation | None:
    """Fund up to ``months`` consecutive months of a named worker from the pool.

    The months follow whatever coverage the worker already has, so a payment
    that arrives after its hold expired and someone else funded the worker
    extends the coverage instead of colliding with it. Whatever the budget
    cannot turn into whole months stays in the pool, and so does money for
    months more than ``MAX_MONTHS_AHEAD`` ahead: late payments for "the same
    three months" cannot stack a worker years into the future.
    """
    lock_campaign(campaign.id)
    if not is_fundable(worker, designation, campaign):
        return None
    budget = min(budget, ledger.balance(campaign.id, Account.pool, designation))
    start = next_fundable_month(worker.id, current_month(today))
    end = min(start + months, current_month(today) + MAX_MONTHS_AHEAD)
    if end <= start:
        return None
    rates = rates_for_months(start, end - 1)
    bought: list[tuple[int, int]] = []
    for month in range(start, end):
        premium = rates[month].premium(worker.monthly_income_idr, jht=campaign.includes_jht)
        if sum(p for _, p in bought) + premium > budget:
            break
        bought.append((month, premium))
    if not bought:
        return None
    run = Allocation(campaign_id=campaign.id, kind=AllocationKind.sponsorship, designation=designation,
                     donation_id=donation_id, workers=1, months=len(bought),
                     amount_idr=sum(p for _, p in bought))
    db.session.add(run)
    db.session.flush()
    db.session.add_all(
        CoverageMonth(worker_id=worker.id, month=month, campaign_id=campaign.id, premium_idr=premium,
                      designation=designation, allocation_id=run.id, created_at=now)
        for month, premium in bought
    )
    db.session.flush()
    ledger.post_entry(
        campaign.id, "allocation",
        [(Account.pool, designation, -run.amount_idr), (Account.allocated, designation, run.amount_idr)],
        allocation_id=run.id, memo=f"sponsorship of {worker.public_id}: {len(bought)} months",
    )
    return run
