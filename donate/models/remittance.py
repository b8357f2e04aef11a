"""Remittance batches: funded months sent to BPJS together, and BPJS's answers."""

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .access import User
from .base import Money, enum_column, utcnow
from .campaigns import Campaign


class BatchState(enum.Enum):
    #: Months chosen and booked as remitted; the file can be downloaded.
    created = "created"
    #: The transfer to BPJS is recorded.
    sent = "sent"
    #: Every month has BPJS's answer.
    reconciled = "reconciled"
    #: Withdrawn before any transfer; its months went back to funded.
    cancelled = "cancelled"


class RemittanceBatch(db.Model):
    __tablename__ = "remittance_batches"
    __table_args__ = (
        sa.CheckConstraint("first_month <= last_month", name="period_order"),
        sa.CheckConstraint("amount_idr >= 0", name="amount_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    #: The period asked for, as month numbers (see ``donate.months``).
    first_month: Mapped[int]
    last_month: Mapped[int]
    state: Mapped[BatchState] = mapped_column(enum_column(BatchState), default=BatchState.created)
    workers: Mapped[int] = mapped_column(default=0)
    months: Mapped[int] = mapped_column(default=0)
    amount_idr: Mapped[int] = mapped_column(Money, default=0)
    #: The bank transfer's reference to BPJS.
    transfer_reference: Mapped[str | None] = mapped_column(sa.String(120))
    transferred_on: Mapped[dt.date | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    campaign: Mapped[Campaign] = relationship()
    created_by: Mapped[User | None] = relationship()
    acknowledgements: Mapped[list["Acknowledgement"]] = relationship(
        back_populates="batch", order_by="Acknowledgement.id")


class Acknowledgement(db.Model):
    """One upload of BPJS's answer file for a batch; a batch may be reconciled in several."""

    __tablename__ = "remittance_acknowledgements"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("remittance_batches.id"), index=True)
    rows: Mapped[int] = mapped_column(default=0)
    #: Months newly accepted / rejected by this upload (answers already recorded count zero).
    months_accepted: Mapped[int] = mapped_column(default=0)
    months_rejected: Mapped[int] = mapped_column(default=0)
    #: Premiums of the rejected months, returned to the pool.
    returned_idr: Mapped[int] = mapped_column(Money, default=0)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    batch: Mapped[RemittanceBatch] = relationship(back_populates="acknowledgements")
