"""Renewal reminders already sent, so each is sent once."""

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow


class RenewalReminder(db.Model):
    """A donor told that a worker they sponsored is covered only until the end of ``month``."""

    __tablename__ = "renewal_reminders"

    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), primary_key=True)
    donor_email: Mapped[str] = mapped_column(sa.String(254), primary_key=True)
    #: The worker's last funded month when the reminder went out (see ``donate.months``).
    month: Mapped[int] = mapped_column(primary_key=True)
    sent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
