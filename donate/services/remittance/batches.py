"""Send funded months to BPJS in batches and reconcile BPJS's answers.

A batch takes the funded months of a period that no batch has sent yet and
books them from ``allocated`` to ``remitted``. Its file holds the full NIKs
(the only place they leave the database), so every download is audited.
BPJS answers per worker: accepted months make the worker protected and
store the KPJ; rejected months return their premiums from ``remitted`` to
the pool and flag the worker. The updates are conditional on the month
still being ``remitted``, so an answer uploaded twice is counted once.
"""

import datetime as dt
from collections import defaultdict
from contextlib import nullcontext
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext
from stdnum.id import nik as stdnum_nik

from ...crypto import vault
from ...extensions import db
from ...models import (
    Account,
    Acknowledgement,
    BatchState,
    Campaign,
    CoverageMonth,
    CoverageState,
    RemittanceBatch,
    User,
    Worker,
)
from ...months import current_month, month_code
from ...regions import regency_name
from .. import ledger, tallies
from ..access import audit
from ..csvfiles import write_csv
from ..errors import DomainError
from ..locks import lock_campaign
from ..scratch import scratch_table
from ..workers.imports import ImportFileInvalid, read_rows
from ..workers.registry import is_kpj, normalise_kpj, worker_nik

#: Columns of the file BPJS needs for collective (kolektif) BPU registration.
EXPORT_COLUMNS = ("nik", "full_name", "birth_date", "sex", "occupation", "regency_code", "regency_name",
                  "kpj", "first_month", "last_month", "months", "amount_idr", "programs")
#: Columns of BPJS's acknowledgement file.
ACK_COLUMNS = ("nik", "kpj", "status", "reason")
_ACCEPTED = {"accepted", "diterima", "terima", "ok", "sukses"}
_REJECTED = {"rejected", "ditolak", "tolak", "gagal"}
_CHUNK = 500


class BatchEmpty(DomainError):
    """No funded months in the period are waiting to be sent."""


class BatchStateInvalid(DomainError):
    """The batch is not in a state that allows what was asked."""


@dataclass
class AckRow:
    line: int
    worker_id: int
    accepted: bool
    kpj: str | None
    reason: str


@dataclass
class AckReport:
    rows: int = 0
    months_accepted: int = 0
    months_rejected: int = 0
    returned_idr: int = 0
    #: Workers whose answer was recorded by an earlier upload.
    already: int = 0
    #: (line, reason) of rows that cannot be applied.
    errors: list[tuple[int, str]] = field(default_factory=list)
    applied: bool = False


def _pending_months(campaign: Campaign, first_month: int, last_month: int):
    """Conditions for funded months of the period that no batch has taken."""
    return (CoverageMonth.campaign_id == campaign.id, CoverageMonth.state == CoverageState.funded,
            CoverageMonth.batch_id.is_(None), CoverageMonth.month.between(first_month, last_month))


def waiting_to_send(campaign: Campaign, first_month: int, last_month: int) -> tuple[int, int, int]:
    """Return (workers, months, amount) of funded months of the period not yet sent."""
    workers, months, amount = db.session.execute(
        sa.select(sa.func.count(sa.distinct(CoverageMonth.worker_id)), sa.func.count(),
                  sa.func.coalesce(sa.func.sum(CoverageMonth.premium_idr), 0))
        .where(*_pending_months(campaign, first_month, last_month))).one()
    return workers, months, int(amount)


def create_batch(campaign: Campaign, first_month: int, last_month: int, *, user: User | None) -> RemittanceBatch:
    """Put the period's unsent funded months in a new batch and book them as remitted."""
    if first_month > last_month:
        raise BatchEmpty(lazy_gettext("the period ends before it starts"))
    lock_campaign(campaign.id)
    by_designation = dict(db.session.execute(
        sa.select(CoverageMonth.designation, sa.func.sum(CoverageMonth.premium_idr))
        .where(*_pending_months(campaign, first_month, last_month))
        .group_by(CoverageMonth.designation)).all())
    if not by_designation:
        raise BatchEmpty(lazy_gettext("no funded months of this period are waiting to be sent to BPJS"))
    workers, months, amount = waiting_to_send(campaign, first_month, last_month)
    batch = RemittanceBatch(campaign_id=campaign.id, first_month=first_month, last_month=last_month,
                            workers=workers, months=months, amount_idr=amount,
                            created_by_id=user.id if user else None)
    db.session.add(batch)
    db.session.flush()
    tallies.move_months(_pending_months(campaign, first_month, last_month), CoverageState.remitted,
                        batch_id=batch.id)
    ledger.post_entry(
        campaign.id, "remittance",
        [line for designation, total in by_designation.items()
         for line in ((Account.allocated, designation, -int(total)), (Account.remitted, designation, int(total)))],
        memo=f"remittance batch {batch.id}: {workers} workers, {months} months")
    audit.record_action("remittance.create", user=user, campaign=campaign, subject=f"batch {batch.id}",
                        params={"batch": batch.id, "workers": workers, "months": months, "amount_idr": int(amount)})
    return batch


def cancel_batch(batch: RemittanceBatch, *, user: User | None) -> None:
    """Withdraw a batch whose transfer is not recorded; its months become funded and unsent again."""
    if batch.state != BatchState.created:
        raise BatchStateInvalid(lazy_gettext("only a batch whose transfer is not recorded can be cancelled"))
    lock_campaign(batch.campaign_id)
    by_designation = dict(db.session.execute(
        sa.select(CoverageMonth.designation, sa.func.sum(CoverageMonth.premium_idr))
        .where(CoverageMonth.batch_id == batch.id, CoverageMonth.state == CoverageState.remitted)
        .group_by(CoverageMonth.designation)).all())
    tallies.move_months((CoverageMonth.batch_id == batch.id, CoverageMonth.state == CoverageState.remitted),
                        CoverageState.funded, batch_id=None)
    ledger.post_entry(
        batch.campaign_id, "remittance_cancelled",
        [line for designation, total in by_designation.items()
         for line in ((Account.remitted, designation, -int(total)), (Account.allocated, designation, int(total)))],
        memo=f"remittance batch {batch.id} cancelled")
    batch.state = BatchState.cancelled
    db.session.flush()
    audit.record_action("remittance.cancel", user=user, campaign=batch.campaign, subject=f"batch {batch.id}",
                        params={"batch": batch.id})


def export_rows(batch: RemittanceBatch):
    """Yield the batch file's rows, one per worker, with full NIKs."""
    # The campaign's package, the same for every month it ever funded (``Campaign.includes_jht``).
    programs = "+".join(batch.campaign.programs)
    per_worker = db.session.execute(
        sa.select(CoverageMonth.worker_id, sa.func.min(CoverageMonth.month), sa.func.max(CoverageMonth.month),
                  sa.func.count(), sa.func.sum(CoverageMonth.premium_idr))
        .where(CoverageMonth.batch_id == batch.id)
        .group_by(CoverageMonth.worker_id).order_by(CoverageMonth.worker_id)).all()
    for start in range(0, len(per_worker), _CHUNK):
        chunk = per_worker[start:start + _CHUNK]
        workers = {w.id: w for w in db.session.scalars(
            sa.select(Worker).where(Worker.id.in_([row[0] for row in chunk])))}
        for worker_id, first, last, months, amount in chunk:
            worker = workers[worker_id]
            yield (worker_nik(worker), worker.full_name, worker.birth_date.isoformat(), worker.sex.value,
                   worker.occupation, worker.regency_code, regency_name(worker.regency_code), worker.kpj or "",
                   month_code(first), month_code(last), months, int(amount), programs)


def export_batch(batch: RemittanceBatch, *, user: User | None) -> str:
    """Return the batch file for BPJS as CSV and log the download (it holds full NIKs)."""
    if batch.state == BatchState.cancelled:
        raise BatchStateInvalid(lazy_gettext("this batch was cancelled"))
    text = write_csv(EXPORT_COLUMNS, export_rows(batch))
    audit.record_action("remittance.export", user=user, campaign=batch.campaign, subject=f"batch {batch.id}",
                        params={"batch": batch.id, "workers": batch.workers})
    return text


def record_transfer(batch: RemittanceBatch, reference: str, *, transferred_on: dt.date,
                    user: User | None) -> None:
    """Record the bank transfer that paid BPJS for the batch."""
    reference = " ".join(reference.split())
    if not reference:
        raise BatchStateInvalid(lazy_gettext("give the transfer reference"))
    if batch.state == BatchState.cancelled:
        raise BatchStateInvalid(lazy_gettext("this batch was cancelled"))
    before = batch.transfer_reference
    batch.transfer_reference = reference[:120]
    batch.transferred_on = transferred_on
    if batch.state == BatchState.created:
        batch.state = BatchState.sent
    db.session.flush()
    audit.record_action("remittance.transfer", user=user, campaign=batch.campaign, subject=f"batch {batch.id}",
                        params={"batch": batch.id, "reference": reference, "transferred_on": transferred_on.isoformat(),
                                "before": before if before and before != reference else ""})


@dataclass
class _AckLine:
    """One line of the answer file as read, before it is matched to the batch."""

    line: int
    nik_hash: str | None
    status: str
    kpj: str | None
    reason: str


def _read_ack_lines(rows) -> list[_AckLine]:
    """Normalise every answer: the NIK's keyed hash, the status word, the KPJ without separators."""
    box = vault()
    lines = []
    for line, raw in rows:
        nik = raw.get("nik") or ""
        if not (nik.isascii() and nik.isdigit()):  # plain digits are compact already; stdnum is slow per row
            nik = stdnum_nik.compact(nik)
        lines.append(_AckLine(line, box.lookup_hash(nik) if nik else None, (raw.get("status") or "").strip().lower(),
                              normalise_kpj(raw.get("kpj")) or None, " ".join((raw.get("reason") or "").split())))
    return lines


def _match_ack_lines(batch: RemittanceBatch, lines: list[_AckLine]):
    """Return, by line, the batch's worker each NIK names and the worker holding each KPJ; and the states.

    The file's lines go into a temporary table joined once to the workers
    and once to the batch's months, so the statements are the same for
    ten rows or sixty thousand.
    """
    columns = [sa.Column("line", sa.Integer, primary_key=True), sa.Column("nik_hash", sa.String(64)),
               sa.Column("kpj", sa.String(11))]
    rows = [{"line": a.line, "nik_hash": a.nik_hash, "kpj": a.kpj if a.kpj and is_kpj(a.kpj) else None}
            for a in lines]
    with scratch_table("ack_lines", columns, rows) as file:
        owner = sa.orm.aliased(Worker, name="owner")
        named: dict[int, int] = {}
        owners: dict[int, int] = {}
        for line, worker_id, owner_id in db.session.execute(
                sa.select(file.c.line, Worker.id, owner.id)
                .outerjoin(Worker, Worker.nik_hash == file.c.nik_hash)
                .outerjoin(owner, owner.kpj == file.c.kpj)):
            if worker_id is not None:
                named[line] = worker_id
            if owner_id is not None:
                owners[line] = owner_id
        states: dict[int, set[CoverageState]] = defaultdict(set)
        for worker_id, state in db.session.execute(
                sa.select(CoverageMonth.worker_id, CoverageMonth.state)
                .where(_in_batch(batch), CoverageMonth.worker_id.in_(
                    sa.select(Worker.id).join(file, file.c.nik_hash == Worker.nik_hash)))
                .group_by(CoverageMonth.worker_id, CoverageMonth.state)):
            states[worker_id].add(state)
    return named, owners, states


def _check_ack_rows(batch: RemittanceBatch, rows, report: AckReport) -> list[AckRow]:
    """Match every answer to a worker of the batch; collect the rows that cannot be applied."""
    lines = _read_ack_lines(rows)
    named, owners, states = _match_ack_lines(batch, lines)
    seen_nik: dict[int, int] = {}
    seen_kpj: dict[str, int] = {}
    checked = []
    for answer in lines:
        line, status, kpj = answer.line, answer.status, answer.kpj
        worker_id = named.get(line)
        if worker_id is None or worker_id not in states:
            report.errors.append((line, "nik: not in this batch"))
            continue
        if worker_id in seen_nik:
            report.errors.append((line, f"nik: duplicate of line {seen_nik[worker_id]}"))
            continue
        seen_nik[worker_id] = line
        if status not in _ACCEPTED | _REJECTED:
            report.errors.append((line, "status: use accepted/diterima or rejected/ditolak"))
            continue
        accepted = status in _ACCEPTED
        if accepted:
            if kpj is None or not is_kpj(kpj):
                report.errors.append((line, "kpj: an accepted worker needs the 11-digit KPJ"))
                continue
            if kpj in seen_kpj:
                report.errors.append((line, f"kpj: also given on line {seen_kpj[kpj]}"))
                continue
            seen_kpj[kpj] = line
            owner = owners.get(line)
            if owner is not None and owner != worker_id:
                report.errors.append((line, "kpj: already belongs to another worker"))
                continue
        answered = states[worker_id] - {CoverageState.remitted}
        if answered and CoverageState.remitted not in states[worker_id]:
            wanted = CoverageState.accepted if accepted else CoverageState.rejected
            if answered == {wanted}:
                report.already += 1
            else:
                report.errors.append(
                    (line, f"status: already recorded as {', '.join(sorted(s.value for s in answered))}"))
            continue
        checked.append(AckRow(line, worker_id, accepted, kpj if accepted else None,
                              answer.reason or "rejected by BPJS (no reason given)"))
    return checked


def _in_batch(batch: RemittanceBatch):
    """SQL: the month is in ``batch``, written so that the file's workers are found by their (worker, month) index.

    On the batch's own index each statement would read every month of the
    batch (half a million at GN Lingkaran's size); ``+ 0`` keeps SQLite's
    planner off it.
    """
    return CoverageMonth.batch_id + 0 == batch.id


def acknowledge_batch(batch: RemittanceBatch, data: bytes | str, *, user: User | None,
                      skip_invalid: bool = False) -> AckReport:
    """Apply BPJS's answers for a batch; with a bad row, apply nothing unless ``skip_invalid``.

    Set-based whatever the file's size: the checked answers go into a
    temporary table, and each change (months accepted, months rejected,
    KPJs, flags, the tallies, the money back to the pool) is one statement
    joined to it.
    """
    if batch.state not in (BatchState.sent, BatchState.reconciled):
        raise BatchStateInvalid(lazy_gettext("record the transfer to BPJS before its acknowledgement"))
    rows = read_rows(data, ACK_COLUMNS)
    report = AckReport(rows=len(rows))
    checked = _check_ack_rows(batch, rows, report)
    if report.errors and not skip_invalid:
        return report
    lock_campaign(batch.campaign_id)
    columns = [sa.Column("worker_id", sa.Integer, primary_key=True), sa.Column("accepted", sa.Boolean),
               sa.Column("kpj", sa.String(11)), sa.Column("reason", sa.String(300))]
    answers = [{"worker_id": row.worker_id, "accepted": row.accepted, "kpj": row.kpj, "reason": row.reason[:300]}
               for row in checked]
    rejected_count = sum(1 for row in checked if not row.accepted)
    with scratch_table("ack_answers", columns, answers) as file:
        def answered(accepted: bool):
            return sa.select(file.c.worker_id).where(file.c.accepted.is_(accepted))

        def months_of(accepted: bool):
            return (_in_batch(batch), CoverageMonth.state == CoverageState.remitted,
                    CoverageMonth.worker_id.in_(answered(accepted)))

        returned = {designation: int(total) for designation, total in db.session.execute(
            sa.select(CoverageMonth.designation, sa.func.sum(CoverageMonth.premium_idr))
            .where(*months_of(False)).group_by(CoverageMonth.designation))}
        report.months_accepted = tallies.move_months(months_of(True), CoverageState.accepted)
        report.months_rejected = tallies.move_months(months_of(False), CoverageState.rejected,
                                                     workers=answered(False))
        for column in ("kpj", "reason"):
            accepted = column == "kpj"
            # A flag takes the worker off the waitlist, so the eligible tallies follow it (a KPJ moves none).
            with nullcontext() if accepted else tallies.workers_changing(answered(False)):
                db.session.execute(
                    sa.update(Worker).where(Worker.id.in_(answered(accepted)))
                    .values({"kpj" if accepted else "flag_reason": sa.select(file.c[column])
                             .where(file.c.worker_id == Worker.id).scalar_subquery()})
                    .execution_options(synchronize_session=False))
    ledger.post_entry(
        batch.campaign_id, "remittance_rejected",
        [line for designation, total in returned.items()
         for line in ((Account.remitted, designation, -total), (Account.pool, designation, total))],
        memo=f"BPJS rejected {rejected_count} workers of batch {batch.id}")
    report.returned_idr = sum(returned.values())
    report.applied = True
    # The bulk updates bypassed the identity map: reload whatever was loaded.
    db.session.expire_all()
    db.session.add(Acknowledgement(batch_id=batch.id, rows=report.rows, months_accepted=report.months_accepted,
                                   months_rejected=report.months_rejected, returned_idr=report.returned_idr,
                                   uploaded_by_id=user.id if user else None))
    still_waiting = db.session.scalar(sa.select(sa.exists().where(
        CoverageMonth.batch_id == batch.id, CoverageMonth.state == CoverageState.remitted)))
    if not still_waiting:
        batch.state = BatchState.reconciled
    db.session.flush()
    audit.record_action(
        "remittance.acknowledge", user=user, campaign=batch.campaign, subject=f"batch {batch.id}",
        params={"batch": batch.id, "rows": report.rows, "months_accepted": report.months_accepted,
                "months_rejected": report.months_rejected, "returned_idr": report.returned_idr,
                "already": report.already, "skipped": len(report.errors)})
    return report


def batch_summary(batch: RemittanceBatch) -> dict[str, int]:
    """Return how many of the batch's workers are waiting, accepted and rejected."""
    counts = dict(db.session.execute(
        sa.select(CoverageMonth.state, sa.func.count(sa.distinct(CoverageMonth.worker_id)))
        .where(CoverageMonth.batch_id == batch.id).group_by(CoverageMonth.state)).all())
    return {state.value: counts.get(state, 0) for state in
            (CoverageState.remitted, CoverageState.accepted, CoverageState.rejected)}


__all__ = ["BatchEmpty", "BatchStateInvalid", "ImportFileInvalid", "acknowledge_batch", "cancel_batch",
           "create_batch", "export_batch", "record_transfer"]


def current_period(today: dt.date) -> tuple[int, int]:
    """Return the default remittance period: this month through the next eleven."""
    month = current_month(today)
    return month, month + 11
