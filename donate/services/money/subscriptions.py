"""Monthly sponsorships: start, fund each paid month, stop."""

import datetime as dt

import sqlalchemy as sa

from ...extensions import db
from ...models import (
    Donation,
    DonationKind,
    Payment,
    PaymentState,
    Subscription,
    SubscriptionState,
)
from ...models.base import utcnow
from ...payments import provider
from .donations import confirm_payment


def subscription_for_payment(payment: Payment) -> Subscription | None:
    """Return the monthly sponsorship a payment belongs to (its first month or a later one)."""
    return db.session.scalar(sa.select(Subscription).where(Subscription.donation_id == payment.donation_id))


def find_subscription(provider_name: str, subscription_ref: str | None,
                      payment_id: int | None = None) -> Subscription | None:
    """Find a subscription by the provider's id, or by our first payment's id echoed in metadata."""
    if subscription_ref:
        found = db.session.scalar(sa.select(Subscription).where(
            Subscription.provider == provider_name, Subscription.provider_ref == subscription_ref))
        if found is not None:
            return found
    if payment_id:
        payment = db.session.get(Payment, payment_id)
        if payment is not None and payment.provider == provider_name:
            return subscription_for_payment(payment)
    return None


def activate_subscription(subscription: Subscription, subscription_ref: str | None) -> None:
    """Record the provider's id and mark the sponsorship running (unless the donor already stopped it)."""
    if subscription_ref and not subscription.provider_ref:
        subscription.provider_ref = subscription_ref
    if subscription.state == SubscriptionState.pending:
        subscription.state = SubscriptionState.active
    db.session.flush()


def fund_month(subscription: Subscription, invoice_ref: str, amount_idr: int, *,
               today: dt.date | None = None) -> Payment:
    """Book one paid month of a subscription as its own gift, funding the worker's next month, once per invoice.

    Money that arrives is always taken: if the campaign closed or the worker
    can no longer be funded, it waits in the pool (``fund_sponsorship`` decides).
    """
    payment = db.session.scalar(sa.select(Payment).where(
        Payment.provider == subscription.provider, Payment.provider_ref == invoice_ref))
    if payment is None:
        first = subscription.donation
        donation = Donation(
            campaign_id=first.campaign_id, kind=DonationKind.worker, designation=subscription.designation,
            amount_idr=amount_idr, worker_id=subscription.worker_id, months=1, donor_id=first.donor_id,
            donor_name=first.donor_name, donor_email=first.donor_email, npwp=first.npwp,
            is_anonymous=first.is_anonymous, message="",
        )
        db.session.add(donation)
        db.session.flush()
        payment = Payment(donation_id=donation.id, provider=subscription.provider, provider_ref=invoice_ref,
                          amount_idr=amount_idr, state=PaymentState.pending)
        db.session.add(payment)
        db.session.flush()
    confirm_payment(payment.id, amount_idr=amount_idr, today=today)
    activate_subscription(subscription, None)
    return payment


def cancel_subscription(subscription: Subscription, *, now: dt.datetime | None = None) -> None:
    """Stop a monthly sponsorship at the provider and here; months already paid stay funded."""
    if subscription.state == SubscriptionState.cancelled:
        return
    if subscription.provider_ref:
        provider(subscription.provider).cancel_subscription(subscription.provider_ref)
    end_subscription(subscription, now=now)


def end_subscription(subscription: Subscription, *, now: dt.datetime | None = None) -> None:
    """Mark a sponsorship stopped (the provider says so, or the donor asked)."""
    if subscription.state != SubscriptionState.cancelled:
        subscription.state = SubscriptionState.cancelled
        subscription.cancelled_at = now or utcnow()
        db.session.flush()
