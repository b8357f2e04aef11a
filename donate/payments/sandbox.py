"""A local stand-in for a payment provider: a checkout page whose buttons send signed webhooks.

It mimics the method the donor chose: QRIS shows a QR code to scan, a
virtual account shows a number to pay to, a card shows Pay / Fail / Cancel.
Each button posts to the app, which signs the event and hands it to the same
webhook handling a real provider's event goes through, so the confirmation
path that runs in production runs here too.
"""

import datetime as dt
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Iterator

import sqlalchemy as sa
from flask import url_for

from ..extensions import db
from ..models import Payment, PaymentState, Refund, SandboxRecord
from ..security import is_development
from .base import (
    METHODS,
    VIRTUAL_ACCOUNTS,
    InvalidWebhook,
    PaymentProvider,
    ProviderEvent,
    ProviderRecord,
    RefundRecord,
    Verdict,
)

SIGNATURE_HEADER = "Sandbox-Signature"
#: Signed events older than this are refused, as Stripe refuses stale ones.
TOLERANCE_SECONDS = 300
OUTCOMES = {"pay": PaymentState.paid, "fail": PaymentState.failed, "cancel": PaymentState.expired}
#: Made-up company prefixes for the sandbox's virtual account numbers, per bank.
VA_PREFIXES = {"bca_va": "39358", "bni_va": "98812", "bri_va": "26215", "mandiri_va": "89508",
               "permata_va": "85620"}


class SandboxProvider(PaymentProvider):
    name = "sandbox"
    #: Everything but a plain bank transfer, which needs no provider at all.
    methods = tuple(m for m in METHODS if m != "bank_transfer")

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
        """Write the outcome in the sandbox's own book; return the signed body and headers of its event."""
        record = db.session.get(SandboxRecord, payment.provider_ref)
        if record is None:
            record = SandboxRecord(ref=payment.provider_ref, state=PaymentState.pending.value, amount_idr=0,
                                   refunded_idr=0)
            db.session.add(record)
        if record.state != PaymentState.paid.value:  # money taken stays taken
            record.state = OUTCOMES[outcome].value
            record.amount_idr = payment.amount_idr if outcome == "pay" else 0
        db.session.flush()
        body = json.dumps({
            "id": "evt_" + secrets.token_urlsafe(12),
            "type": f"payment.{OUTCOMES[outcome].value}",
            "payment_ref": payment.provider_ref,
            "amount_idr": payment.amount_idr,
            "currency": "idr",
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
            currency = str(data.get("currency") or "idr").lower()
            return ProviderEvent(id=str(data["id"]), type=data["type"], payment_ref=data["payment_ref"],
                                 state=state, amount_idr=int(data["amount_idr"]) if currency == "idr" else None,
                                 currency=currency, provider_amount=f"{data['amount_idr']} {currency}",
                                 summary=f"sandbox payment {data['payment_ref']}")
        except (KeyError, ValueError, TypeError):
            raise InvalidWebhook("unreadable event") from None

    def fetch_verdict(self, payment: Payment) -> Verdict:
        """Read the sandbox's own book: what its checkout page collected for this reference."""
        record = db.session.get(SandboxRecord, payment.provider_ref) if payment.provider_ref else None
        if record is None:
            return Verdict(state=PaymentState.pending, payment_ref=payment.provider_ref)
        return Verdict(state=PaymentState(record.state), amount_idr=record.amount_idr, currency="idr",
                       payment_ref=record.ref, provider_amount=f"{record.amount_idr} idr")

    def pay_details(self, payment: Payment) -> dict:
        """Return a test VA number or a test QRIS payload; neither reaches any bank."""
        if payment.method in VIRTUAL_ACCOUNTS:
            return {"bank": payment.method.removesuffix("_va"),
                    "va_number": VA_PREFIXES[payment.method] + f"{payment.id:011d}"}
        if payment.method == "qris":
            return {"qr_string": f"SANDBOX-QRIS|{payment.provider_ref}|{payment.amount_idr}"}
        return {}

    def refund(self, refund: Refund) -> RefundRecord:
        """Give sandbox money back in the sandbox's book (it is not real money)."""
        record = db.session.get(SandboxRecord, refund.payment.provider_ref)
        if record is not None:
            record.refunded_idr += refund.amount_idr
            db.session.flush()
        return RefundRecord(ref=f"sbx_re_{refund.id}", amount_idr=refund.amount_idr, status="succeeded",
                            refund_id=refund.id)

    def fetch_record(self, payment: Payment) -> ProviderRecord | None:
        """Return the sandbox's own record of a payment."""
        record = db.session.get(SandboxRecord, payment.provider_ref) if payment.provider_ref else None
        if record is None:
            return None
        return _record(record)

    def list_records(self, *, since: dt.datetime | None = None) -> Iterator[ProviderRecord]:
        """Yield every record of the sandbox's book (since ``since``)."""
        query = sa.select(SandboxRecord).order_by(SandboxRecord.ref)
        if since is not None:
            query = query.where(SandboxRecord.created_at >= since)
        for record in db.session.scalars(query):
            yield _record(record)


def _record(record: SandboxRecord) -> ProviderRecord:
    return ProviderRecord(payment_ref=record.ref, state=PaymentState(record.state),
                          received_idr=record.amount_idr, refunded_idr=record.refunded_idr,
                          created_at=record.created_at)
