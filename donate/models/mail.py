"""Emails the site sends, kept in an outbox (the log in development, the queue for SMTP)."""

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    to_email: Mapped[str] = mapped_column(sa.String(254), index=True)
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    #: Which template produced it ("password_reset", "receipt"...).
    kind: Mapped[str] = mapped_column(sa.String(40))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: When SMTP accepted it; ``None`` while it only sits in the outbox.
    sent_at: Mapped[dt.datetime | None]
    #: The last SMTP error, kept for a retry.
    error: Mapped[str | None] = mapped_column(sa.String(500))
