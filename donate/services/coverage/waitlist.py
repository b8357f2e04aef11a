"""Who is waiting to be funded, and a worker's last live month: the one definition of each.

A worker is *eligible* for money of a designation when they are verified,
consented, not flagged, and meet the campaign's rules (its occupations, its
mustahik-only setting, and zakat's rule that it funds only mustahik). A
worker a company brought is reserved to that company: eligible only for its
gifts (``company_id``), and on no general list (the default). A
worker is *waiting* when eligible and not a member any more or yet: no live
month inside the arrears window. The allocator, the API's
``workers_waiting``, the donor's browse page, the dashboard and the status
answer all build on these conditions, so they cannot disagree.
"""

import datetime as dt

import sqlalchemy as sa

from ...extensions import db
from ...models import (
    Campaign,
    Designation,
    EligibleTally,
    Hold,
    OccupationTally,
    Verification,
    Worker,
)
from ...months import month_index
from ..pages import Page

#: Months a BPU participant may pay in arrears after protection ends.
ARREARS_MONTHS = 3
#: Allocation order of the waitlist: priority, then registration.
QUEUE_ORDER = (Worker.priority.desc(), Worker.registered_at, Worker.id)
#: The same order for the lapsed half of the waitlist: they are few and found by their last month, so the
#: order is an expression and no planner walks the whole queue along an index for the order's sake.
LAPSED_ORDER = (-Worker.priority, Worker.registered_at, Worker.id)


def needs_mustahik(campaign: Campaign, designation: Designation | None) -> bool:
    """Return whether money of ``designation`` may fund only mustahik in ``campaign``."""
    return designation == Designation.zakat or campaign.mustahik_only


def eligible(campaign: Campaign, designation: Designation | None = None, *, company_id: int | None = None) -> list:
    """Return the SQL conditions a worker meets to be funded with money of ``designation``.

    ``designation=None`` asks for any of the campaign's money: the zakat rule
    is left out, the campaign's own rules are not. ``company_id`` asks for a
    company's gift, which funds only the workers of its list; without it,
    those workers are left out.
    """
    conditions = [
        Worker.campaign_id == campaign.id,
        Worker.verification == Verification.verified,
        Worker.consent_at.is_not(None),
        Worker.flag_reason.is_(None),
        Worker.company_id.is_(None) if company_id is None else Worker.company_id == company_id,
    ]
    if needs_mustahik(campaign, designation):
        conditions.append(Worker.is_mustahik.is_(True))
    if campaign.occupations:
        conditions.append(Worker.occupation.in_(campaign.occupations))
    return conditions


def is_fundable(worker: Worker, designation: Designation | None, campaign: Campaign, *,
                company_id: int | None = None) -> bool:
    """Return whether money of ``designation`` may fund ``worker`` (the Python twin of :func:`eligible`)."""
    return worker.campaign_id == campaign.id and worker.company_id == company_id and meets_rules(
        campaign, designation, verification=worker.verification, consented=worker.consent_at is not None,
        flagged=worker.flag_reason is not None, is_mustahik=worker.is_mustahik, occupation=worker.occupation)


def meets_rules(campaign: Campaign, designation: Designation | None, *, verification: Verification,
                consented: bool, flagged: bool, is_mustahik: bool, occupation: str) -> bool:
    """Return whether a worker of ``campaign`` with these facts may be funded (:func:`eligible`, in Python).

    Whose list the worker is on (``company_id``) is for the caller to compare.
    """
    if Verification(verification) != Verification.verified or not consented or flagged:
        return False
    if needs_mustahik(campaign, designation) and not is_mustahik:
        return False
    return not campaign.occupations or occupation in campaign.occupations


def still_member(month: int):
    """Return the SQL condition that the worker has a live month inside the arrears window of ``month``.

    Read from the worker's own ``last_live_month``, which ``services.tallies``
    keeps equal to the last live coverage month in the same transaction as
    every change of coverage (``check-ledger`` proves it), so no coverage
    month is touched to answer it.
    """
    return sa.and_(Worker.last_live_month.is_not(None), Worker.last_live_month >= month - ARREARS_MONTHS)


def never_member():
    """Return the SQL condition that the worker never had a live month (the bulk of a waitlist)."""
    return Worker.last_live_month.is_(None)


def lapsed_member(month: int):
    """Return the SQL condition that the worker's last live month is older than the arrears window."""
    return Worker.last_live_month < month - ARREARS_MONTHS


def waiting(campaign: Campaign, designation: Designation | None = None, *, month: int,
            company_id: int | None = None) -> list:
    """Return the SQL conditions of a worker waiting in ``month`` for money of ``designation`` (of a company's)."""
    return [*eligible(campaign, designation, company_id=company_id), sa.or_(never_member(), lapsed_member(month))]


def _in_queue_parts(query: sa.Select, month: int, limit: int, offset: int = 0) -> list:
    """Run ``query`` (eligible workers in queue order) as the waitlist's two halves; return one page of it.

    Workers who never had cover are one range of ``ix_workers_queue``, read
    in queue order; those whose cover lapsed are another. Each half is cut at
    ``offset + limit`` and the database merges them, so neither walks past
    the funded workers at the head of the queue, and only the page's rows
    are loaded.
    """
    halves = [query.where(half).with_only_columns(Worker.id).order_by(None).order_by(*order).limit(offset + limit)
              .subquery()
              for half, order in ((never_member(), QUEUE_ORDER), (lapsed_member(month), LAPSED_ORDER))]
    ids = sa.union_all(*(sa.select(half.c.id) for half in halves)).subquery()
    return list(db.session.scalars(sa.select(Worker).join(ids, ids.c.id == Worker.id)
                                   .order_by(*QUEUE_ORDER).offset(offset).limit(limit)))


def queue_head(query: sa.Select, month: int, limit: int) -> sa.Subquery:
    """Return the first ``limit`` rows of ``query`` (workers' columns, eligible ones) waiting in ``month``, in SQL.

    The SQL twin of :func:`_in_queue_parts`: each half of the waitlist is read
    in queue order along ``ix_workers_queue`` and cut at ``limit``, so the
    head of a queue of 100,000 costs what the head of a queue of 100 does.
    The subquery keeps ``priority``, ``registered_at`` and ``id`` for ordering.
    """
    query = query.add_columns(Worker.priority, Worker.registered_at, Worker.id.label("queue_id"))
    halves = [sa.select(query.where(part).order_by(*order).limit(limit).subquery())
              for part, order in ((never_member(), QUEUE_ORDER), (lapsed_member(month), LAPSED_ORDER))]
    return sa.union_all(*halves).subquery("queue_head")


def not_held(now: dt.datetime):
    """Return the SQL condition that no donor holds the worker for a checkout at ``now``."""
    return Worker.id.not_in(sa.select(Hold.worker_id).where(Hold.expires_at > now))


def waiting_tallies(campaign_id, month, zakat_rule: bool) -> list:
    """Return the conditions on ``EligibleTally`` rows of workers waiting in ``month`` (see :func:`waiting`).

    A worker never funded is kept under ``NEVER_LIVE``, below every month,
    so one comparison finds both halves of the waitlist; ``zakat_rule``
    (:func:`needs_mustahik`) keeps only mustahik. The campaign and month may
    be values or bound parameters.
    """
    conditions = [EligibleTally.campaign_id == campaign_id,
                  EligibleTally.last_live_month < month - ARREARS_MONTHS, EligibleTally.workers != 0]
    if zakat_rule:
        conditions.append(EligibleTally.is_mustahik.is_(True))
    return conditions


def _waiting_tallies(campaign: Campaign, month: int, designation: Designation | None = None) -> list:
    return waiting_tallies(campaign.id, month, needs_mustahik(campaign, designation))


def waiting_total(campaign: Campaign, designation: Designation | None = None, *, month: int) -> sa.Select:
    """Select the number of workers waiting in ``month`` for money of ``designation``, from the tallies."""
    return (sa.select(sa.func.coalesce(sa.func.sum(EligibleTally.workers), 0))
            .where(*_waiting_tallies(campaign, month, designation)))


def waiting_count(campaign: Campaign, designation: Designation | None = None, *, today: dt.date,
                  company_id: int | None = None) -> int:
    """Count the workers waiting today for money of ``designation`` (any of the campaign's money if ``None``).

    The general waitlist is read from the eligible workers' tallies
    (``services.tallies``, proved equal to :func:`waiting` by
    ``check-ledger``), so it costs the same however long it is; a company's
    own list (``company_id``) is counted from its workers.
    """
    if company_id is not None:
        return db.session.scalar(sa.select(sa.func.count()).select_from(Worker).where(
            *waiting(campaign, designation, month=month_index(today), company_id=company_id)))
    return int(db.session.scalar(waiting_total(campaign, designation, month=month_index(today))))


def waitlist(campaign: Campaign, *, today: dt.date, limit: int = 50) -> tuple[int, list[Worker], dict[str, int]]:
    """Return the waitlist's size, its head in allocation order, and its size per regency."""
    head = _in_queue_parts(sa.select(Worker).where(*eligible(campaign)).order_by(*QUEUE_ORDER),
                           month_index(today), limit)
    per_regency = waiting_by_regency(campaign, today=today)
    return sum(per_regency.values()), head, per_regency


def waiting_by_regency(campaign: Campaign, *, today: dt.date) -> dict[str, int]:
    """Return how many workers wait in each regency (regencies with none left out), from the tallies."""
    return {code: int(count) for code, count in db.session.execute(
        sa.select(EligibleTally.regency_code, sa.func.sum(EligibleTally.workers))
        .where(*_waiting_tallies(campaign, month_index(today))).group_by(EligibleTally.regency_code)) if count}


def workers_ahead(worker: Worker, *, month: int, at_most: int | None = None) -> int:
    """Count the workers waiting in ``month`` ahead of ``worker`` in the waitlist's order.

    With ``at_most``, stop counting there (all "soon or later" needs), so
    the answer costs the same however long the queue is.
    """
    ahead = sa.or_(
        Worker.priority > worker.priority,
        sa.and_(Worker.priority == worker.priority, Worker.registered_at < worker.registered_at),
        sa.and_(Worker.priority == worker.priority, Worker.registered_at == worker.registered_at,
                Worker.id < worker.id),
    )
    base = eligible(worker.campaign, company_id=worker.company_id)
    if at_most is None:
        return db.session.scalar(sa.select(sa.func.count()).select_from(Worker).where(
            *base, ahead, sa.or_(never_member(), lapsed_member(month))))
    # Each clause of "ahead" among the never funded is one range of ``ix_workers_queue``; the lapsed are
    # few and found by their last month, "ahead" then only a test of each (in a CASE, so that no planner
    # walks the whole queue along an index on priority instead). Each part is cut at ``at_most``: one
    # statement that reads at most four times ``at_most`` rows however long the queue is.
    parts = [sa.select(Worker.id).where(*base, never_member(), clause).limit(at_most).subquery()
             for clause in ahead.clauses]
    parts.append(sa.select(Worker.id).where(*base, lapsed_member(month), sa.case((ahead, 1), else_=0) == 1)
                 .limit(at_most).subquery())
    counted = db.session.scalar(sa.select(sa.func.count()).select_from(
        sa.union_all(*(sa.select(part.c.id) for part in parts)).subquery()))
    return min(counted, at_most)


def _browsable(campaign: Campaign, *, now: dt.datetime, regency: str | None = None,
               occupation: str | None = None) -> sa.Select:
    """Select the eligible workers who agreed to be shown to donors and are not held, in waitlist order."""
    query = sa.select(Worker).where(*eligible(campaign), Worker.public_profile.is_(True), not_held(now))
    if regency:
        query = query.where(Worker.regency_code == regency)
    if occupation:
        query = query.where(Worker.occupation == occupation)
    return query.order_by(*QUEUE_ORDER)


def browse_query(campaign: Campaign, *, today: dt.date, now: dt.datetime, regency: str | None = None,
                 occupation: str | None = None) -> sa.Select:
    """Select the waiting workers who agreed to be shown to donors and are not held, in waitlist order."""
    return _browsable(campaign, now=now, regency=regency, occupation=occupation).where(
        sa.or_(never_member(), lapsed_member(month_index(today))))


def browse_count(campaign: Campaign, *, today: dt.date, now: dt.datetime) -> int:
    """Count the workers a donor may browse (waiting, shown, not held)."""
    query = browse_query(campaign, today=today, now=now).order_by(None)
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))


def browse_workers(campaign: Campaign, *, today: dt.date, now: dt.datetime, regency: str | None = None,
                   occupation: str | None = None, page: int = 1,
                   per_page: int = 20) -> Page:
    """Return one page of the workers donors may browse (:func:`browse_query`'s, in one statement).

    The waitlist order (priority, then registration) is the index's order, and
    no total is counted, so a page costs the same with 100,000 workers.
    """
    query = _browsable(campaign, now=now, regency=regency, occupation=occupation)
    page = max(page, 1)
    rows = _in_queue_parts(query, month_index(today), per_page + 1, offset=(page - 1) * per_page)
    return Page(rows[:per_page], page, per_page, has_next=len(rows) > per_page)


def browse_filters(campaign: Campaign) -> tuple[list[str], list[str]]:
    """Return the regency codes and occupations of the campaign's workers who may be funded (from the tallies)."""
    regencies = db.session.scalars(
        sa.select(EligibleTally.regency_code).where(EligibleTally.campaign_id == campaign.id,
                                                    EligibleTally.workers != 0)
        .distinct().order_by(EligibleTally.regency_code)).all()
    occupations = db.session.scalars(
        sa.select(OccupationTally.occupation).where(OccupationTally.campaign_id == campaign.id,
                                                    OccupationTally.workers != 0)
        .order_by(OccupationTally.occupation)).all()
    return list(regencies), list(occupations)


def last_live_months(campaign_id: int | None = None, name: str = "last_live") -> sa.Subquery:
    """Select (worker_id, last_month): each worker's last live (funded, sent or accepted) month.

    The worker's kept ``last_live_month`` (see :func:`still_member`), under the
    index ``ix_workers_last_live_month``; workers never funded are left out.
    """
    query = (sa.select(Worker.id.label("worker_id"), Worker.last_live_month.label("last_month"))
             .where(Worker.last_live_month.is_not(None)))
    if campaign_id is not None:
        query = query.where(Worker.campaign_id == campaign_id)
    return query.subquery(name)


def last_live_month(worker_id: int) -> int | None:
    """Return the worker's last live month, or ``None`` if they never had one."""
    return db.session.scalar(sa.select(Worker.last_live_month).where(Worker.id == worker_id))


def next_fundable_month(worker_id: int, month: int) -> int:
    """Return the first month a new payment for the worker would buy.

    Right after the worker's funded coverage (arrears included, as BPJS
    requires them paid first), or this month if the worker has none or has
    been out for longer than the arrears window.
    """
    last = last_live_month(worker_id)
    if last is None or last < month - ARREARS_MONTHS:
        return month
    return last + 1


def age_band(worker: Worker, *, today: dt.date) -> str:
    """Return the worker's age as a decade band ("30–39"), never the exact birth date."""
    born = worker.birth_date
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    low = age // 10 * 10
    return f"{low}–{low + 9}"
