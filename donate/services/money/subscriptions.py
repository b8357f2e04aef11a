"""Monthly sponsorships: start, fund each paid month, stop."""

import datetime as dt

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext

from ...extensions import db
from ...models import (
    Donation,
    DonationKind,
    Payment,
    PaymentState,
    Subscription,
    SubscriptionState,
)
from ...payments import provider
from ...payments.base import ProviderError, Verdict
from ..errors import DomainError
from .settlement import disagreement, flag_event, settle_payment


class SubscriptionUnavailable(DomainError):
    """The provider could not stop the subscription; nothing changed here (the message says what to do)."""

    default = lazy_gettext("The payment service did not answer, so your monthly sponsorship is not stopped yet. "
                           "Nothing more was changed; please try again in a few minutes.")


def subscription_for_payment(payment: Payment) -> Subscription | None:
    """Return the monthly sponsorship a payment belongs to (its first month or a later one)."""
    return db.session.scalar(sa.select(Subscription).where(Subscription.donation_id == payment.donation_id))


def find_subscription(provider_name: str, subscription_ref: str | None) -> Subscription | None:
    """Find a subscription by the provider's id we stored (metadata proves nothing)."""
    if not subscription_ref:
        return None
    return db.session.scalar(sa.select(Subscription).where(
        Subscription.provider == provider_name, Subscription.provider_ref == subscription_ref))


def activate_subscription(subscription: Subscription, subscription_ref: str | None) -> None:
    """Record the provider's id and mark the sponsorship running (unless the donor already stopped it)."""
    if subscription_ref and not subscription.provider_ref:
        subscription.provider_ref = subscription_ref
    if subscription.state == SubscriptionState.pending:
        subscription.state = SubscriptionState.active
    db.session.flush()


def fund_month(subscription: Subscription, verdict: Verdict, *, event_id: str | None = None,
               event_type: str = "", today: dt.date, now: dt.datetime) -> str:
    """Book one paid month of a subscription as its own gift, funding the worker's next month, once per invoice.

    The invoice must charge what the sponsorship costs, in rupiah; one that
    does not is flagged and books nothing. Money that arrives is always
    taken: if the campaign closed or the worker can no longer be funded, it
    waits in the pool (``fund_sponsorship`` decides).
    """
    first = subscription.donation
    payment = db.session.scalar(sa.select(Payment).where(
        Payment.provider == subscription.provider, Payment.provider_ref == verdict.payment_ref))
    if payment is None:
        expected = Payment(provider=subscription.provider, provider_ref=verdict.payment_ref,
                           amount_idr=subscription.amount_idr)
        problem = disagreement(expected, verdict)
        if problem is not None:
            flag_event(subscription.provider, problem=problem[0], detail=f"monthly sponsorship {subscription.id}: "
                       + problem[1], verdict=verdict, payment=_first_payment(subscription), event_id=event_id,
                       event_type=event_type, now=now)
            return "flagged"
        donation = Donation(
            campaign_id=first.campaign_id, kind=DonationKind.worker, designation=subscription.designation,
            amount_idr=subscription.amount_idr, worker_id=subscription.worker_id, months=1,
            donor_id=first.donor_id, donor_name=first.donor_name, donor_email=first.donor_email, npwp=first.npwp,
            is_anonymous=first.is_anonymous, message="",
        )
        db.session.add(donation)
        db.session.flush()
        payment = Payment(donation_id=donation.id, provider=subscription.provider, provider_ref=verdict.payment_ref,
                          amount_idr=subscription.amount_idr, state=PaymentState.pending)
        db.session.add(payment)
        db.session.flush()
    outcome = settle_payment(payment, verdict, event_id=event_id, event_type=event_type, today=today,
                             now=now)
    activate_subscription(subscription, None)
    return "month funded" if outcome in ("confirmed", "already paid") else outcome


def _first_payment(subscription: Subscription) -> Payment | None:
    return db.session.scalar(sa.select(Payment).where(Payment.donation_id == subscription.donation_id)
                             .order_by(Payment.id).limit(1))


def cancel_subscription(subscription: Subscription, *, now: dt.datetime) -> None:
    """Stop a monthly sponsorship at the provider and here; months already paid stay funded."""
    if subscription.state == SubscriptionState.cancelled:
        return
    if subscription.provider_ref:
        try:
            provider(subscription.provider).cancel_subscription(subscription.provider_ref)
        except ProviderError as exc:
            current_app.logger.warning("%s could not cancel subscription %s (request %s): %s",
                                       subscription.provider, subscription.provider_ref, exc.request_id, exc.detail)
            # One the provider no longer has charges nothing more: stopping it here is all that is left.
            if not exc.gone:
                raise SubscriptionUnavailable() from exc
    end_subscription(subscription, now=now)


def end_subscription(subscription: Subscription, *, now: dt.datetime) -> None:
    """Mark a sponsorship stopped (the provider says so, or the donor asked)."""
    if subscription.state != SubscriptionState.cancelled:
        subscription.state = SubscriptionState.cancelled
        subscription.cancelled_at = now
        db.session.flush()
