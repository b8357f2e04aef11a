"""Provider webhooks: verify on the raw body, then hand over to ``services.payments``."""

from flask import Blueprint, abort, current_app, request

from .. import clock
from ..extensions import csrf, db
from ..payments import InvalidWebhook, provider
from ..payments.base import ProviderError
from ..services.money.events import EventTooEarly, handle_event

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
csrf.exempt(bp)


def receive(provider_name: str, body: bytes, headers) -> str:
    """Verify, apply and commit one webhook; raise :class:`InvalidWebhook` if it cannot be trusted."""
    event = provider(provider_name).parse_webhook(body, headers)
    outcome = handle_event(provider_name, event, today=clock.today(), now=clock.now())
    db.session.commit()
    return outcome


def _answer(provider_name: str):
    """Answer 400 to an untrusted event, 503 to one that should be retried, else 200 with the outcome."""
    if provider_name not in current_app.extensions["donate_payments"]:
        abort(404)
    try:
        outcome = receive(provider_name, request.get_data(), request.headers)
    except InvalidWebhook as exc:
        abort(400, str(exc))
    except EventTooEarly as exc:
        # The rollback also takes back the event's processed mark, so the retry is handled afresh.
        db.session.rollback()
        current_app.logger.info("%s webhook retried later: %s", provider_name, exc)
        return {"outcome": "retry"}, 503
    except ProviderError as exc:
        # A look-up at the provider failed: nothing is booked, and the provider's retry tries again.
        db.session.rollback()
        current_app.logger.warning("%s webhook retried later: look-up failed (request %s): %s", provider_name,
                                   exc.request_id, exc.detail)
        return {"outcome": "retry"}, 503
    return {"outcome": outcome}


@bp.post("/sandbox")
def sandbox():
    """Receive an event from the sandbox checkout."""
    return _answer("sandbox")


@bp.post("/stripe")
def stripe():
    """Receive an event from Stripe."""
    return _answer("stripe")


@bp.post("/midtrans")
def midtrans():
    """Receive a notification from Midtrans (the Payment Notification URL in its dashboard)."""
    return _answer("midtrans")
