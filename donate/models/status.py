"""Personal status links for workers and the audit trail of donors' privacy requests."""

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import enum_column, utcnow
from .workers import Worker


class StatusLink(db.Model):
    """An unguessable token that opens one worker's status page (printed as a QR code)."""

    __tablename__ = "status_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), index=True)
    #: SHA-256 of the token: a stolen database does not yield working links.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The token encrypted with the vault, so a manager can print the same card again.
    token_encrypted: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Set when a card is lost or reissued; the link then answers like an unknown one.
    revoked_at: Mapped[dt.datetime | None]
    #: Who revoked it (a manager's user id).
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    worker: Mapped[Worker] = relationship()


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
