"""Claims BPJS paid for covered workers: recorded by a manager, shown to the public without naming anyone.

A claim is tied to the coverage month that covered the event (the month of
the accident or the death), and only a month BPJS accepted covers anything:
a claim for a month that was never sent, or still waits for BPJS's answer,
is refused. The money goes from BPJS to the worker or the heirs, so nothing
is booked in the ledger; the record says what the campaign's premiums bought.
"""

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext, lazy_gettext

from ...extensions import db
from ...formatting import rupiah
from ...months import month_index
from ...models import (
    CLAIM_KINDS,
    Campaign,
    Claim,
    ClaimKind,
    ClaimProgramme,
    CoverageMonth,
    CoverageState,
    User,
    Worker,
)
from ...regions import regency_name
from ..access import audit
from ..errors import FieldError, Rupiah

#: What BPJS paid on a claim, in rupiah: the benefit and any scholarship (for sums in SQL).
CLAIM_PAID_IDR = Claim.amount_idr + Claim.scholarship_idr

#: The largest single benefit a manager may record (far above JKM's Rp 42 million; JKK has no cap).
MAX_CLAIM_IDR = 10_000_000_000


class ClaimRefused(FieldError):
    """A claim that cannot be recorded as given; the field at fault comes first."""

    fields = {"event_date": lazy_gettext("date"), "amount_idr": lazy_gettext("amount"),
              "scholarship_idr": lazy_gettext("scholarship"), "kind": lazy_gettext("kind")}


def record_claim(worker: Worker, *, programme: ClaimProgramme, kind: ClaimKind, event_date: dt.date,
                 amount_idr: int, scholarship_idr: int = 0, user: User | None, today: dt.date,
                 now: dt.datetime) -> Claim:
    """Record a benefit BPJS paid for ``worker``, against the accepted month of the event; audited."""
    if kind not in CLAIM_KINDS[programme]:
        raise ClaimRefused("kind", lazy_gettext("this kind of benefit is not paid by %(programme)s"),
                           programme=programme.value.upper())
    if event_date > today:
        raise ClaimRefused("event_date", lazy_gettext("the date is in the future"))
    if not isinstance(amount_idr, int) or not 0 < amount_idr <= MAX_CLAIM_IDR:
        raise ClaimRefused("amount_idr", lazy_gettext("give a whole number of rupiah between 1 and %(limit)s"),
                           limit=Rupiah(MAX_CLAIM_IDR))
    if programme == ClaimProgramme.jkk and scholarship_idr:
        raise ClaimRefused("scholarship_idr", lazy_gettext("only JKM pays a scholarship"))
    if not isinstance(scholarship_idr, int) or not 0 <= scholarship_idr <= MAX_CLAIM_IDR:
        raise ClaimRefused("scholarship_idr", lazy_gettext("give a whole number of rupiah, or 0"))
    month = db.session.scalar(sa.select(CoverageMonth).where(
        CoverageMonth.worker_id == worker.id, CoverageMonth.month == month_index(event_date)))
    if month is None or month.state == CoverageState.rejected:
        raise ClaimRefused("event_date", lazy_gettext("the campaign did not cover this worker in %(month)s"),
                           month=event_date.strftime("%Y-%m"))
    if month.state != CoverageState.accepted:
        raise ClaimRefused("event_date", lazy_gettext("BPJS has not accepted this worker's month %(month)s yet"),
                           month=event_date.strftime("%Y-%m"))
    if programme == ClaimProgramme.jkm and db.session.scalar(sa.select(Claim.id).where(
            Claim.worker_id == worker.id, Claim.programme == ClaimProgramme.jkm)):
        raise ClaimRefused("event_date", lazy_gettext("a JKM claim is already recorded for this worker"))
    claim = Claim(campaign_id=worker.campaign_id, worker_id=worker.id, coverage_month_id=month.id,
                  programme=programme, kind=kind, event_date=event_date, amount_idr=amount_idr,
                  scholarship_idr=scholarship_idr, recorded_by_id=user.id if user else None, created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(claim)
    except sa.exc.IntegrityError:
        raise ClaimRefused("event_date", lazy_gettext("this benefit is already recorded for this date")) from None
    audit.record_action("claim.record", user=user, campaign=worker.campaign, subject=f"worker {worker.public_id}",
                        params={"worker": worker.public_id, "programme": programme.value, "kind": kind.value,
                                "event_date": event_date.isoformat(), "amount_idr": amount_idr,
                                "scholarship_idr": scholarship_idr or 0})
    return claim


def claim_totals_query(campaign_id) -> dict:
    """Return scalar subqueries of a campaign's claims: count and rupiah paid (benefits and scholarships)."""
    of_campaign = Claim.campaign_id == campaign_id
    return {
        "claims_paid": sa.select(sa.func.count()).select_from(Claim).where(of_campaign).scalar_subquery(),
        "claims_paid_idr": sa.select(sa.func.coalesce(sa.func.sum(CLAIM_PAID_IDR), 0)).where(of_campaign)
        .scalar_subquery(),
    }


@dataclass(frozen=True)
class ClaimTotals:
    claims: int = 0
    jkk_claims: int = 0
    jkm_claims: int = 0
    #: Benefits BPJS paid under JKK.
    jkk_paid_idr: int = 0
    #: Money the heirs received under JKM (without scholarships).
    jkm_paid_idr: int = 0
    scholarships_idr: int = 0

    @property
    def paid_idr(self) -> int:
        """Return everything BPJS paid on the claims."""
        return self.jkk_paid_idr + self.jkm_paid_idr + self.scholarships_idr


def claim_totals(campaign: Campaign, *, since: dt.date | None = None, until: dt.date | None = None,
                 regency_code: str | None = None, worker_ids=None) -> ClaimTotals:
    """Return a campaign's claims by programme (events from ``since`` to ``until``, of a regency or some workers)."""
    query = (sa.select(Claim.programme, sa.func.count(), sa.func.sum(Claim.amount_idr),
                       sa.func.sum(Claim.scholarship_idr))
             .where(Claim.campaign_id == campaign.id).group_by(Claim.programme))
    if since is not None:
        query = query.where(Claim.event_date >= since)
    if until is not None:
        query = query.where(Claim.event_date <= until)
    if regency_code is not None:
        query = query.where(Claim.worker_id.in_(sa.select(Worker.id).where(Worker.regency_code == regency_code)))
    if worker_ids is not None:
        query = query.where(Claim.worker_id.in_(worker_ids))
    found = {programme: (count, int(amount or 0), int(scholarship or 0))
             for programme, count, amount, scholarship in db.session.execute(query)}
    jkk = found.get(ClaimProgramme.jkk, (0, 0, 0))
    jkm = found.get(ClaimProgramme.jkm, (0, 0, 0))
    return ClaimTotals(claims=jkk[0] + jkm[0], jkk_claims=jkk[0], jkm_claims=jkm[0], jkk_paid_idr=jkk[1],
                       jkm_paid_idr=jkm[1], scholarships_idr=jkm[2])


def impact_line(claim: Claim) -> str:
    """Say what a claim paid without naming anyone: the amount, the occupation and the regency, in the visitor's language."""
    worker = claim.worker
    place = {"occupation": worker.occupation, "regency": regency_name(worker.regency_code)}
    if claim.programme == ClaimProgramme.jkm:
        text = gettext("%(amount)s received by the heirs of a %(occupation)s in %(regency)s",
                       amount=rupiah(claim.amount_idr), **place)
        if claim.scholarship_idr:
            text += gettext(", and a scholarship of %(amount)s for the children", amount=rupiah(claim.scholarship_idr))
        return text
    if claim.kind == ClaimKind.medical:
        return gettext("%(amount)s of medical care paid by BPJS for a %(occupation)s in %(regency)s",
                       amount=rupiah(claim.amount_idr), **place)
    return gettext("%(amount)s paid by BPJS to a %(occupation)s in %(regency)s after a work accident",
                   amount=rupiah(claim.amount_idr), **place)


def recent_impact(campaign: Campaign, limit: int = 5) -> list[str]:
    """Return the latest claims of the campaign as privacy-safe lines, newest first."""
    claims = db.session.scalars(
        sa.select(Claim).where(Claim.campaign_id == campaign.id).order_by(Claim.id.desc()).limit(limit)
        .options(sa.orm.joinedload(Claim.worker))).all()
    return [impact_line(claim) for claim in claims]


def impact_by_worker(worker_ids: list[int]) -> dict[int, list[str]]:
    """Return the privacy-safe lines of the claims of these workers (a donor's), by worker, oldest first."""
    if not worker_ids:
        return {}
    found: dict[int, list[str]] = {}
    for claim in db.session.scalars(
            sa.select(Claim).where(Claim.worker_id.in_(worker_ids)).order_by(Claim.id)
            .options(sa.orm.joinedload(Claim.worker))):
        found.setdefault(claim.worker_id, []).append(impact_line(claim))
    return found


def claims_of(worker: Worker) -> list[Claim]:
    """Return a worker's recorded claims, oldest first."""
    return db.session.scalars(sa.select(Claim).where(Claim.worker_id == worker.id).order_by(Claim.id)).all()
