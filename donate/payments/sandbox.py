"""A local stand-in for a card provider: a checkout page whose buttons send signed webhooks.

The Pay, Fail and Cancel buttons post to the app, which signs the event and
hands it to the same webhook handling a real provider's event goes through,
so the confirmation path that runs in production runs here too.
"""

import hashlib
import hmac
import json
import secrets
import time

from flask import url_for

from ..models import Payment, PaymentState
from ..security import is_development
from .base import InvalidWebhook, PaymentProvider, ProviderEvent

SIGNATURE_HEADER = "Sandbox-Signature"
#: Signed events older than this are refused, as Stripe refuses stale ones.
TOLERANCE_SECONDS = 300
OUTCOMES = {"pay": PaymentState.paid, "fail": PaymentState.failed, "cancel": PaymentState.expired}


class SandboxProvider(PaymentProvider):
    name = "sandbox"

    def __init__(self, app):
        super().__init__(app)
        if not is_development(app):
            raise RuntimeError(f"the sandbox payment provider only runs with ENV development or test, not "
                               f"{app.config['ENV']!r}; configure a real provider")
        self._key = hashlib.sha256(b"sandbox webhook " + app.config["SECRET_KEY"].encode()).digest()

    def create_checkout(self, payment: Payment, *, success_url: str, cancel_url: str) -> str:
        """Give the payment a reference and return the local checkout page's URL."""
        if not payment.provider_ref:
            payment.provider_ref = "sbx_" + secrets.token_urlsafe(16)
        return url_for("sandbox.checkout", ref=payment.provider_ref, next=success_url, cancel=cancel_url)

    def event_for(self, payment: Payment, outcome: str) -> tuple[bytes, dict[str, str]]:
        """Return the signed body and headers of the event an outcome button sends."""
        body = json.dumps({
            "id": "evt_" + secrets.token_urlsafe(12),
            "type": f"payment.{OUTCOMES[outcome].value}",
            "payment_ref": payment.provider_ref,
            "amount_idr": payment.amount_idr,
        }).encode()
        return body, {SIGNATURE_HEADER: self.sign(body)}

    def sign(self, body: bytes, timestamp: int | None = None) -> str:
        """Return the signature header for ``body``."""
        timestamp = int(time.time()) if timestamp is None else timestamp
        mac = hmac.new(self._key, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
        return f"t={timestamp},v1={mac}"

    def parse_webhook(self, body: bytes, headers) -> ProviderEvent:
        """Verify the signature and freshness, then read the event."""
        try:
            parts = dict(item.split("=", 1) for item in headers.get(SIGNATURE_HEADER, "").split(","))
            timestamp = int(parts["t"])
            given = parts["v1"]
        except (KeyError, ValueError):
            raise InvalidWebhook("missing or malformed signature") from None
        expected = self.sign(body, timestamp).split("v1=", 1)[1]
        if not hmac.compare_digest(given, expected):
            raise InvalidWebhook("bad signature")
        if abs(time.time() - timestamp) > TOLERANCE_SECONDS:
            raise InvalidWebhook("stale signature")
        try:
            data = json.loads(body)
            state = PaymentState(data["type"].removeprefix("payment."))
            return ProviderEvent(id=str(data["id"]), type=data["type"], payment_ref=data["payment_ref"],
                                 state=state, amount_idr=int(data["amount_idr"]))
        except (KeyError, ValueError, TypeError):
            raise InvalidWebhook("unreadable event") from None

    def fetch_state(self, payment: Payment) -> PaymentState:
        """The sandbox keeps no state of its own: ours is authoritative."""
        return payment.state

    def refund(self, payment: Payment, amount_idr: int) -> None:
        """Nothing to call: sandbox money is not real."""
