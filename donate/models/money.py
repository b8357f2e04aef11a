"""Money given: donations, their payments and provider events, monthly subscriptions, receipts."""

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import Money, enum_column, utcnow
from .campaigns import Campaign, Designation
from .workers import Worker


class DonationKind(enum.Enum):
    #: One named worker for ``months`` months.
    worker = "worker"
    #: Any amount into the campaign's pool.
    pool = "pool"
    #: ``workers_count`` workers for ``months`` months, allocated at once.
    bulk = "bulk"
    #: Institutional or offline money recorded by a manager (APBD, DBH Sawit, transfer).
    funding = "funding"


class PaymentState(enum.Enum):
    created = "created"
    pending = "pending"
    paid = "paid"
    failed = "failed"
    expired = "expired"
    refunded = "refunded"
    disputed = "disputed"


#: The payment state machine: state -> states it may move to.
PAYMENT_TRANSITIONS: dict[PaymentState, set[PaymentState]] = {
    PaymentState.created: {PaymentState.pending, PaymentState.paid, PaymentState.failed, PaymentState.expired},
    PaymentState.pending: {PaymentState.paid, PaymentState.failed, PaymentState.expired},
    PaymentState.paid: {PaymentState.refunded, PaymentState.disputed},
    PaymentState.disputed: {PaymentState.paid, PaymentState.refunded},
    # A provider may still report money for a payment we gave up on; it is taken, never refused.
    PaymentState.failed: {PaymentState.paid},
    PaymentState.expired: {PaymentState.paid},
    PaymentState.refunded: set(),
}


#: States in which the money has reached us (and is in the ledger as received).
RECEIVED_STATES = (PaymentState.paid, PaymentState.refunded, PaymentState.disputed)


class Donation(db.Model):
    __tablename__ = "donations"
    __table_args__ = (
        sa.CheckConstraint("amount_idr > 0", name="amount_positive"),
        sa.CheckConstraint("months IS NULL OR months BETWEEN 1 AND 12", name="months_range"),
        sa.CheckConstraint("workers_count IS NULL OR workers_count > 0", name="workers_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    kind: Mapped[DonationKind] = mapped_column(enum_column(DonationKind))
    designation: Mapped[Designation] = mapped_column(enum_column(Designation))
    amount_idr: Mapped[int] = mapped_column(Money)
    #: Named worker for a sponsorship.
    worker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("workers.id"), index=True)
    months: Mapped[int | None]
    workers_count: Mapped[int | None]
    donor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    donor_name: Mapped[str] = mapped_column(sa.String(200), default="")
    donor_email: Mapped[str | None] = mapped_column(sa.String(254), index=True)
    npwp: Mapped[str | None] = mapped_column(sa.String(20))
    #: Shown publicly as "Hamba Allah".
    is_anonymous: Mapped[bool] = mapped_column(default=False)
    message: Mapped[str] = mapped_column(sa.String(500), default="")
    #: Institution behind manual funding ("APBD Provinsi Riau").
    funder: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    campaign: Mapped[Campaign] = relationship()
    worker: Mapped[Worker | None] = relationship()
    payments: Mapped[list["Payment"]] = relationship(back_populates="donation", order_by="Payment.id")

    @property
    def public_name(self) -> str:
        """Return the name shown to the public."""
        if self.is_anonymous:
            return "Hamba Allah"
        return self.funder or self.donor_name or "Hamba Allah"


class Payment(db.Model):
    __tablename__ = "payments"
    __table_args__ = (
        sa.UniqueConstraint("provider", "provider_ref"),
        sa.CheckConstraint("amount_idr > 0", name="amount_positive"),
        sa.CheckConstraint("refunded_idr >= 0 AND refunded_idr <= amount_idr", name="refund_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(sa.ForeignKey("donations.id"), index=True)
    #: "sandbox", "stripe" or "manual".
    provider: Mapped[str] = mapped_column(sa.String(20))
    #: The provider's id for this payment (checkout session, transfer reference).
    provider_ref: Mapped[str | None] = mapped_column(sa.String(255))
    amount_idr: Mapped[int] = mapped_column(Money)
    refunded_idr: Mapped[int] = mapped_column(Money, default=0)
    state: Mapped[PaymentState] = mapped_column(enum_column(PaymentState), default=PaymentState.created)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[dt.datetime | None]

    donation: Mapped[Donation] = relationship(back_populates="payments")


class ProcessedEvent(db.Model):
    """A provider webhook event already handled; the primary key makes handling happen once."""

    __tablename__ = "processed_events"

    provider: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    processed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


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
