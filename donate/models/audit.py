"""Who did what and when: the audit log, and which staff work on which campaign."""

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import User
from .base import utcnow
from .campaigns import Campaign

#: Managers and verifiers assigned to a campaign; admins need no assignment.
campaign_staff = sa.Table(
    "campaign_staff",
    db.metadata,
    sa.Column("campaign_id", sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class AuditEvent(db.Model):
    """One staff action worth answering for later (imports, verifications, exports, money moves)."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_campaign_at", "campaign_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    #: ``None`` for actions of the system or the command line.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id"))
    #: Dotted verb such as "worker.verify", "remittance.export", "payment.refund".
    action: Mapped[str] = mapped_column(sa.String(40), index=True)
    #: What it was done to, e.g. "worker 3Fh2…", "batch 7"; never a NIK.
    subject: Mapped[str] = mapped_column(sa.String(120), default="")
    #: Human-readable details (counts, amounts, reasons); never a NIK.
    detail: Mapped[str] = mapped_column(sa.String(500), default="")

    user: Mapped[User | None] = relationship()
    campaign: Mapped[Campaign | None] = relationship()


class RejectedRowsFile(db.Model):
    """The rejected rows of a browser CSV upload, kept encrypted so the uploader can download them."""

    __tablename__ = "rejected_rows_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Random, unguessable; the download URL carries it.
    token: Mapped[str] = mapped_column(sa.String(32), unique=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    #: AES-GCM ciphertext of the CSV (it holds the NIKs of the file).
    content_encrypted: Mapped[bytes] = mapped_column(sa.LargeBinary)
    rows: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
