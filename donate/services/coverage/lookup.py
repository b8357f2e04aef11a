"""Answer "is this worker protected?" without telling anyone else anything about a worker.

A look-up needs a second fact the NIK does not contain: the name as on the
KTP, or the KPJ number with the birth date. An unknown NIK and a known NIK
with the wrong name take the same path (one query, one constant-time
comparison) and give the same :data:`NOT_FOUND` answer.
"""

import datetime as dt
import hmac
import unicodedata
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext
from stdnum.id import nik as stdnum_nik

from ...crypto import vault
from ...extensions import db
from ...models import (
    LIVE_STATES,
    Allocation,
    Campaign,
    CoverageMonth,
    CoverageState,
    Donation,
    Verification,
    Worker,
)
from ...months import current_month, month_end, month_start
from ..errors import FieldError
from ..workers.registry import find_worker_by_nik, is_kpj, normalise_kpj
from .mandiri import notice_for
from .rates import base_premium
from .waitlist import ARREARS_MONTHS, is_fundable, workers_ahead

#: Waitlist places shown as "soon"; beyond it the answer only says "later". Kept vague on purpose.
NEAR_IN_QUEUE = 100
#: Compared against when no worker was found, so both paths do the same work.
_NOBODY = "\0nobody"


class StatusQueryInvalid(FieldError):
    """A status query that is malformed (not a valid NIK, KPJ or date); ``field`` names the field."""

    fields = {"nik": lazy_gettext("NIK"), "kpj": lazy_gettext("KPJ"), "full_name": lazy_gettext("full name"),
              "birth_date": lazy_gettext("birth date")}


@dataclass
class Sponsor:
    #: As the donor chose to appear: their name, the funder, or "Hamba Allah".
    name: str
    #: "sponsor" (a gift for this worker or for N workers) or "pool" (the campaign's pooled gifts).
    kind: str


@dataclass
class StatusAnswer:
    """What the status page and ``POST /api/v1/status`` say about one worker."""

    #: protected | funded | waiting | lapsed | rejected | not_found
    status: str
    masked_name: str | None = None
    campaign: Campaign | None = None
    protected_from: dt.date | None = None
    protected_until: dt.date | None = None
    funded_from: dt.date | None = None
    funded_until: dt.date | None = None
    #: Last day of cover, for a lapsed worker.
    lapsed_on: dt.date | None = None
    #: Last day on which the missed months can still be paid.
    arrears_until: dt.date | None = None
    #: More than three months unpaid: BPJS ended the membership.
    membership_ended: bool = False
    #: For waiting workers: verifying | needs_attention | soon | later.
    queue: str | None = None
    #: Masked KPJ card number, once BPJS has issued one.
    kpj_masked: str | None = None
    #: For a worker BPJS refused to register: the reason BPJS gave.
    rejection_reason: str | None = None
    premium_idr: int | None = None
    #: For a lapsed worker told how to go on alone (``coverage.mandiri``): when and how; not in the API's answer.
    mandiri_sent_on: dt.date | None = None
    mandiri_channel: str | None = None
    programs: list[str] = field(default_factory=list)
    sponsors: list[Sponsor] = field(default_factory=list)

    def as_json(self) -> dict:
        """Return the answer as the API's JSON object."""
        def day(value):
            return value.isoformat() if value else None

        refused = self.status == "rejected"
        return {
            # The API's status keeps the values its clients know: a registration BPJS refused is
            # still waiting (for its data to be fixed), told apart by ``registration_refused``.
            "status": "waiting" if refused else self.status,
            "registration_refused": refused,
            "name_masked": self.masked_name,
            "campaign": ({"slug": self.campaign.slug, "name": self.campaign.name}
                         if self.campaign else None),
            "protected_from": day(self.protected_from),
            "protected_until": day(self.protected_until),
            "funded_from": day(self.funded_from),
            "funded_until": day(self.funded_until),
            "lapsed_on": day(self.lapsed_on),
            "arrears_until": day(self.arrears_until),
            "membership_ended": self.membership_ended,
            "queue": self.queue,
            "kpj_masked": self.kpj_masked,
            "rejection_reason": self.rejection_reason,
            "programs": list(self.programs),
            "sponsors": [{"name": s.name, "kind": s.kind} for s in self.sponsors],
        }


#: The one answer for an unknown NIK, a wrong name, an unknown KPJ or a wrong birth date.
NOT_FOUND = StatusAnswer(status="not_found")


def normalise_name(name: str) -> str:
    """Return a name for comparison: Unicode-normalised, case-folded, without spaces or punctuation."""
    folded = unicodedata.normalize("NFKC", name or "").casefold()
    return "".join(ch for ch in folded if ch.isalnum())


def mask_name(full_name: str) -> str:
    """Show a name as its initials: "Budi Santoso" -> "B*** S******"."""
    return " ".join(word[0] + "*" * (len(word) - 1) for word in full_name.split())


def compact_nik(nik: str) -> str:
    """Return the NIK without spaces or dots, or raise :class:`StatusQueryInvalid`."""
    compact = stdnum_nik.compact(nik or "")
    if not stdnum_nik.is_valid(compact):
        raise StatusQueryInvalid("nik", lazy_gettext("not a valid NIK (16 digits as on the KTP)"))
    return compact


def compact_kpj(kpj: str) -> str:
    """Return an 11-digit KPJ number without separators, or raise :class:`StatusQueryInvalid`."""
    compact = normalise_kpj(kpj)
    if not is_kpj(compact):
        raise StatusQueryInvalid("kpj", lazy_gettext("a KPJ number has 11 digits"))
    return compact


def rate_limit_key(*, nik: str | None = None, kpj: str | None = None) -> str | None:
    """Return the key that rate-limits look-ups of one worker: a keyed hash, never the number itself."""
    if nik:
        return "nik:" + vault().lookup_hash(stdnum_nik.compact(nik))[:32]
    if kpj:
        return "kpj:" + vault().lookup_hash("kpj " + normalise_kpj(kpj))[:32]
    return None


def find_worker_by_nik_and_name(nik: str, full_name: str) -> Worker | None:
    """Return the worker with this NIK if ``full_name`` matches the KTP name; else ``None``."""
    worker = find_worker_by_nik(compact_nik(nik))
    expected = normalise_name(worker.full_name) if worker is not None else _NOBODY
    given = normalise_name(full_name)
    if hmac.compare_digest(expected.encode(), given.encode()) and worker is not None:
        return worker
    return None


def find_worker_by_kpj(kpj: str, birth_date: dt.date) -> Worker | None:
    """Return the worker with this KPJ number if ``birth_date`` matches; else ``None``."""
    worker = db.session.scalar(sa.select(Worker).where(Worker.kpj == compact_kpj(kpj)))
    expected = worker.birth_date.isoformat() if worker is not None else _NOBODY
    if hmac.compare_digest(expected.encode(), birth_date.isoformat().encode()) and worker is not None:
        return worker
    return None


def check_status(*, nik: str | None = None, full_name: str | None = None, kpj: str | None = None,
                 birth_date: dt.date | None = None, today: dt.date) -> StatusAnswer:
    """Answer a status query by NIK and name or by KPJ and birth date."""
    if nik is not None:
        worker = find_worker_by_nik_and_name(nik, full_name or "")
    elif kpj is not None and birth_date is not None:
        worker = find_worker_by_kpj(kpj, birth_date)
    else:
        raise StatusQueryInvalid("nik", lazy_gettext("give the NIK and name, or the KPJ number and birth date"))
    return worker_status(worker, today=today) if worker is not None else NOT_FOUND


def _runs(months: list[int], start: int) -> tuple[int, int] | None:
    """Return the first and last month of the unbroken run in ``months`` that starts at or after ``start``."""
    later = sorted(m for m in months if m >= start)
    if not later:
        return None
    first = last = later[0]
    for month in later[1:]:
        if month != last + 1:
            break
        last = month
    return first, last


def worker_status(worker: Worker, *, today: dt.date) -> StatusAnswer:
    """Return the status of a worker already identified."""
    month = current_month(today)
    rows = db.session.execute(
        sa.select(CoverageMonth.month, CoverageMonth.state)
        .where(CoverageMonth.worker_id == worker.id, CoverageMonth.state.in_(LIVE_STATES))
    ).all()
    live = [m for m, _ in rows]
    accepted = {m for m, state in rows if state == CoverageState.accepted}
    answer = StatusAnswer(
        status="waiting", masked_name=mask_name(worker.full_name), campaign=worker.campaign,
        kpj_masked=("•" * 7 + worker.kpj[-4:]) if worker.kpj else None,
        premium_idr=base_premium(month, jht=worker.campaign.includes_jht),
    )
    funded_run = _runs(live, month)
    if month in accepted:
        first = month
        while first - 1 in accepted:
            first -= 1
        _, last = _runs(accepted, month)
        answer.status = "protected"
        answer.protected_from, answer.protected_until = month_start(first), month_end(last)
    elif funded_run is not None:
        answer.status = "funded"
    elif live:
        last = max(live)
        answer.status = "lapsed"
        answer.lapsed_on = month_end(last)
        answer.arrears_until = month_end(last + ARREARS_MONTHS)
        answer.membership_ended = month > last + ARREARS_MONTHS
        notice = notice_for(worker)
        if notice is not None and notice.last_month == last:
            answer.premium_idr = notice.monthly_idr
            answer.mandiri_sent_on = (notice.sent_at or notice.created_at).date()
            answer.mandiri_channel = notice.channel
    if funded_run is not None:
        answer.funded_from, answer.funded_until = month_start(funded_run[0]), month_end(funded_run[1])
    if answer.status in ("protected", "funded"):
        answer.programs = worker.campaign.programs
    if answer.status == "waiting" and worker.flag_reason and _refused_by_bpjs(worker):
        answer.status = "rejected"
        answer.rejection_reason = worker.flag_reason
        answer.queue = "needs_attention"
    elif answer.status == "waiting" or answer.membership_ended:
        answer.queue = _queue(worker, month)
    answer.sponsors = _sponsors(worker) if live else []
    return answer


def _refused_by_bpjs(worker: Worker) -> bool:
    """Return whether BPJS rejected months of the worker (the flag then holds BPJS's reason)."""
    return db.session.scalar(sa.select(sa.exists().where(
        CoverageMonth.worker_id == worker.id, CoverageMonth.state == CoverageState.rejected)))


def _queue(worker: Worker, month: int) -> str:
    """Say roughly where the worker stands on the waitlist, never the exact place."""
    if worker.flag_reason or worker.verification == Verification.rejected or worker.consent_at is None:
        return "needs_attention"
    if worker.verification != Verification.verified:
        return "verifying"
    if not is_fundable(worker, None, worker.campaign, company_id=worker.company_id):  # the campaign's rules leave them out
        return "needs_attention"
    return "soon" if workers_ahead(worker, month=month, at_most=NEAR_IN_QUEUE) < NEAR_IN_QUEUE else "later"


def _sponsors(worker: Worker) -> list[Sponsor]:
    """Return who paid for the worker's cover, as each chose to appear, in order of first month.

    One query: months the pool paid for come without a donation, and name the campaign.
    """
    first_month = sa.func.min(CoverageMonth.month)
    rows = db.session.execute(
        sa.select(Donation, first_month)
        .select_from(CoverageMonth)
        .join(Allocation, Allocation.id == CoverageMonth.allocation_id)
        .outerjoin(Donation, Donation.id == Allocation.donation_id)
        .where(CoverageMonth.worker_id == worker.id, CoverageMonth.state.in_(LIVE_STATES))
        .group_by(Donation.id)
        .order_by(first_month, Donation.id)
    ).all()
    sponsors: list[Sponsor] = []
    for donation, _ in rows:
        if donation is None:
            continue
        sponsor = Sponsor(donation.public_name, "sponsor")
        if sponsor not in sponsors:
            sponsors.append(sponsor)
    if any(donation is None for donation, _ in rows):
        sponsors.append(Sponsor(worker.campaign.name, "pool"))
    return sponsors


# Personal status links (the QR code on a worker's card).
