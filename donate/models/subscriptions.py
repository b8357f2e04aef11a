"""Monthly sponsorships of a named worker, paid by a provider subscription."""

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Money, enum_column, utcnow
from .campaigns import Designation
from .donations import Donation
from .workers import Worker


class SubscriptionState(enum.Enum):
    #: Checkout opened, first payment not yet received.
    pending = "pending"
    active = "active"
    #: Stopped by the donor or the provider; no further months are funded.
    cancelled = "cancelled"


class Subscription(db.Model):
    __tablename__ = "subscriptions"
    __table_args__ = (
        sa.UniqueConstraint("provider", "provider_ref"),
        sa.CheckConstraint("amount_idr > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The gift that started it; each later month is a gift of its own.
    donation_id: Mapped[int] = mapped_column(sa.ForeignKey("donations.id"), unique=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), index=True)
    donor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    provider: Mapped[str] = mapped_column(sa.String(20))
    #: The provider's subscription id, known once the first payment completes.
    provider_ref: Mapped[str | None] = mapped_column(sa.String(255))
    designation: Mapped[Designation] = mapped_column(enum_column(Designation))
    #: Charged each month: one month's premium for the worker.
    amount_idr: Mapped[int] = mapped_column(Money)
    state: Mapped[SubscriptionState] = mapped_column(enum_column(SubscriptionState),
                                                     default=SubscriptionState.pending)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[dt.datetime | None]

    donation: Mapped[Donation] = relationship()
    worker: Mapped[Worker] = relationship()
