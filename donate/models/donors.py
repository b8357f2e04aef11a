"""What donors are owed: renewal reminders sent once, and the trail of their privacy requests."""

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import enum_column, utcnow


class RenewalReminder(db.Model):
    """A donor told that a worker they sponsored is covered only until the end of ``month``."""

    __tablename__ = "renewal_reminders"

    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), primary_key=True)
    donor_email: Mapped[str] = mapped_column(sa.String(254), primary_key=True)
    #: The worker's last funded month when the reminder went out (see ``donate.months``).
    month: Mapped[int] = mapped_column(primary_key=True)
    sent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class PrivacyRequestKind(enum.Enum):
    #: The donor downloaded their data.
    export = "export"
    #: The donor's account was erased (gifts kept under an anonymised donor).
    erasure = "erasure"


class PrivacyRequest(db.Model):
    """One data download or erasure, kept as the audit trail UU PDP asks for."""

    __tablename__ = "privacy_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[PrivacyRequestKind] = mapped_column(enum_column(PrivacyRequestKind))
    #: Gifts covered by the request (downloaded or anonymised).
    donations: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Amin(db.Model):
    """One visitor's "Aamiin" to a donor's doa, counted once per visitor."""

    __tablename__ = "amins"

    donation_id: Mapped[int] = mapped_column(sa.ForeignKey("donations.id", ondelete="CASCADE"), primary_key=True)
    #: Keyed hash of the visitor's cookie id (no personal data).
    visitor: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class UpdateOptOut(db.Model):
    """An email address that asked for no more "Kabar terbaru" of a campaign."""

    __tablename__ = "update_opt_outs"

    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
