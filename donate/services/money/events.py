"""Act on verified provider events, each exactly once."""

import sqlalchemy as sa
from flask import current_app

from ...extensions import db
from ...models import RECEIVED_STATES, Payment, PaymentState, ProcessedEvent
from ...models.base import utcnow
from ...payments.base import ProviderEvent
from ..errors import DomainError
from ..locks import claim_once
from . import subscriptions
from .donations import InvalidTransition, confirm_payment, fail_payment
from .receipts import issue_receipt
from .refunds import RefundRefused, close_dispute, dispute_payment, refund_payment


class EventTooEarly(DomainError):
    """An event about a payment we cannot act on yet (a refund before the payment); the provider should retry."""


def _find_payment(provider_name: str, event: ProviderEvent) -> Payment | None:
    """Find the payment an event concerns: by the provider's reference, else by our id echoed in metadata."""
    if event.payment_ref:
        payment = db.session.scalar(
            sa.select(Payment).where(Payment.provider == provider_name, Payment.provider_ref == event.payment_ref)
        )
        if payment is not None:
            return payment
    if event.payment_id:
        payment = db.session.get(Payment, event.payment_id)
        if payment is not None and payment.provider == provider_name:
            return payment
    return None


def handle_event(provider_name: str, event: ProviderEvent) -> str:
    """Record the event and apply it; return "duplicate", "ignored" or what was done.

    The event id's primary key makes a repeated or concurrent delivery a
    no-op; if applying the event fails, the record goes with the rollback
    and the provider's retry is handled afresh. Events may come in any
    order: each one is applied against the payment's current state.
    """
    if not claim_once(ProcessedEvent, provider=provider_name, event_id=event.id, processed_at=utcnow()):
        return "duplicate"
    if event.subscription_ended:
        subscription = subscriptions.find_subscription(provider_name, event.subscription_ref, event.payment_id)
        if subscription is None:
            return "ignored"
        subscriptions.end_subscription(subscription)
        return "subscription ended"
    if event.subscription_ref and event.state == PaymentState.paid and not event.first_invoice:
        # A later month of a monthly sponsorship: a gift of its own, one per invoice.
        subscription = subscriptions.find_subscription(provider_name, event.subscription_ref, event.payment_id)
        if subscription is None:
            return "ignored"
        subscriptions.activate_subscription(subscription, event.subscription_ref)
        payment = subscriptions.fund_month(subscription, event.payment_ref, event.amount_idr)
        issue_receipt(payment)
        return "month funded"
    if event.state is None:
        return "ignored"
    payment = _find_payment(provider_name, event)
    if payment is None:
        return "ignored"
    if event.state == PaymentState.paid:
        if event.subscription_ref:
            subscription = subscriptions.subscription_for_payment(payment)
            if subscription is not None:
                subscriptions.activate_subscription(subscription, event.subscription_ref)
        confirmed = confirm_payment(payment.id, amount_idr=event.amount_idr)
        db.session.refresh(payment)
        issue_receipt(payment)
        return "confirmed" if confirmed else "already paid"
    if event.state in (PaymentState.failed, PaymentState.expired):
        return event.state.value if fail_payment(payment, event.state) else "already settled"
    if event.state in (PaymentState.refunded, PaymentState.disputed) and payment.state not in RECEIVED_STATES:
        raise EventTooEarly(f"payment {payment.id} is {payment.state.value}, not paid yet")
    if event.state == PaymentState.refunded and event.refunded_idr is not None:
        owed = event.refunded_idr - payment.refunded_idr
        if owed <= 0:
            return "already refunded"
        try:
            refund_payment(payment, owed)
        except (RefundRefused, InvalidTransition) as exc:
            current_app.logger.error("refund of payment %s needs a manager: %s", payment.id, exc)
            return "refund needs a manager"
        return "refunded"
    if event.state == PaymentState.disputed and event.dispute_won is not None:
        return close_dispute(payment, won=event.dispute_won)
    if event.state == PaymentState.disputed:
        return "disputed" if dispute_payment(payment) else "already disputed"
    return "ignored"
