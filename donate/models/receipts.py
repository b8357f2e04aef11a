"""Receipts for paid gifts, numbered once and for good."""

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow
from .donations import Payment


class Receipt(db.Model):
    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: One receipt per paid payment; the constraint makes issuing idempotent.
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payments.id"), unique=True)
    #: "LDG-2026-0000042": derived from the id, so concurrent issuers never collide.
    number: Mapped[str | None] = mapped_column(sa.String(40), unique=True)
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: When the receipt was emailed to the donor.
    emailed_at: Mapped[dt.datetime | None]

    payment: Mapped[Payment] = relationship()
