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
    # A refund the provider reports failed after all gives the money back to the gift.
    PaymentState.refunded: {PaymentState.paid},
}


#: States in which the money has reached us (and is in the ledger as received).
RECEIVED_STATES = (PaymentState.paid, PaymentState.refunded, PaymentState.disputed)


class Donation(db.Model):
    __tablename__ = "donations"
    __table_args__ = (
        sa.CheckConstraint("amount_idr > 0", name="amount_positive"),
        sa.CheckConstraint("months IS NULL OR months BETWEEN 1 AND 12", name="months_range"),
        sa.CheckConstraint("workers_count IS NULL OR workers_count > 0", name="workers_positive"),
        # A campaign's gifts newest first.
        sa.Index("ix_donations_campaign_id_id", "campaign_id", "id"),
        # The doa: the gifts with a message newest first, however many come without one.
        sa.Index("ix_donations_doa", "campaign_id", "id", sqlite_where=sa.text("message != ''"),
                 postgresql_where=sa.text("message != ''")),
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
    #: Institution behind manual funding ("APBD Provinsi Riau"), or the company of a company's gift.
    funder: Mapped[str | None] = mapped_column(sa.String(200))
    #: A company's gift for exactly its own verified workers (see ``models.companies``).
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("companies.id"), index=True)
    #: The monthly sponsorship by reminder this gift pays a month of (paid from a reminder's link).
    subscription_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("subscriptions.id", use_alter=True), index=True)
    #: Interface language of the donor when giving ("id", "en"): receipts and updates go out in it.
    locale: Mapped[str] = mapped_column(sa.String(10), default="id", server_default="id")
    #: "Aamiin" said to the message (kept with every :class:`~donate.models.donors.Amin` row added).
    amins: Mapped[int] = mapped_column(default=0, server_default="0")
    #: Set when a manager hid the message for abuse; the gift itself stays.
    message_hidden_at: Mapped[dt.datetime | None]
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
        # The latest gifts on a campaign's page without sorting every payment (ties broken by id).
        sa.Index("ix_payments_paid_at_id", "paid_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(sa.ForeignKey("donations.id"), index=True)
    #: "sandbox", "stripe", "midtrans", "bank_transfer" or "manual".
    provider: Mapped[str] = mapped_column(sa.String(20))
    #: How the donor chose to pay ("qris", "gopay", "bca_va", "card", "bank_transfer"…; see ``payments.METHODS``).
    method: Mapped[str | None] = mapped_column(sa.String(20))
    #: The provider's id for this payment (checkout session, transfer reference).
    provider_ref: Mapped[str | None] = mapped_column(sa.String(255))
    #: The provider's id of the money movement behind the reference (Stripe: the PaymentIntent), once known.
    money_ref: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    amount_idr: Mapped[int] = mapped_column(Money)
    #: Rupiah given back through refunds and lost disputes (the sum of what the ledger booked as refunded).
    refunded_idr: Mapped[int] = mapped_column(Money, default=0)
    state: Mapped[PaymentState] = mapped_column(enum_column(PaymentState), default=PaymentState.created)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: Until when the donor can still pay (a virtual account or transfer stays open for hours); holds agree with it.
    expires_at: Mapped[dt.datetime | None]
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
    #: Ended by us, politely: reminders went unanswered or the worker can no longer be funded (``end_reason``).
    ended = "ended"


#: States of a sponsorship that is starting or running (the others fund no further months).
LIVE_SUBSCRIPTION_STATES = (SubscriptionState.pending, SubscriptionState.active)


class EndReason(enum.Enum):
    """Why a monthly sponsorship stopped."""

    #: The donor stopped it (their page, a reminder's link, erasing their account).
    donor = "donor"
    #: The provider stopped charging (a card subscription cancelled there).
    provider = "provider"
    #: Three reminders in a row were not answered by a payment.
    unanswered = "unanswered"
    #: The worker can no longer be funded (left the programme, deceased, no longer eligible).
    worker = "worker"


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
    #: When it stopped (cancelled or ended).
    cancelled_at: Mapped[dt.datetime | None]
    #: Why it stopped; ``None`` while it runs.
    end_reason: Mapped[EndReason | None] = mapped_column(enum_column(EndReason))
    #: The provider cannot charge by itself: each month the donor is reminded to pay, by any method.
    by_reminder: Mapped[bool] = mapped_column(default=False)
    #: For a sponsorship by reminder: the last calendar month (``donate.months`` index) the reminders were
    #: looked after in (the month it started, until the first reminder is due).
    reminded_month: Mapped[int | None]
    #: For a sponsorship by reminder: the day of the month its reminders come (the day the first month was
    #: paid; in a shorter month, its last day).
    reminder_day: Mapped[int | None] = mapped_column(sa.SmallInteger)
    #: Reminders sent since the last month paid; three unanswered end the sponsorship.
    unanswered_reminders: Mapped[int] = mapped_column(default=0)

    donation: Mapped[Donation] = relationship(foreign_keys=[donation_id])
    worker: Mapped[Worker] = relationship()


class MonthlyReminder(db.Model):
    """One month's reminder of a sponsorship by reminder; the constraint makes it one per sponsorship and month."""

    __tablename__ = "monthly_reminders"
    __table_args__ = (sa.UniqueConstraint("subscription_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(sa.ForeignKey("subscriptions.id"))
    #: The calendar month it was sent in (``donate.months`` index).
    month: Mapped[int]
    #: The worker's month it asked the donor to pay: the next one after their cover.
    for_month: Mapped[int]
    sent_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: When a gift paid from its link was paid (the reminder answered).
    paid_at: Mapped[dt.datetime | None]


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


class RefundState(enum.Enum):
    #: Stored before the provider is called; its id is the idempotency key.
    requested = "requested"
    #: The provider accepted it; the money is on its way back (booked).
    pending = "pending"
    succeeded = "succeeded"
    #: The provider could not give the money back; nothing left (booked back if it had been booked).
    failed = "failed"
    canceled = "canceled"


#: Refund states in which the money has left (and is booked as refunded).
REFUND_BOOKED_STATES = (RefundState.pending, RefundState.succeeded)


class Refund(db.Model):
    """One refund of a payment: asked for by a manager, or made at the provider and reported by it."""

    __tablename__ = "refunds"
    __table_args__ = (
        sa.UniqueConstraint("payment_id", "provider_ref"),
        sa.CheckConstraint("amount_idr > 0", name="amount_positive"),
        sa.CheckConstraint("booked_idr >= 0", name="booked_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payments.id"), index=True)
    amount_idr: Mapped[int] = mapped_column(Money)
    state: Mapped[RefundState] = mapped_column(enum_column(RefundState), default=RefundState.requested)
    #: The provider's refund id, once it answered (or reported a refund made in its dashboard).
    provider_ref: Mapped[str | None] = mapped_column(sa.String(255))
    #: The form's one-time token: the same request sent again finds this row (and so the same key).
    request_key: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    #: Rupiah of this refund the ledger holds as refunded (0 until the provider took it; 0 again if it failed).
    booked_idr: Mapped[int] = mapped_column(Money, default=0)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.String(300), default="")
    #: The provider's last word when it refused or failed the refund.
    error: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    payment: Mapped[Payment] = relationship()

    @property
    def idempotency_key(self) -> str:
        """Return the key the provider sees for this refund: one row, one refund, however often sent."""
        return f"lindungi-refund-{self.id}"


class Dispute(db.Model):
    """A chargeback or inquiry the provider reported, with what it took and what it released."""

    __tablename__ = "disputes"
    __table_args__ = (
        sa.UniqueConstraint("payment_id", "provider_ref"),
        sa.CheckConstraint("withdrawn_idr >= 0", name="withdrawn_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payments.id"), index=True)
    provider_ref: Mapped[str] = mapped_column(sa.String(255))
    amount_idr: Mapped[int] = mapped_column(Money)
    #: The provider's status word ("warning_needs_response", "needs_response", "won", "lost").
    status: Mapped[str] = mapped_column(sa.String(40))
    #: Rupiah the provider holds back for this dispute, as booked (withdrawn minus reinstated).
    withdrawn_idr: Mapped[int] = mapped_column(Money, default=0)
    #: Balance movements the provider has reported for it: an event reporting fewer is older news.
    transactions_seen: Mapped[int] = mapped_column(default=0)
    #: Coverage months released when the money was withdrawn: [[worker_id, month, premium, designation]].
    released: Mapped[list] = mapped_column(sa.JSON, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    payment: Mapped[Payment] = relationship()


class FlaggedEvent(db.Model):
    """A verified provider event that disagrees with what we asked for: booked nowhere, held for a manager.

    Money the provider did collect in rupiah waits in the campaign's suspense
    account (``held_idr``) until a manager settles it at the provider.
    """

    __tablename__ = "flagged_events"
    __table_args__ = (sa.CheckConstraint("held_idr >= 0", name="held_nonnegative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(sa.String(20))
    #: The event's id, or ``None`` when a status look-up (the success page) found the disagreement.
    event_id: Mapped[str | None] = mapped_column(sa.String(255))
    event_type: Mapped[str] = mapped_column(sa.String(80), default="")
    #: "amount", "currency", "reference" (another payment's id, not its reference) or "unknown".
    problem: Mapped[str] = mapped_column(sa.String(20))
    #: The reference the event carries.
    provider_ref: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    #: The payment it claims or concerns, if any.
    payment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("payments.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaigns.id"), index=True)
    #: The provider's figure as it sent it ("10000 usd").
    provider_amount: Mapped[str] = mapped_column(sa.String(80), default="")
    #: What we asked for, in rupiah.
    expected_idr: Mapped[int | None] = mapped_column(Money)
    #: Rupiah collected by the provider and held in the suspense account.
    held_idr: Mapped[int] = mapped_column(Money, default=0)
    detail: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[dt.datetime | None]

    payment: Mapped[Payment | None] = relationship()


class SandboxRecord(db.Model):
    """The sandbox provider's own book of what its checkout page collected and refunded."""

    __tablename__ = "sandbox_records"

    ref: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    #: "paid", "failed" or "expired", as the donor chose on the checkout page.
    state: Mapped[str] = mapped_column(sa.String(20))
    amount_idr: Mapped[int] = mapped_column(Money, default=0)
    refunded_idr: Mapped[int] = mapped_column(Money, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
