"""Provider webhooks: verify on the raw body, then hand over to ``services.payments``."""

from flask import Blueprint, abort, request

from ..extensions import csrf, db
from ..payments import InvalidWebhook, provider
from ..services.payments import handle_event

bp = Blueprint("webhooks", __name__, url_prefix="/webhooks")
csrf.exempt(bp)


def receive(provider_name: str, body: bytes, headers) -> str:
    """Verify, apply and commit one webhook; raise :class:`InvalidWebhook` if it cannot be trusted."""
    event = provider(provider_name).parse_webhook(body, headers)
    outcome = handle_event(provider_name, event)
    db.session.commit()
    return outcome


@bp.post("/sandbox")
def sandbox():
    """Receive an event from the sandbox checkout."""
    try:
        outcome = receive("sandbox", request.get_data(), request.headers)
    except InvalidWebhook as exc:
        abort(400, str(exc))
    except KeyError:
        abort(404)
    return {"outcome": outcome}
