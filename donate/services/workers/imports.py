"""Import workers from a partner's CSV register: check every row, then all or nothing."""

import csv
import datetime as dt
import io
import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext

from ...crypto import vault
from ...extensions import db
from ...models import (
    Campaign,
    RejectedRowsFile,
    User,
    Worker,
)
from ...models.base import utcnow
from ..access import audit
from ..csvfiles import write_csv
from ..errors import DomainError
from .registry import WorkerInvalid, check_worker, worker_row

#: The columns of the worker CSV (DESIGN "Worker CSV").
COLUMNS = ("nik", "full_name", "birth_date", "sex", "phone", "occupation", "regency_code",
           "monthly_income_idr", "mustahik", "consent")
_CHUNK = 5000


class ImportFileInvalid(DomainError):
    """The file as a whole cannot be read (encoding, header)."""


@dataclass
class RejectedRow:
    line: int
    #: What is wrong with the row, the field first; ``str()`` says it in the current locale.
    reason: WorkerInvalid
    row: dict[str, str]


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return whether every row was good."""
        return not self.rejected


def read_rows(data: bytes | str, columns: tuple[str, ...] = COLUMNS) -> list[tuple[int, dict[str, str]]]:
    """Return (line number, row) pairs from a UTF-8 CSV with a header, comma or semicolon separated."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ImportFileInvalid(lazy_gettext("the file is not UTF-8 (byte %(byte)s)"), byte=exc.start) from None
    data = data.removeprefix("\ufeff")
    if "\x00" in data:
        line = data.count("\n", 0, data.index("\x00")) + 1
        raise ImportFileInvalid(lazy_gettext("line %(line)s: contains a NUL byte (is this a spreadsheet saved as CSV?)"),
                                line=line)
    first_line = data.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(data, newline=""), delimiter=delimiter)
    try:
        header = [(name or "").strip().lower() for name in (reader.fieldnames or [])]
        missing = [c for c in columns if c not in header]
        if missing:
            raise ImportFileInvalid(lazy_gettext("line 1: the header lacks %(columns)s"), columns=", ".join(missing))
        repeated = sorted({name for name in header if name and header.count(name) > 1})
        if repeated:
            raise ImportFileInvalid(lazy_gettext("line 1: the header names %(columns)s more than once"),
                                    columns=", ".join(repeated))
        reader.fieldnames = header
        rows = []
        for row in reader:
            if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
                continue
            rows.append((reader.line_num, {k: (v if isinstance(v, str) else "") for k, v in row.items() if k}))
    except csv.Error as exc:  # a field over the csv module's 128 KB limit, a stray quote at the end
        raise ImportFileInvalid(lazy_gettext("line %(line)s: cannot be read (%(reason)s)"),
                                line=reader.line_num + 1, reason=str(exc)) from None
    return rows


def import_workers(campaign: Campaign, data: bytes | str, *, verified: bool = True,
                   skip_invalid: bool = False) -> ImportReport:
    """Check every row and import them; with a bad row, import nothing unless ``skip_invalid``."""
    report = ImportReport()
    rows = read_rows(data)
    report.rows = len(rows)
    box = vault()
    good = []
    first_line_of: dict[str, int] = {}
    for line, raw in rows:
        try:
            details = check_worker(raw)
        except WorkerInvalid as exc:
            report.rejected.append(RejectedRow(line, exc, raw))
            continue
        if details.nik in first_line_of:
            report.rejected.append(
                RejectedRow(line, WorkerInvalid("nik", lazy_gettext("duplicate of line %(line)s"),
                                                line=first_line_of[details.nik]), raw))
            continue
        first_line_of[details.nik] = line
        good.append((line, raw, details, box.lookup_hash(details.nik)))

    registered = _registered_hashes([h for *_, h in good])
    kept = []
    for line, raw, details, nik_hash in good:
        if nik_hash in registered:
            report.rejected.append(RejectedRow(line, WorkerInvalid("nik", lazy_gettext("already registered")), raw))
        else:
            kept.append(details)
    report.rejected.sort(key=lambda r: r.line)
    if report.rejected and not skip_invalid:
        return report

    now = utcnow()
    table = Worker.__table__
    for start in range(0, len(kept), _CHUNK):
        db.session.execute(
            table.insert(),
            [worker_row(campaign, d, verified=verified, now=now) for d in kept[start:start + _CHUNK]],
        )
    report.imported = len(kept)
    return report


def _registered_hashes(hashes: list[str]) -> set[str]:
    """Return which of ``hashes`` belong to registered workers."""
    found: set[str] = set()
    for start in range(0, len(hashes), _CHUNK):
        found.update(db.session.scalars(
            sa.select(Worker.nik_hash).where(Worker.nik_hash.in_(hashes[start:start + _CHUNK]))
        ))
    return found


def write_rejected(report: ImportReport, stream) -> None:
    """Write the rejected rows with their line and reason as CSV to ``stream``."""
    stream.write(write_csv(("line", "reason", *COLUMNS), (
        (rejected.line, str(rejected.reason), *(rejected.row.get(c, "") for c in COLUMNS))
        for rejected in report.rejected)))


#: Days the rejected rows of a browser upload stay downloadable.
REJECTED_ROWS_DAYS = 7


@dataclass
class UploadResult:
    report: ImportReport
    #: Download token of the rejected rows, when there were any.
    rejected_token: str | None = None
    imported: bool = False
    errors: list[str] = field(default_factory=list)


def upload_workers(campaign: Campaign, data: bytes, *, user: User, verified: bool,
                   skip_invalid: bool) -> UploadResult:
    """Import a CSV from the browser as the CLI does, keeping rejected rows (encrypted) for download."""
    report = import_workers(campaign, data, verified=verified, skip_invalid=skip_invalid)
    result = UploadResult(report=report, imported=not report.rejected or skip_invalid)
    if report.rejected:
        stream = io.StringIO()
        write_rejected(report, stream)
        token = secrets.token_urlsafe(18)
        db.session.add(RejectedRowsFile(token=token, campaign_id=campaign.id, user_id=user.id,
                                        content_encrypted=vault().encrypt(stream.getvalue()),
                                        rows=len(report.rejected)))
        db.session.flush()
        result.rejected_token = token
    if result.imported:
        audit.record_action(
            "worker.import", user=user, campaign=campaign, subject=f"{report.rows} rows",
            detail=f"imported {report.imported} ({'verified' if verified else 'pending'}), "
                   f"rejected {len(report.rejected)}")
    return result


def rejected_rows_csv(campaign: Campaign, token: str, *, user: User | None = None) -> str | None:
    """Return an upload's rejected rows (full NIKs: audited), or ``None`` if unknown or older than a week."""
    found = db.session.scalar(sa.select(RejectedRowsFile).where(
        RejectedRowsFile.token == token, RejectedRowsFile.campaign_id == campaign.id,
        RejectedRowsFile.created_at > utcnow() - dt.timedelta(days=REJECTED_ROWS_DAYS)))
    if found is None:
        return None
    if user is not None:
        audit.record_action("worker.rejected_rows", user=user, campaign=campaign,
                            subject=f"{found.rows} rejected rows", detail="downloaded with full NIKs")
    return vault().decrypt(found.content_encrypted)
