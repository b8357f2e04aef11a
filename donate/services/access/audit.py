"""Record staff actions in the audit log and read it back, filtered."""

import datetime as dt
import re

import sqlalchemy as sa
from stdnum.id import nik as stdnum_nik

from ...extensions import db
from ...models import AuditEvent, Campaign, User

#: Actions written to the log, for the filter on the audit page.
ACTIONS = (
    "campaign.create", "campaign.edit", "campaign.status",
    "worker.register", "worker.import", "worker.rejected_rows", "worker.update", "worker.verify", "worker.reject",
    "funding.record", "allocation.run",
    "remittance.create", "remittance.export", "remittance.transfer", "remittance.acknowledge",
    "remittance.cancel",
    "payment.refund", "payment.flag_resolved", "dashboard.export", "bank_statement.upload", "bank_statement.assign",
    "user.role", "user.assign",
    "status_link.issue", "status_link.revoke",
    "campaign.update_post", "campaign.doa_hide",
    "claim.record", "funder.report", "mandiri.status_import",
)


#: Sixteen digits in a row: what a NIK typed into free text (a reason, a note, a bank description) looks like.
_DIGITS16 = re.compile(r"(?<!\d)\d{16}(?!\d)")


def _without_nik(value):
    """Return a parameter with any valid NIK in its text masked (staff may type one into a reason)."""
    if isinstance(value, str):
        return _DIGITS16.sub(lambda m: m[0][:4] + "•" * 12 if stdnum_nik.is_valid(m[0]) else m[0], value)
    if isinstance(value, list):
        return [_without_nik(item) for item in value]
    if isinstance(value, dict):
        return {key: _without_nik(item) for key, item in value.items()}
    return value


def record_action(action: str, *, user: User | None, campaign: Campaign | None = None,
                  subject: str = "", params: dict) -> AuditEvent:
    """Append one event to the audit log with its parameters, shown in each reader's language (``audit_details``).

    ``params`` holds plain JSON values (counts, whole rupiah, enum values,
    ISO dates, references); never prose, and never a NIK.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    event = AuditEvent(action=action, user_id=user.id if user is not None else None,
                       campaign_id=campaign.id if campaign is not None else None,
                       subject=subject[:120], params=_without_nik(params))
    db.session.add(event)
    db.session.flush()
    return event


def audit_query(*, campaign_ids: list[int] | None = None, campaign_id: int | None = None,
                action: str | None = None, user_id: int | None = None,
                since: dt.date | None = None, until: dt.date | None = None) -> sa.Select:
    """Return a query for audit events, newest first; ``campaign_ids`` limits what a non-admin sees."""
    query = (sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
             .options(sa.orm.joinedload(AuditEvent.user), sa.orm.joinedload(AuditEvent.campaign)))
    if campaign_ids is not None:
        query = query.where(AuditEvent.campaign_id.in_(campaign_ids))
    if campaign_id is not None:
        query = query.where(AuditEvent.campaign_id == campaign_id)
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    if user_id is not None:
        query = query.where(AuditEvent.user_id == user_id)
    if since is not None:
        query = query.where(AuditEvent.at >= dt.datetime.combine(since, dt.time.min))
    if until is not None:
        query = query.where(AuditEvent.at < dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min))
    return query
