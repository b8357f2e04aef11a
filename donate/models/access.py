"""Accounts and staff: users and their roles, which staff work on which campaign, and the audit log."""

import datetime as dt
import enum

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .base import enum_column, utcnow
from .campaigns import Campaign


class Role(enum.Enum):
    donor = "donor"
    verifier = "verifier"
    manager = "manager"
    admin = "admin"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored lower-cased; the login name.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    #: Werkzeug's scrypt hash.
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role), default=Role.donor)
    #: Interface language for mail sent to the account ("id", "en").
    locale: Mapped[str] = mapped_column(sa.String(10), default="id", server_default="id")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Part of every session cookie's user id; raising it ends every session of the account.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    #: When the email was last proven by a confirmation link; each link works while this is unchanged.
    email_confirmed_at: Mapped[dt.datetime | None]

    def set_password(self, password: str) -> None:
        """Hash and store ``password``; every session of the account ends."""
        self.password_hash = generate_password_hash(password)
        self.end_sessions()

    def end_sessions(self) -> None:
        """End every session of the account: cookies carrying the old version are refused."""
        self.session_version = (self.session_version or 0) + 1

    def get_id(self) -> str:
        """Return the id stored in the session cookie: the user and the session version."""
        return f"{self.id}:{self.session_version}"

    def check_password(self, password: str) -> bool:
        """Return whether ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


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
    #: English details of events recorded before ``params`` existed; empty since.
    detail: Mapped[str] = mapped_column(sa.String(500), default="")
    #: What the action did as plain values (counts, whole rupiah, enum values, ISO dates); never a NIK.
    #: ``services.access.audit_details`` says it in the reader's language. ``None`` on older events.
    params: Mapped[dict | None] = mapped_column(sa.JSON)

    user: Mapped[User | None] = relationship()
    campaign: Mapped[Campaign | None] = relationship()
