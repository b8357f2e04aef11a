"""Going on alone (*lanjut mandiri*): tell a worker whose sponsored cover ended how to keep paying themselves.

When a BPJS member's sponsored cover ended last month and nothing renews it
(no month after it, no monthly sponsorship running), ``tick`` records one
notice per worker and end of cover and, after commit, sends it by SMS or
WhatsApp through ``donate.messaging``: the day cover ended, the last day of
the three-month arrears window, the monthly premium and where to pay it.
The status page says the same. BPJS's own report of what workers paid
(a status import) then tells the manager who went on paying and who lapsed.
"""

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import force_locale, lazy_gettext
from flask_babel import gettext as _

from ... import jobs
from ...crypto import vault
from ...extensions import db
from ...formatting import day, rupiah
from ...messaging import MessageFailed, sender
from ...models import Campaign, MandiriNotice, Subscription, SubscriptionState, User, Worker
from ...months import current_month, month_end, month_index
from ..access import audit
from ..locks import claim_once
from ..workers.imports import read_rows
from ..workers.registry import find_worker_by_nik
from .rates import rates_for_months
from .waitlist import ARREARS_MONTHS

#: Columns of BPJS's status export the manager uploads: the worker and the last month they paid.
STATUS_COLUMNS = ("nik", "paid_until")


def queue_mandiri_notices(*, today: dt.date, now: dt.datetime) -> int:
    """Record a notice for each member whose sponsored cover ended last month with no renewal; return how many.

    Once per worker and end of cover (the notice's primary key), however
    often this runs; the message goes out after commit.
    """
    ended = current_month(today) - 1
    renewing = sa.exists().where(Subscription.worker_id == Worker.id, Subscription.state == SubscriptionState.active)
    due = db.session.execute(
        sa.select(Worker.id, Worker.campaign_id, Worker.monthly_income_idr, Worker.phone_encrypted.is_not(None),
                  Campaign.includes_jht)
        .join(Campaign, Campaign.id == Worker.campaign_id)
        .where(Worker.last_live_month == ended, Worker.kpj.is_not(None), ~renewing)
        .where(~sa.exists().where(MandiriNotice.worker_id == Worker.id, MandiriNotice.last_month == ended))
        .order_by(Worker.id)).all()
    if not due:
        return 0
    rate = rates_for_months(ended + 1, ended + 1)[ended + 1]
    channel = sender().channel
    queued = 0
    for worker_id, campaign_id, income, has_phone, jht in due:
        if not claim_once(MandiriNotice, worker_id=worker_id, last_month=ended, campaign_id=campaign_id,
                          monthly_idr=rate.premium(income, jht=jht), arrears_until=month_end(ended + ARREARS_MONTHS),
                          channel=channel if has_phone else "none", provider="", created_at=now):
            continue
        queued += 1
        if has_phone:
            jobs.run_later("send_mandiri_notice", worker_id, ended)
    return queued


def notice_text(notice: MandiriNotice) -> str:
    """Return the message to the worker, in Indonesian (workers get no choice of language by SMS)."""
    worker = notice.worker
    with force_locale("id"):
        return _("Lindungi: your BPJS Ketenagakerjaan cover (KPJ %(kpj)s) from %(campaign)s ended on %(ended)s. "
                 "To stay a member, pay %(amount)s a month yourself, the missed months by %(until)s at the latest: "
                 "in the JMO app, at a BPJS Ketenagakerjaan office or an official payment point, with your KPJ number.",
                 kpj=f"****{(worker.kpj or '')[-4:]}", campaign=worker.campaign.name,
                 ended=day(month_end(notice.last_month)), amount=rupiah(notice.monthly_idr),
                 until=day(notice.arrears_until))


@jobs.task("send_mandiri_notice")
def send_mandiri_notice(worker_id: int, last_month: int, *, now: dt.datetime) -> None:
    """Send one recorded notice unless it went out already; record the provider's id or its refusal."""
    notice = db.session.get(MandiriNotice, (worker_id, last_month))
    if notice is None or notice.sent_at is not None or notice.worker.phone_encrypted is None:
        return
    gateway = sender()
    notice.provider = gateway.name
    try:
        notice.provider_ref = gateway.send(vault().decrypt(notice.worker.phone_encrypted), notice_text(notice))
    except MessageFailed as exc:
        notice.error = str(exc)[:300]
        db.session.commit()
        raise  # the queue tries again later
    notice.sent_at, notice.error = now, None
    db.session.commit()


def notice_for(worker: Worker) -> MandiriNotice | None:
    """Return the latest notice told to the worker, if any (the status page repeats what it said)."""
    return db.session.scalar(sa.select(MandiriNotice).where(MandiriNotice.worker_id == worker.id)
                             .order_by(MandiriNotice.last_month.desc()).limit(1))


@dataclass(frozen=True)
class MandiriRow:
    notice: MandiriNotice
    #: "continued" (BPJS reports months paid after the cover), "arrears" (still inside the window) or "lapsed".
    outcome: str


def outcome(notice: MandiriNotice, month: int) -> str:
    """Say whether the worker went on paying, may still, or lapsed, as of ``month``."""
    if notice.paid_until_month is not None and notice.paid_until_month > notice.last_month:
        return "continued"
    return "arrears" if month <= notice.last_month + ARREARS_MONTHS else "lapsed"


def mandiri_overview(campaign: Campaign, *, today: dt.date, limit: int = 200) -> tuple[dict[str, int], list[MandiriRow]]:
    """Return how many of the campaign's notified workers went on paying, are in arrears or lapsed, and the latest."""
    month = current_month(today)
    counts = {"continued": 0, "arrears": 0, "lapsed": 0}
    notices = db.session.scalars(sa.select(MandiriNotice).where(MandiriNotice.campaign_id == campaign.id)
                                 .order_by(MandiriNotice.created_at.desc(), MandiriNotice.worker_id)).all()
    rows = []
    for notice in notices:
        state = outcome(notice, month)
        counts[state] += 1
        if len(rows) < limit:
            rows.append(MandiriRow(notice, state))
    return counts, rows


@dataclass
class StatusReport:
    rows: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def import_bpjs_status(campaign: Campaign, data, *, user: User | None, now: dt.datetime) -> StatusReport:
    """Apply BPJS's report of what notified workers paid alone (nik, paid_until as YYYY-MM); all or nothing; audited."""
    rows = read_rows(data, STATUS_COLUMNS)
    report = StatusReport(rows=len(rows))
    updates: list[tuple[MandiriNotice, int]] = []
    for line, raw in rows:
        worker = find_worker_by_nik(raw.get("nik") or "")
        notice = notice_for(worker) if worker is not None and worker.campaign_id == campaign.id else None
        if notice is None:
            report.errors.append((line, str(lazy_gettext("nik: no notified worker of this campaign has it"))))
            continue
        try:
            paid = month_index(dt.date.fromisoformat(f"{(raw.get('paid_until') or '').strip()}-01"))
        except ValueError:
            report.errors.append((line, str(lazy_gettext("paid_until: use the form YYYY-MM"))))
            continue
        updates.append((notice, paid))
    if report.errors:
        return report
    for notice, paid in updates:
        notice.paid_until_month, notice.reported_at = paid, now
    report.updated = len(updates)
    db.session.flush()
    audit.record_action("mandiri.status_import", user=user, campaign=campaign, subject=f"{report.rows} rows",
                        params={"rows": report.rows, "updated": report.updated})
    return report
