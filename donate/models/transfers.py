"""Bank transfers with a unique code, and the bank statement lines that confirm them."""

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Money, enum_column, utcnow
from .money import Payment


class BankTransfer(db.Model):
    """A donor's promise to transfer an exact amount (gift + unique code) to the foundation's account."""

    __tablename__ = "bank_transfers"
    __table_args__ = (
        sa.CheckConstraint("code BETWEEN 1 AND 999", name="code_range"),
        sa.CheckConstraint("amount_due_idr > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payments.id"), unique=True)
    #: 1–999 rupiah added to the gift so that the credit on the statement tells whose it is; goes to the pool.
    code: Mapped[int]
    #: ``code`` while the transfer is awaited, NULL once matched or expired: unique among open transfers.
    open_code: Mapped[int | None] = mapped_column(unique=True)
    #: Exactly what the donor is asked to transfer (= ``payment.amount_idr``).
    amount_due_idr: Mapped[int] = mapped_column(Money)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]

    payment: Mapped[Payment] = relationship()


class LineState(enum.Enum):
    #: Matched to exactly one transfer (by the upload, or by a manager) and confirmed.
    matched = "matched"
    #: No open transfer has this amount within the date window.
    unmatched = "unmatched"
    #: Several transfers could be meant; a manager chooses.
    ambiguous = "ambiguous"


class StatementLine(db.Model):
    """One credit from an uploaded bank statement; the fingerprint makes re-uploads harmless."""

    __tablename__ = "statement_lines"
    __table_args__ = (sa.CheckConstraint("amount_idr > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of layout, date, amount, description and the line's rank among identical ones in its file.
    fingerprint: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The statement layout it came from: "bca", "mandiri", "bsi" or "generic".
    bank: Mapped[str] = mapped_column(sa.String(20))
    booked_on: Mapped[dt.date]
    description: Mapped[str] = mapped_column(sa.String(500), default="")
    amount_idr: Mapped[int] = mapped_column(Money)
    state: Mapped[LineState] = mapped_column(enum_column(LineState))
    #: The payment this credit paid; unique, so no payment is confirmed by two lines.
    payment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payments.id"), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Who assigned it by hand, if a manager did.
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    payment: Mapped[Payment | None] = relationship()
