"""Act on verified provider events, each exactly once.

An event is a trigger to find the payment it concerns by the reference we
stored, never by what the event merely claims: an event whose reference we
do not hold, or whose money disagrees with what we asked, is flagged for a
manager (``settlement.flag_event``) and answered so the provider stops
retrying.
"""

import datetime as dt
from dataclasses import replace

import sqlalchemy as sa
from flask_babel import lazy_gettext

from ...extensions import db
from ...labels import label
from ...models import (
    RECEIVED_STATES,
    Payment,
    PaymentState,
    ProcessedEvent,
    Subscription,
)
from ...payments import provider
from ...payments.base import ProviderEvent
from ..errors import DomainError
from ..locks import claim_once
from . import subscriptions
from .disputes import apply_dispute
from .refunds import apply_refund
from .settlement import flag_event, settle_payment


class EventTooEarly(DomainError):
    """An event about a payment we cannot act on yet (a refund before the payment); the provider should retry."""


def payment_by_ref(provider_name: str, payment_ref: str | None) -> Payment | None:
    """Return the payment whose stored provider reference is ``payment_ref``."""
    if not payment_ref:
        return None
    return db.session.scalar(sa.select(Payment).where(Payment.provider == provider_name,
                                                      Payment.provider_ref == payment_ref))


def _payment_of_money(provider_name: str, money_ref: str | None) -> Payment | None:
    """Find the payment behind a money movement: by the id we stored, else by asking the provider."""
    if not money_ref:
        return None
    payment = db.session.scalar(sa.select(Payment).where(Payment.provider == provider_name,
                                                         Payment.money_ref == money_ref))
    if payment is None:
        payment = payment_by_ref(provider_name, provider(provider_name).find_payment_ref(money_ref=money_ref))
        if payment is not None and not payment.money_ref:
            payment.money_ref = money_ref
    return payment


def _first_month(provider_name: str, event: ProviderEvent) -> Payment | None:
    """Find the first payment of the subscription an invoice belongs to, by the subscription or its checkout."""
    subscription = db.session.scalar(sa.select(Subscription).where(
        Subscription.provider == provider_name, Subscription.provider_ref == event.subscription_ref))
    if subscription is not None:
        return db.session.scalar(sa.select(Payment).where(Payment.donation_id == subscription.donation_id)
                                 .order_by(Payment.id).limit(1))
    return payment_by_ref(provider_name, provider(provider_name).find_payment_ref(
        subscription_ref=event.subscription_ref))


def _claimed(provider_name: str, event: ProviderEvent) -> Payment | None:
    """Return the payment an event names only in its metadata (a hint for the flag, never for booking)."""
    payment = db.session.get(Payment, event.payment_id) if event.payment_id else None
    return payment if payment is not None and payment.provider == provider_name else None


def handle_event(provider_name: str, event: ProviderEvent, *, today: dt.date, now: dt.datetime) -> str:
    """Record the event and apply it; return "duplicate", "ignored", "flagged" or what was done.

    The event id's primary key makes a repeated or concurrent delivery a
    no-op; if applying the event fails, the record goes with the rollback
    and the provider's retry is handled afresh. Events may come in any
    order: each one is applied against the payment's current state.
    """
    if not claim_once(ProcessedEvent, provider=provider_name, event_id=event.id, processed_at=now):
        return "duplicate"
    if event.subscription_ended:
        subscription = subscriptions.find_subscription(provider_name, event.subscription_ref)
        if subscription is None:
            return "ignored"
        subscriptions.end_subscription(subscription, now=now)
        return "subscription ended"
    if event.refunds or event.dispute is not None:
        return _money_back(provider_name, event, today=today, now=now)
    if event.state is None:
        return "ignored"
    if event.subscription_ref and event.state == PaymentState.paid and not event.first_invoice:
        return _subscription_month(provider_name, event, today=today, now=now)
    if event.first_invoice and event.payment_ref is None:
        payment = _first_month(provider_name, event)
        if payment is not None:
            event = _about(event, payment.provider_ref)
    else:
        payment = payment_by_ref(provider_name, event.payment_ref)
    if payment is None:
        if event.state != PaymentState.paid:
            return "ignored"
        claimed = _claimed(provider_name, event)
        flag_event(provider_name, problem="reference" if claimed else "unknown", verdict=event.verdict(),
                   payment=claimed, event_id=event.id, event_type=event.type, now=now,
                   detail=f"{event.summary or event.payment_ref} is no checkout this site opened"
                          + (f"; it names payment {claimed.id}, opened as {claimed.provider_ref}" if claimed else ""))
        return "flagged"
    if event.state == PaymentState.paid and event.subscription_ref:
        subscription = subscriptions.subscription_for_payment(payment)
        if subscription is not None:
            subscriptions.activate_subscription(subscription, event.subscription_ref)
    return settle_payment(payment, event.verdict(), event_id=event.id, event_type=event.type, today=today, now=now)


def _about(event: ProviderEvent, payment_ref: str) -> ProviderEvent:
    """Return the event as being about ``payment_ref`` (a first invoice found through its subscription)."""
    return replace(event, payment_ref=payment_ref)


def _subscription_month(provider_name: str, event: ProviderEvent, *, today: dt.date, now: dt.datetime) -> str:
    """Fund a later month of a monthly sponsorship we started: a gift of its own, one per invoice."""
    subscription = subscriptions.find_subscription(provider_name, event.subscription_ref)
    if subscription is None:
        # Its checkout's own notice may not have arrived yet: the provider says which checkout started it.
        first = _first_month(provider_name, event)
        subscription = subscriptions.subscription_for_payment(first) if first is not None else None
        if subscription is not None:
            subscriptions.activate_subscription(subscription, event.subscription_ref)
    if subscription is None:
        flag_event(provider_name, problem="unknown", verdict=event.verdict(), payment=_claimed(provider_name, event),
                   event_id=event.id, event_type=event.type, now=now,
                   detail=f"{event.summary} belongs to subscription {event.subscription_ref}, which this site "
                          "did not start")
        return "flagged"
    return subscriptions.fund_month(subscription, event.verdict(), event_id=event.id, event_type=event.type,
                                    today=today, now=now)


def _money_back(provider_name: str, event: ProviderEvent, *, today: dt.date, now: dt.datetime) -> str:
    """Book refunds and disputes of a payment we hold; an unknown charge is answered and ignored."""
    payment = payment_by_ref(provider_name, event.payment_ref) or _payment_of_money(provider_name, event.money_ref)
    if payment is None:
        return "ignored"
    if payment.state not in RECEIVED_STATES:
        raise EventTooEarly(lazy_gettext("payment %(payment)s is %(state)s, not paid yet"), payment=payment.id,
                            state=label(payment.state))
    if event.dispute is not None:
        return apply_dispute(payment, event.dispute, today=today, now=now)
    outcomes = [apply_refund(payment, record, today=today) for record in event.refunds]
    return "refunded" if "refunded" in outcomes else outcomes[-1]
