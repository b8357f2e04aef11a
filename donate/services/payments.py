"""Act on verified provider events, each exactly once."""

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Payment, PaymentState, ProcessedEvent
from ..payments.base import ProviderEvent
from .donations import confirm_payment, fail_payment


def handle_event(provider_name: str, event: ProviderEvent) -> str:
    """Record the event and apply it; return "duplicate", "ignored" or what was done.

    The event id's primary key makes a repeated or concurrent delivery a
    no-op; if applying the event fails, the record goes with the rollback
    and the provider's retry is handled afresh.
    """
    try:
        with db.session.begin_nested():
            db.session.add(ProcessedEvent(provider=provider_name, event_id=event.id))
    except IntegrityError:
        return "duplicate"
    if event.state is None or not event.payment_ref:
        return "ignored"
    payment = db.session.scalar(
        sa.select(Payment).where(Payment.provider == provider_name, Payment.provider_ref == event.payment_ref)
    )
    if payment is None:
        return "ignored"
    if event.state == PaymentState.paid:
        return "confirmed" if confirm_payment(payment.id, amount_idr=event.amount_idr) else "already paid"
    if event.state in (PaymentState.failed, PaymentState.expired):
        return event.state.value if fail_payment(payment, event.state) else "already settled"
    return "ignored"
