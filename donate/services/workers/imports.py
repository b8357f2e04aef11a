"""Import workers from a partner's CSV register: check every row, then all or nothing."""

import csv
import datetime as dt
import io
import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, lazy_gettext

from ... import jobs
from ...crypto import vault
from ...extensions import db
from ...models import (
    BackgroundJob,
    Campaign,
    RejectedRowsFile,
    User,
    Worker,
)
from ..access import audit
from ..csvfiles import write_csv
from ..errors import DomainError
from .registry import WorkerInvalid, check_worker, insert_worker_rows, worker_row

#: Rejected rows a finished upload's page lists (the download has them all).
REJECTED_SHOWN = 200
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


class _NulGuard:
    """A line iterator over a text stream that refuses NUL bytes and counts lines."""

    def __init__(self, text):
        self.text = text
        self.line = 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        try:
            chunk = next(self.text)
        except UnicodeDecodeError:
            raise ImportFileInvalid(lazy_gettext("line %(line)s: cannot be read (%(reason)s)"),
                                    line=self.line + 1, reason="not UTF-8") from None
        self.line += chunk.count("\n") or 1
        if "\x00" in chunk:
            raise ImportFileInvalid(
                lazy_gettext("line %(line)s: contains a NUL byte (is this a spreadsheet saved as CSV?)"),
                line=self.line)
        return chunk


def _text_stream(data) -> io.TextIOBase:
    """Return a text stream over bytes, a string or a binary file, decoding UTF-8 (with or without BOM)."""
    if isinstance(data, str):
        return io.StringIO(data.removeprefix("\ufeff"), newline="")
    if isinstance(data, (bytes, bytearray)):
        data = io.BytesIO(data)
    return io.TextIOWrapper(_Unclosable(data), encoding="utf-8-sig", newline="")


def iter_rows(data, columns: tuple[str, ...] = COLUMNS):
    """Yield (line number, row) from a UTF-8 CSV with a header, comma or semicolon separated, one at a time.

    ``data`` may be bytes, a string or a binary file: a file is read as it
    goes, so memory stays bounded by one row, whatever the file's size.
    """
    lines = _NulGuard(_text_stream(data))
    try:
        first_line = next(lines)
    except StopIteration:
        first_line = ""
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(itertools.chain([first_line], lines), delimiter=delimiter)
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
        for row in reader:
            if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
                continue
            yield reader.line_num, {k: (v if isinstance(v, str) else "") for k, v in row.items() if k}
    except csv.Error as exc:  # a field over the csv module's 128 KB limit, a stray quote at the end
        raise ImportFileInvalid(lazy_gettext("line %(line)s: cannot be read (%(reason)s)"),
                                line=reader.line_num + 1, reason=str(exc)) from None


def read_rows(data, columns: tuple[str, ...] = COLUMNS) -> list[tuple[int, dict[str, str]]]:
    """Return every (line number, row) of a CSV (see :func:`iter_rows`), for files known to be small."""
    return list(iter_rows(data, columns))


def _rewindable(data):
    """Return ``data`` as something :func:`iter_rows` can read twice (a file is rewound, not copied)."""
    if isinstance(data, (bytes, bytearray, str)):
        return lambda: data
    start = data.tell()

    def again():
        data.seek(start)
        return data
    return again


class _Unclosable(io.BufferedIOBase):
    """A view of a binary file that a TextIOWrapper may close without closing the file."""

    def __init__(self, raw):
        self.raw = raw

    def readable(self) -> bool:
        return True

    def read(self, size=-1):
        return self.raw.read(size)

    def read1(self, size=-1):
        return self.raw.read(size)

    def readinto(self, buffer):
        data = self.raw.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def import_workers(campaign: Campaign, data, *, today: dt.date, now: dt.datetime, verified: bool = True,
                   skip_invalid: bool = False, company_id: int | None = None,
                   progress: Callable[[int], None] | None = None) -> ImportReport:
    """Check every row and import them; with a bad row, import nothing unless ``skip_invalid``.

    With ``company_id``, the workers come from a company's own list and are
    reserved to its gifts (``coverage.waitlist.eligible``).

    ``data`` is bytes, a string or a binary file. The file is read twice, row
    by row: first to check every row (keeping only each NIK's keyed hash and
    the rejected rows), then to insert the good ones in chunks; so a 20 MB
    upload needs memory for its hashes, not for its rows.

    ``progress`` hears how far it got, in rows checked and then rows checked
    plus rows inserted (out of twice the rows), every chunk.
    """
    tell = progress or (lambda done: None)
    report = ImportReport()
    source = _rewindable(data)
    box = vault()
    first_line_of: dict[str, int] = {}  # keyed NIK hash -> line
    for line, raw in iter_rows(source()):
        report.rows += 1
        if report.rows % _CHUNK == 0:
            tell(report.rows)
        try:
            details = check_worker(raw, today=today)
        except WorkerInvalid as exc:
            report.rejected.append(RejectedRow(line, exc, raw))
            continue
        nik_hash = box.lookup_hash(details.nik)
        if nik_hash in first_line_of:
            report.rejected.append(
                RejectedRow(line, WorkerInvalid("nik", lazy_gettext("duplicate of line %(line)s"),
                                                line=first_line_of[nik_hash]), raw))
            continue
        first_line_of[nik_hash] = line

    registered = _registered_hashes(list(first_line_of))
    if registered:
        rejected_lines = {first_line_of[h]: covered for h, covered in registered.items()}
        for line, raw in iter_rows(source()):
            if line in rejected_lines:
                # A worker someone already pays for is said so: a second list never takes them over.
                reason = (lazy_gettext("already registered and covered") if rejected_lines[line]
                          else lazy_gettext("already registered"))
                report.rejected.append(RejectedRow(line, WorkerInvalid("nik", reason), raw))
    report.rejected.sort(key=lambda r: r.line)
    if report.rejected and not skip_invalid:
        return report

    tell(report.rows)
    kept_lines = {line for h, line in first_line_of.items() if h not in registered}
    chunk = []
    inserted = 0
    for line, raw in iter_rows(source()):
        if line not in kept_lines:
            continue
        chunk.append(worker_row(campaign, check_worker(raw, today=today), verified=verified, now=now)
                     | {"company_id": company_id})
        if len(chunk) == _CHUNK:
            insert_worker_rows(campaign, chunk)
            inserted += len(chunk)
            chunk = []
            tell(report.rows + inserted)
    insert_worker_rows(campaign, chunk)
    report.imported = len(kept_lines)
    return report


def _registered_hashes(hashes: list[str]) -> dict[str, bool]:
    """Return which of ``hashes`` belong to registered workers, each with whether the worker ever had cover."""
    found: dict[str, bool] = {}
    for start in range(0, len(hashes), _CHUNK):
        found.update((nik_hash, last is not None) for nik_hash, last in db.session.execute(
            sa.select(Worker.nik_hash, Worker.last_live_month).where(Worker.nik_hash.in_(hashes[start:start + _CHUNK]))
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


def start_upload(campaign: Campaign, data: bytes, *, user: User, verified: bool,
                 skip_invalid: bool, today: dt.date) -> BackgroundJob:
    """Queue a browser upload as a background job; an unreadable file is refused at once."""
    rows = read_rows(data)
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    return jobs.start_job("import_workers", campaign_id=campaign.id, user_id=user.id, total=2 * len(rows),
                          params={"verified": verified, "skip_invalid": skip_invalid, "today": today.isoformat()},
                          payload=vault().encrypt(text))


@jobs.job("import_workers")
def run_upload(job: BackgroundJob, progress, *, now: dt.datetime) -> dict:
    """Import an uploaded file (the job's encrypted payload), then forget the file."""
    campaign = db.session.get(Campaign, job.campaign_id)
    user = db.session.get(User, job.user_id)
    result = upload_workers(campaign, vault().decrypt(job.payload), user=user, verified=job.params["verified"],
                            skip_invalid=job.params["skip_invalid"],
                            today=dt.date.fromisoformat(job.params["today"]), now=now,  # the day of the upload
                            progress=progress)
    job.payload = None  # the NIKs of the file are not kept beyond the import
    report = result.report
    return {"rows": report.rows, "imported": report.imported, "applied": result.imported,
            "rejected_count": len(report.rejected), "rejected_token": result.rejected_token,
            "rejected": [{"line": r.line, "reason": _in_each_language(r.reason)}
                         for r in report.rejected[:REJECTED_SHOWN]]}


def _in_each_language(reason) -> dict[str, str]:
    """Return a rejection's reason in every language of the site, for a page read later in any of them."""
    texts = {}
    for language in current_app.config["LANGUAGES"]:
        with force_locale(language):
            texts[language] = str(reason)
    return texts


def upload_workers(campaign: Campaign, data, *, user: User, verified: bool,
                   skip_invalid: bool, today: dt.date, now: dt.datetime,
                   company_id: int | None = None, progress: Callable[[int], None] | None = None) -> UploadResult:
    """Import a CSV from the browser as the CLI does, keeping rejected rows (encrypted) for download."""
    report = import_workers(campaign, data, today=today, now=now, verified=verified, skip_invalid=skip_invalid,
                            company_id=company_id, progress=progress)
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
            params={"rows": report.rows, "imported": report.imported, "verified": verified,
                    "rejected": len(report.rejected)})
    return result


def rejected_rows_csv(campaign: Campaign, token: str, *, now: dt.datetime,
                      user: User | None = None) -> str | None:
    """Return an upload's rejected rows (full NIKs: audited), or ``None`` if unknown or a week older than ``now``."""
    found = db.session.scalar(sa.select(RejectedRowsFile).where(
        RejectedRowsFile.token == token, RejectedRowsFile.campaign_id == campaign.id,
        RejectedRowsFile.created_at > now - dt.timedelta(days=REJECTED_ROWS_DAYS)))
    if found is None:
        return None
    if user is not None:
        audit.record_action("worker.rejected_rows", user=user, campaign=campaign,
                            subject=f"{found.rows} rejected rows", params={"rows": found.rows})
    return vault().decrypt(found.content_encrypted)
