"""Coverage months: one row per worker and calendar month that is paid for."""

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Money, enum_column, utcnow
from .campaigns import Designation
from .workers import Worker


class CoverageState(enum.Enum):
    #: Paid for by donors, not yet sent to BPJS.
    funded = "funded"
    #: Sent to BPJS in a remittance batch.
    remitted = "remitted"
    #: BPJS confirmed the worker is covered for the month.
    accepted = "accepted"
    #: BPJS refused; the premium went back to the pool.
    rejected = "rejected"


#: States whose premium is still spent on the worker.
LIVE_STATES = (CoverageState.funded, CoverageState.remitted, CoverageState.accepted)


class AllocationKind(enum.Enum):
    #: Extends workers whose coverage ends soon or who are in arrears.
    renewal = "renewal"
    #: Enrols workers from the waitlist for a full term.
    new = "new"
    #: A donor's named worker.
    sponsorship = "sponsorship"


class Allocation(db.Model):
    """One run of money from a pool to coverage months."""

    __tablename__ = "allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    kind: Mapped[AllocationKind] = mapped_column(enum_column(AllocationKind))
    designation: Mapped[Designation] = mapped_column(enum_column(Designation))
    #: The gift that asked for this allocation (a sponsorship or N × M gift).
    donation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("donations.id"), index=True)
    workers: Mapped[int] = mapped_column(default=0)
    months: Mapped[int] = mapped_column(default=0)
    amount_idr: Mapped[int] = mapped_column(Money, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CoverageMonth(db.Model):
    __tablename__ = "coverage_months"
    __table_args__ = (
        # The guarantee against double funding, on SQLite and PostgreSQL alike.
        sa.UniqueConstraint("worker_id", "month"),
        sa.CheckConstraint("premium_idr > 0", name="premium_positive"),
        sa.Index("ix_coverage_months_campaign_state", "campaign_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"))
    #: ``year * 12 + month - 1`` (see ``donate.months``).
    month: Mapped[int]
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"))
    premium_idr: Mapped[int] = mapped_column(Money)
    designation: Mapped[Designation] = mapped_column(enum_column(Designation))
    allocation_id: Mapped[int] = mapped_column(sa.ForeignKey("allocations.id"), index=True)
    state: Mapped[CoverageState] = mapped_column(enum_column(CoverageState), default=CoverageState.funded)
    #: The remittance batch that sent this month to BPJS (see ``models.remittance``).
    batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("remittance_batches.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    worker: Mapped[Worker] = relationship()
    allocation: Mapped[Allocation] = relationship()
