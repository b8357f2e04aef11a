"""Who is waiting to be funded: the waitlist, its count, and the workers donors may browse."""

import datetime as dt

import sqlalchemy as sa

from ...extensions import db
from ...models import (
    LIVE_STATES,
    Campaign,
    CoverageMonth,
    Designation,
    Hold,
    Verification,
    Worker,
)
from ...models.base import utcnow
from ...months import current_month
from .allocation import ARREARS_MONTHS


def waiting_count(campaign: Campaign, designation: Designation, *, today: dt.date | None = None) -> int:
    """Count workers the waitlist could fund now with money of ``designation``."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(
        _waiting(campaign, designation, today=today).subquery()))


def _waiting(campaign: Campaign, designation: Designation | None, *, today=None) -> sa.Select:
    """Select waiting workers who could be funded (verified, consented, not flagged, not covered)."""
    month = current_month(today)
    still_member = sa.exists().where(
        CoverageMonth.worker_id == Worker.id, CoverageMonth.state.in_(LIVE_STATES),
        CoverageMonth.month >= month - ARREARS_MONTHS)
    query = sa.select(Worker).where(
        Worker.campaign_id == campaign.id, Worker.verification == Verification.verified,
        Worker.consent_at.is_not(None), Worker.flag_reason.is_(None), ~still_member)
    if designation == Designation.zakat or campaign.mustahik_only:
        query = query.where(Worker.is_mustahik.is_(True))
    if campaign.occupations:
        query = query.where(Worker.occupation.in_(campaign.occupations))
    return query


def browse_workers(campaign: Campaign, *, regency: str | None = None, occupation: str | None = None,
                   page: int = 1, per_page: int = 20, today: dt.date | None = None,
                   now: dt.datetime | None = None) -> tuple[list[Worker], bool]:
    """Return one page of waiting workers who agreed to be shown, and whether another page follows.

    The waitlist order (priority, then registration) is the index's order, and
    no total is counted, so a page costs the same with 100,000 workers.
    """

    query = _waiting(campaign, None, today=today).where(
        Worker.public_profile.is_(True),
        Worker.id.not_in(sa.select(Hold.worker_id).where(Hold.expires_at > (now or utcnow()))),
    )
    if regency:
        query = query.where(Worker.regency_code == regency)
    if occupation:
        query = query.where(Worker.occupation == occupation)
    page = max(page, 1)
    rows = db.session.scalars(
        query.order_by(Worker.priority.desc(), Worker.registered_at, Worker.id)
        .offset((page - 1) * per_page).limit(per_page + 1)
    ).all()
    return rows[:per_page], len(rows) > per_page


def browse_filters(campaign: Campaign) -> tuple[list[str], list[str]]:
    """Return the regency codes and occupations that verified workers of the campaign have."""
    base = sa.select(Worker).where(Worker.campaign_id == campaign.id,
                                   Worker.verification == Verification.verified).subquery()
    regencies = db.session.scalars(sa.select(base.c.regency_code).distinct().order_by(base.c.regency_code)).all()
    occupations = db.session.scalars(sa.select(base.c.occupation).distinct().order_by(base.c.occupation)).all()
    return list(regencies), list(occupations)


def age_band(worker: Worker, *, today: dt.date | None = None) -> str:
    """Return the worker's age as a decade band ("30–39"), never the exact birth date."""
    today = today or dt.date.today()
    born = worker.birth_date
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    low = age // 10 * 10
    return f"{low}–{low + 9}"


def waitlist(campaign: Campaign, *, limit: int = 50) -> tuple[int, list[Worker], dict[str, int]]:
    """Return the waitlist's size, its head in allocation order, and its size per regency."""
    month = current_month()
    live = [s.value for s in LIVE_STATES]
    member = sa.exists().where(CoverageMonth.worker_id == Worker.id, CoverageMonth.state.in_(live),
                               CoverageMonth.month >= month - ARREARS_MONTHS)
    conditions = (Worker.campaign_id == campaign.id, Worker.verification == Verification.verified,
                  Worker.consent_at.is_not(None), Worker.flag_reason.is_(None), ~member)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Worker).where(*conditions))
    head = list(db.session.scalars(sa.select(Worker).where(*conditions)
                                   .order_by(Worker.priority.desc(), Worker.registered_at, Worker.id).limit(limit)))
    per_region = dict(db.session.execute(sa.select(Worker.regency_code, sa.func.count()).where(*conditions)
                                         .group_by(Worker.regency_code)).all())
    return total, head, per_region
