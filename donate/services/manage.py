"""What campaign staff do: access, assignments, the worker registry, funding, allocation, refunds.

Every function here that changes something also writes the audit log, so a
view calls one function and commits.
"""

import csv
import datetime as dt
import io
import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa

from .. import payments
from ..crypto import mask_nik, vault
from ..extensions import db
from ..formatting import rupiah
from ..models import (
    Account,
    Allocation,
    AllocationKind,
    Campaign,
    CoverageMonth,
    CoverageState,
    Designation,
    Payment,
    PaymentState,
    RejectedRowsFile,
    Role,
    User,
    Verification,
    Worker,
    campaign_staff,
)
from ..models.base import utcnow
from ..months import current_month
from . import audit, ledger
from .allocation import DESIGNATION_ORDER, allocate_pool
from .donations import MANUAL_PROVIDER, RefundRefused, record_funding, refund_payment
from .imports import ImportReport, import_workers, write_rejected
from .workers import WorkerDetails, WorkerInvalid, register_worker, worker_nik

#: Days the rejected rows of a browser upload stay downloadable.
REJECTED_ROWS_DAYS = 7
#: Roles that may enter ``/manage`` at all.
STAFF_ROLES = (Role.verifier, Role.manager, Role.admin)


class AccessDenied(PermissionError):
    """A user asked for something their role or assignments do not allow."""


class WorkerUpdateRefused(ValueError):
    """A change to a worker that breaks a rule (the message says why)."""


# --- access -----------------------------------------------------------------

def is_staff(user) -> bool:
    """Return whether the user may enter the manager pages."""
    return getattr(user, "is_authenticated", False) and user.role in STAFF_ROLES


def assigned_campaign_ids(user: User) -> list[int]:
    """Return the ids of the campaigns the user is assigned to."""
    return list(db.session.scalars(
        sa.select(campaign_staff.c.campaign_id).where(campaign_staff.c.user_id == user.id)))


def visible_campaigns(user: User) -> list[Campaign]:
    """Return the campaigns the user works on (every campaign for an admin)."""
    query = sa.select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())
    if user.role != Role.admin:
        query = query.where(Campaign.id.in_(assigned_campaign_ids(user)))
    return list(db.session.scalars(query))


def can_manage(user: User, campaign: Campaign) -> bool:
    """Return whether the user may run the campaign (money, batches, settings)."""
    if user.role == Role.admin:
        return True
    return user.role == Role.manager and campaign.id in assigned_campaign_ids(user)


def can_register(user: User, campaign: Campaign) -> bool:
    """Return whether the user may register and verify the campaign's workers."""
    if user.role == Role.admin:
        return True
    return user.role in (Role.manager, Role.verifier) and campaign.id in assigned_campaign_ids(user)


def assign_staff(campaign: Campaign, user: User, *, actor: User | None) -> bool:
    """Assign a manager or verifier to a campaign; ``False`` if already assigned."""
    if user.role not in (Role.manager, Role.verifier, Role.admin):
        raise AccessDenied("only managers and verifiers can be assigned to a campaign")
    if campaign.id in assigned_campaign_ids(user):
        return False
    db.session.execute(sa.insert(campaign_staff).values(campaign_id=campaign.id, user_id=user.id))
    if actor is not None:
        audit.record_action("user.assign", user=actor, campaign=campaign, subject=user.email,
                            detail=f"assigned to {campaign.slug}")
    return True


def unassign_staff(campaign: Campaign, user: User, *, actor: User | None) -> bool:
    """Take a user off a campaign; ``False`` if they were not on it."""
    removed = db.session.execute(sa.delete(campaign_staff).where(
        campaign_staff.c.campaign_id == campaign.id, campaign_staff.c.user_id == user.id)).rowcount
    if removed:
        audit.record_action("user.assign", user=actor, campaign=campaign, subject=user.email,
                            detail=f"removed from {campaign.slug}")
    return bool(removed)


def change_role(user: User, role: Role, *, actor: User) -> None:
    """Give a user another role; an admin cannot demote themself (someone must stay admin)."""
    if user.id == actor.id and role != Role.admin:
        raise AccessDenied("you cannot take away your own admin role")
    if user.role == role:
        return
    before = user.role
    user.role = role
    db.session.flush()
    audit.record_action("user.role", user=actor, subject=user.email, detail=f"{before.value} -> {role.value}")


# --- workers ----------------------------------------------------------------

def register_one(campaign: Campaign, details: WorkerDetails, *, user: User, verified: bool) -> Worker:
    """Register a worker typed in by staff."""
    worker = register_worker(campaign, details, verified=verified)
    audit.record_action("worker.register", user=user, campaign=campaign, subject=f"worker {worker.public_id}",
                        detail="verified" if verified else "pending verification")
    return worker


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


def update_worker(worker: Worker, *, user: User, verification: Verification, reason: str = "",
                  is_mustahik: bool, consent: bool, priority: int, clear_flag: bool = False) -> list[str]:
    """Verify or reject a worker, record consent and mustahik status, set priority; return what changed."""
    reason = " ".join(reason.split())
    if verification == Verification.rejected and not reason:
        raise WorkerUpdateRefused("give the reason for rejecting the worker")
    if not -100 <= priority <= 100:
        raise WorkerUpdateRefused("priority must be between -100 and 100")
    changes = []
    if verification != worker.verification:
        changes.append(f"verification {worker.verification.value} -> {verification.value}")
        worker.verification = verification
        if verification == Verification.rejected:
            worker.flag_reason = reason[:300]
        elif worker.flag_reason:
            # The flag was the rejection being lifted: a fresh verification clears it.
            clear_flag = True
    elif verification == Verification.rejected and reason and reason != worker.flag_reason:
        worker.flag_reason = reason[:300]
        changes.append("reason changed")
    if is_mustahik != worker.is_mustahik:
        changes.append(f"mustahik {'yes' if is_mustahik else 'no'}")
        worker.is_mustahik = is_mustahik
    if consent != (worker.consent_at is not None):
        changes.append("consent recorded" if consent else "consent withdrawn")
        worker.consent_at = utcnow() if consent else None
        worker.public_profile = consent
    if priority != worker.priority:
        changes.append(f"priority {worker.priority} -> {priority}")
        worker.priority = priority
    if clear_flag and worker.flag_reason and verification != Verification.rejected:
        changes.append("flag cleared")
        worker.flag_reason = None
        _forget_rejected_months(worker)
    db.session.flush()
    if changes:
        action = {Verification.verified: "worker.verify", Verification.rejected: "worker.reject"}.get(
            verification) if any(c.startswith("verification") for c in changes) else "worker.update"
        audit.record_action(action, user=user, campaign=worker.campaign, subject=f"worker {worker.public_id}",
                            detail="; ".join(changes) + (f" ({reason})" if reason else ""))
    return changes


def verify_workers(campaign: Campaign, public_ids: list[str], *, user: User) -> int:
    """Verify the chosen pending workers of a campaign at once; return how many were verified."""
    if not public_ids:
        return 0
    verified = 0
    for start in range(0, len(public_ids), 1000):
        verified += db.session.execute(
            sa.update(Worker)
            .where(Worker.campaign_id == campaign.id, Worker.public_id.in_(public_ids[start:start + 1000]),
                   Worker.verification == Verification.pending)
            .values(verification=Verification.verified)
            .execution_options(synchronize_session=False)).rowcount
    if verified:
        audit.record_action("worker.verify", user=user, campaign=campaign, subject=f"{verified} workers",
                            detail="verified together from the registry")
    return verified


def _forget_rejected_months(worker: Worker) -> None:
    """Free the months BPJS rejected so a cleared worker can be funded for them again.

    Their money went back to the pool through the ledger when they were
    rejected; the journal keeps that record.
    """

    db.session.execute(sa.delete(CoverageMonth).where(
        CoverageMonth.worker_id == worker.id, CoverageMonth.state == CoverageState.rejected))


# --- money ------------------------------------------------------------------

def record_institutional_funding(campaign: Campaign, amount_idr: int, *, user: User, funder: str,
                                 designation: Designation, reference: str | None, source: str):
    """Record an institutional or offline gift (APBD, DBH Sawit, CSR, transfer) through the ledger."""
    donation = record_funding(campaign, amount_idr, funder=funder, designation=designation, reference=reference)
    audit.record_action("funding.record", user=user, campaign=campaign, subject=f"donation {donation.id}",
                        detail=f"{source}: {funder} {rupiah(amount_idr)} ({designation.value})"
                               + (f" ref {reference}" if reference else ""))
    return donation


@dataclass
class PreviewRun:
    kind: AllocationKind
    designation: Designation
    workers: int
    months: int
    amount_idr: int


@dataclass
class AllocationPreview:
    runs: list[PreviewRun]
    #: regency code -> (renewals, new workers, amount)
    regions: dict[str, list[int]]
    pool_before: dict[Designation, int]
    pool_after: dict[Designation, int]

    @property
    def renewals(self) -> int:
        """Return how many workers the allocation would renew."""
        return self.total(AllocationKind.renewal)

    @property
    def new_workers(self) -> int:
        """Return how many waiting workers the allocation would enrol."""
        return self.total(AllocationKind.new)

    def total(self, kind: AllocationKind | None = None, attr: str = "workers") -> int:
        """Sum one figure over the runs, optionally of one kind."""
        return sum(getattr(r, attr) for r in self.runs if kind is None or r.kind == kind)


def preview_allocation(campaign: Campaign, *, today: dt.date | None = None) -> AllocationPreview:
    """Run the allocation inside a savepoint, read what it did, and roll it back."""
    pool_before = {d: ledger.balance(campaign.id, Account.pool, d) for d in DESIGNATION_ORDER}
    savepoint = db.session.begin_nested()
    try:
        runs = allocate_pool(campaign, today=today)
        previews = [PreviewRun(r.kind, r.designation, r.workers, r.months, r.amount_idr) for r in runs]
        regions: dict[str, list[int]] = {}
        if runs:
            rows = db.session.execute(
                sa.select(Worker.regency_code, Allocation.kind, sa.func.count(sa.distinct(Worker.id)),
                          sa.func.sum(CoverageMonth.premium_idr))
                .join(CoverageMonth, CoverageMonth.worker_id == Worker.id)
                .join(Allocation, Allocation.id == CoverageMonth.allocation_id)
                .where(Allocation.id.in_([r.id for r in runs]))
                .group_by(Worker.regency_code, Allocation.kind))
            for code, kind, workers, amount in rows:
                entry = regions.setdefault(code, [0, 0, 0])
                entry[0 if kind == AllocationKind.renewal else 1] += workers
                entry[2] += int(amount)
        pool_after = {d: ledger.balance(campaign.id, Account.pool, d) for d in DESIGNATION_ORDER}
    finally:
        savepoint.rollback()
    return AllocationPreview(previews, dict(sorted(regions.items())), pool_before, pool_after)


def run_allocation(campaign: Campaign, *, user: User, today: dt.date | None = None) -> list[Allocation]:
    """Allocate the pool and log what was done."""
    runs = allocate_pool(campaign, today=today)
    audit.record_action(
        "allocation.run", user=user, campaign=campaign, subject=f"{len(runs)} runs",
        detail="; ".join(f"{r.kind.value} {r.designation.value}: {r.workers} workers, {r.months} months, "
                         f"{rupiah(r.amount_idr)}" for r in runs) or "nothing to allocate")
    return runs


def refund_gift(payment: Payment, amount_idr: int | None, *, user: User, reason: str = "") -> int:
    """Refund a gift fully or partly out of the pool, through the card provider when it came by card."""

    if payment.state == PaymentState.disputed:
        # The card network already took the disputed money back; refunding it too would pay twice.
        raise RefundRefused("this gift is disputed: the card network settles it; answer the dispute "
                            "at the payment provider instead of refunding")
    refunded = refund_payment(payment, amount_idr)
    if payment.provider != MANUAL_PROVIDER:
        try:
            gateway = payments.provider(payment.provider)
        except KeyError:
            raise RefundRefused(f"the {payment.provider} provider is not configured here; "
                                "refund it where it was paid") from None
        gateway.refund(payment, refunded)
    donation = payment.donation
    audit.record_action("payment.refund", user=user, campaign=donation.campaign, subject=f"payment {payment.id}",
                        detail=f"{rupiah(refunded)} of {rupiah(payment.amount_idr)} ({payment.provider})"
                               + (f": {reason}" if reason else ""))
    return refunded


def masked_nik(worker: Worker) -> str:
    """Return the worker's NIK with all but the last four digits hidden."""

    return mask_nik(worker_nik(worker))


def write_csv(header: tuple[str, ...], rows) -> str:
    """Return rows as CSV text with a header."""
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(header)
    writer.writerows(rows)
    return stream.getvalue()


def current_period(today: dt.date | None = None) -> tuple[int, int]:
    """Return the default remittance period: this month through the next eleven."""
    month = current_month(today)
    return month, month + 11


__all__ = ["AccessDenied", "RefundRefused", "WorkerInvalid", "WorkerUpdateRefused"]
