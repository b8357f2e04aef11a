"""Check and register workers: the rules a CSV row and a form share."""

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache

import sqlalchemy as sa
from flask_babel import lazy_gettext
from stdnum.exceptions import (
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)
from stdnum.id import nik as stdnum_nik
from stdnum.util import isdigits

from ...crypto import mask_nik, vault
from ...extensions import db
from ...models import (
    Campaign,
    CoverageMonth,
    CoverageState,
    Sex,
    User,
    Verification,
    Worker,
    WorkerTally,
)
from ...regions import regency, regency_name
from .. import tallies
from ..access import audit
from ..errors import DomainError, FieldError, Rupiah
from ..locks import lock_campaign

#: What people put between the digits of a KPJ card number.
_KPJ_SEPARATORS = re.compile(r"[\s.\-]")
#: A KPJ (BPJS Ketenagakerjaan card) number: 11 digits, ASCII only (\d would take other scripts' digits).
_KPJ = re.compile(r"[0-9]{11}")
#: Declared income assumed when none is given: the lowest BPU bracket.
DEFAULT_INCOME_IDR = 1_000_000
_YES = {"ya", "y", "yes", "true", "1"}
_NO = {"tidak", "t", "no", "n", "false", "0", ""}
_INCOME = re.compile(r"^[0-9]{1,3}([.,][0-9]{3})+$|^[0-9]+$")
#: Declared monthly incomes above this are typing errors (the highest BPU bracket is far below).
MAX_INCOME_IDR = 100_000_000
_PHONE_NOISE = re.compile(r"[\s\-()]")
_PHONE = re.compile(r"\+?\d{8,15}")
#: A NIK with nothing to compact away (``stdnum_nik.compact`` would return it unchanged).
_COMPACT_NIK = re.compile(r"[0-9]{16}")


class WorkerInvalid(FieldError):
    """A worker's details break a rule; ``field`` names the field at fault."""

    fields = {
        "nik": lazy_gettext("NIK"), "full_name": lazy_gettext("full name"), "birth_date": lazy_gettext("birth date"), "sex": lazy_gettext("sex"),
        "phone": lazy_gettext("phone"), "occupation": lazy_gettext("occupation"), "regency_code": lazy_gettext("regency code"),
        "monthly_income_idr": lazy_gettext("monthly income"), "mustahik": lazy_gettext("mustahik"), "consent": lazy_gettext("consent"),
    }


@dataclass
class WorkerDetails:
    """Checked and normalised details of one worker."""

    nik: str
    full_name: str
    birth_date: dt.date
    sex: Sex
    phone: str | None
    occupation: str
    regency_code: str
    monthly_income_idr: int
    is_mustahik: bool
    consent: bool


@lru_cache(maxsize=None)
def _nik_region_known(prefix: str) -> bool:
    """Return whether stdnum accepts a NIK's region, its first 4 digits (about 500 are known)."""
    return stdnum_nik.is_valid(prefix + "99" "010170" "0001")


@lru_cache(maxsize=1 << 16)
def _nik_date_exists(ddmmyy: str) -> bool:
    """Return whether stdnum finds a birth date in a NIK's digits 7-12 (DDMMYY, women's day + 40)."""
    try:
        stdnum_nik.get_birth_date("147199" + ddmmyy + "0001")
    except ValidationError:
        return False
    return True


def validate_nik(nik: str) -> str:
    """Check a compact NIK as ``stdnum.id.nik.validate`` does, remembering its look-ups.

    stdnum checks that the number is 16 digits, that its birth date exists and
    that its first four digits name a known region; each check reads only its
    own digits. Asking stdnum once per region and per birth date instead of
    once per row makes checking a 100,000-row import several times faster,
    with the same verdicts (``tests/services/test_validate_nik.py``).
    """
    if not isdigits(nik):
        raise InvalidFormat()
    if len(nik) != 16:
        raise InvalidLength()
    if not _nik_date_exists(nik[6:12]) or not _nik_region_known(nik[:4]):
        raise InvalidComponent()
    return nik


def check_worker(raw: dict[str, str | bool], *, today: dt.date) -> WorkerDetails:
    """Validate raw fields (text from a CSV row, text and ticked boxes from a form) or raise :class:`WorkerInvalid`."""
    nik = raw.get("nik") or ""
    if not _COMPACT_NIK.fullmatch(nik):
        nik = stdnum_nik.compact(nik)
    try:
        validate_nik(nik)
    except ValidationError:
        raise WorkerInvalid("nik", lazy_gettext("not a valid NIK (16 digits with a known region and birth date)")) from None
    full_name = " ".join((raw.get("full_name") or "").split())
    if not full_name:
        raise WorkerInvalid("full_name", lazy_gettext("the name as on the KTP is required"))
    if len(full_name) > 200:
        raise WorkerInvalid("full_name", lazy_gettext("longer than 200 characters"))
    try:
        birth_date = dt.date.fromisoformat((raw.get("birth_date") or "").strip())
    except ValueError:
        raise WorkerInvalid("birth_date", lazy_gettext("use the form YYYY-MM-DD")) from None
    sex_code = (raw.get("sex") or "").strip().upper()
    if sex_code not in ("L", "P"):
        raise WorkerInvalid("sex", lazy_gettext("use L (laki-laki) or P (perempuan)"))
    sex = Sex(sex_code)
    day = int(nik[6:8])
    if (sex == Sex.female) != (day > 40):
        raise WorkerInvalid("sex", lazy_gettext("does not agree with the NIK (women have 40 added to the birth day)"))
    if (birth_date.day, birth_date.month, birth_date.year % 100) != (day % 40, int(nik[8:10]), int(nik[10:12])):
        raise WorkerInvalid("birth_date", lazy_gettext("does not agree with the birth date inside the NIK"))
    if birth_date > today:
        raise WorkerInvalid("birth_date", lazy_gettext("is in the future"))
    phone = _PHONE_NOISE.sub("", raw.get("phone") or "") or None
    if phone is not None and not _PHONE.fullmatch(phone):
        raise WorkerInvalid("phone", lazy_gettext("use 8 to 15 digits, optionally starting with +"))
    occupation = " ".join((raw.get("occupation") or "").split()).lower()
    if not occupation:
        raise WorkerInvalid("occupation", lazy_gettext("is required (e.g. ojek, pedagang, nelayan)"))
    if len(occupation) > 80:
        raise WorkerInvalid("occupation", lazy_gettext("longer than 80 characters"))
    regency_code = (raw.get("regency_code") or "").strip()
    if regency(regency_code) is None:
        raise WorkerInvalid("regency_code", lazy_gettext("unknown regency code %(code)s (4 digits, e.g. 1471)"),
                            code=repr(regency_code))
    income_text = (raw.get("monthly_income_idr") or "").strip()
    if not income_text:
        income = DEFAULT_INCOME_IDR
    elif _INCOME.match(income_text):
        digits = re.sub(r"[.,]", "", income_text)
        if len(digits) > len(str(MAX_INCOME_IDR)) or int(digits) > MAX_INCOME_IDR:
            raise WorkerInvalid("monthly_income_idr", lazy_gettext("more than %(limit)s a month; check the figure"),
                                limit=Rupiah(MAX_INCOME_IDR))
        income = int(digits)
    else:
        raise WorkerInvalid("monthly_income_idr", lazy_gettext("use whole rupiah, e.g. 1500000"))
    return WorkerDetails(
        nik=nik, full_name=full_name, birth_date=birth_date, sex=sex, phone=phone,
        occupation=occupation, regency_code=regency_code, monthly_income_idr=income,
        is_mustahik=_yes_no(raw, "mustahik"), consent=_yes_no(raw, "consent"),
    )


def _yes_no(raw: dict[str, str | bool], field: str) -> bool:
    value = raw.get(field)
    if isinstance(value, bool):  # a ticked box
        return value
    value = (value or "").strip().lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise WorkerInvalid(field, lazy_gettext("use ya/tidak or yes/no"))


def display_name(full_name: str, occupation: str, regency_code: str) -> str:
    """Return the pseudonym donors see: first name, initial, occupation, regency."""
    words = full_name.title().split()
    name = words[0] + (f" {words[1][0]}." if len(words) > 1 else "")
    return f"{name}, {occupation}, {regency_name(regency_code)}"


def worker_row(campaign: Campaign, details: WorkerDetails, *, verified: bool,
               now: dt.datetime) -> dict:
    """Return the ``workers`` table row for checked details (encrypted, hashed, pseudonymised)."""
    box = vault()
    return {
        "campaign_id": campaign.id,
        "public_id": secrets.token_urlsafe(12),
        "nik_encrypted": box.encrypt(details.nik),
        "nik_hash": box.lookup_hash(details.nik),
        "full_name": details.full_name,
        "birth_date": details.birth_date,
        "sex": details.sex.value,
        "phone_encrypted": box.encrypt(details.phone) if details.phone else None,
        "occupation": details.occupation,
        "regency_code": details.regency_code,
        "monthly_income_idr": details.monthly_income_idr,
        "is_mustahik": details.is_mustahik,
        "consent_at": now if details.consent else None,
        "public_profile": details.consent,
        "verification": (Verification.verified if verified else Verification.pending).value,
        "priority": 0,
        "display_name": display_name(details.full_name, details.occupation, details.regency_code),
        "lock_version": 0,
        "registered_at": now,
        "live_months": 0,
    }


def insert_worker_rows(campaign: Campaign, rows: list[dict]) -> None:
    """Insert ``worker_row`` rows in one statement and count them in the campaign's figures."""
    if not rows:
        return
    table = Worker.__table__
    lock_campaign(campaign.id)
    db.session.execute(table.insert(), rows)
    tallies.count_new_workers(table.c.nik_hash.in_([row["nik_hash"] for row in rows]))


def register_worker(campaign: Campaign, details: WorkerDetails, *, verified: bool = False,
                    now: dt.datetime) -> Worker:
    """Register one worker; raise :class:`WorkerInvalid` if the NIK is already registered."""
    if find_worker_by_nik(details.nik) is not None:
        raise WorkerInvalid("nik", lazy_gettext("this NIK is already registered"))
    row = worker_row(campaign, details, verified=verified, now=now)
    row["sex"] = details.sex
    row["verification"] = Verification(row["verification"])
    worker = Worker(**row)
    db.session.add(worker)
    db.session.flush()
    return worker


def normalise_kpj(kpj: str | None) -> str:
    """Return a KPJ number without the spaces, dots and dashes people write in it ("" for none)."""
    return _KPJ_SEPARATORS.sub("", kpj or "")


def is_kpj(kpj: str) -> bool:
    """Tell whether a normalised KPJ number has the 11 ASCII digits BPJS issues."""
    return _KPJ.fullmatch(kpj) is not None


def find_worker_by_nik(nik: str) -> Worker | None:
    """Return the worker with this NIK, found through the keyed hash."""
    nik = stdnum_nik.compact(nik)
    return db.session.scalar(sa.select(Worker).where(Worker.nik_hash == vault().lookup_hash(nik)))


def worker_nik(worker: Worker) -> str:
    """Return a worker's NIK in clear (for the remittance export and masked display only)."""
    return vault().decrypt(worker.nik_encrypted)


class WorkerUpdateRefused(DomainError):
    """A change to a worker that breaks a rule (the message says why)."""


def register_one(campaign: Campaign, raw: dict[str, str | bool], *, user: User, verified: bool,
                 today: dt.date, now: dt.datetime) -> Worker:
    """Check and register a worker typed in by staff, with the same rules as a CSV row."""
    worker = register_worker(campaign, check_worker(raw, today=today), verified=verified, now=now)
    audit.record_action("worker.register", user=user, campaign=campaign, subject=f"worker {worker.public_id}",
                        params={"worker": worker.public_id, "verified": verified})
    return worker


def update_worker(worker: Worker, *, user: User, verification: Verification, reason: str = "",
                  is_mustahik: bool, consent: bool, priority: int, clear_flag: bool = False,
                  now: dt.datetime) -> list[dict]:
    """Verify or reject a worker, record consent and mustahik status, set priority; return what changed."""
    reason = " ".join(reason.split())
    if verification == Verification.rejected and not reason:
        raise WorkerUpdateRefused(lazy_gettext("give the reason for rejecting the worker"))
    if not -100 <= priority <= 100:
        raise WorkerUpdateRefused(lazy_gettext("priority must be between -100 and 100"))
    changes = []
    if verification != worker.verification:
        changes.append({"change": "verification", "before": worker.verification.value, "after": verification.value})
        worker.verification = verification
        if verification == Verification.rejected:
            worker.flag_reason = reason[:300]
        elif worker.flag_reason:
            # The flag was the rejection being lifted: a fresh verification clears it.
            clear_flag = True
    elif verification == Verification.rejected and reason and reason != worker.flag_reason:
        worker.flag_reason = reason[:300]
        changes.append({"change": "reason"})
    if is_mustahik != worker.is_mustahik:
        changes.append({"change": "mustahik", "value": is_mustahik})
        worker.is_mustahik = is_mustahik
    if consent != (worker.consent_at is not None):
        changes.append({"change": "consent", "value": consent})
        worker.consent_at = now if consent else None
        worker.public_profile = consent
    if priority != worker.priority:
        changes.append({"change": "priority", "before": worker.priority, "after": priority})
        worker.priority = priority
    if clear_flag and worker.flag_reason and verification != Verification.rejected:
        changes.append({"change": "flag_cleared"})
        worker.flag_reason = None
        _forget_rejected_months(worker)
    db.session.flush()
    if changes:
        action = {Verification.verified: "worker.verify", Verification.rejected: "worker.reject"}.get(
            verification) if any(c["change"] == "verification" for c in changes) else "worker.update"
        audit.record_action(action, user=user, campaign=worker.campaign, subject=f"worker {worker.public_id}",
                            params={"worker": worker.public_id, "changes": changes, "reason": reason})
    return changes


def verify_workers(campaign: Campaign, public_ids: list[str], *, user: User) -> int:
    """Verify the chosen pending workers of a campaign at once; return how many were verified."""
    if not public_ids:
        return 0
    verified = 0
    lock_campaign(campaign.id)
    for start in range(0, len(public_ids), 1000):
        ids = list(db.session.scalars(sa.select(Worker.id).where(
            Worker.campaign_id == campaign.id, Worker.public_id.in_(public_ids[start:start + 1000]),
            Worker.verification == Verification.pending)))
        with tallies.workers_changing(ids):
            verified += db.session.execute(
                sa.update(Worker).where(Worker.id.in_(ids)).values(verification=Verification.verified)
                .execution_options(synchronize_session=False)).rowcount
    if verified:
        audit.record_action("worker.verify", user=user, campaign=campaign, subject=f"{verified} workers",
                            params={"count": verified})
    return verified


def _forget_rejected_months(worker: Worker) -> None:
    """Free the months BPJS rejected so a cleared worker can be funded for them again.

    Their money went back to the pool through the ledger when they were
    rejected; the journal keeps that record.
    """

    db.session.execute(sa.delete(CoverageMonth).where(
        CoverageMonth.worker_id == worker.id, CoverageMonth.state == CoverageState.rejected))


def registered_count(campaign: Campaign) -> int:
    """Return how many workers the campaign registered, from the kept tallies rather than a count of them."""
    return int(db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(WorkerTally.workers), 0))
                                 .where(WorkerTally.campaign_id == campaign.id)))


def masked_nik(worker: Worker) -> str:
    """Return the worker's NIK with all but the last four digits hidden."""

    return mask_nik(worker_nik(worker))
