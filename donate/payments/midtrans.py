"""Midtrans: Snap redirect checkout for QRIS, e-wallets, virtual accounts and cards; Core API status and refunds.

Every call goes through the official ``midtransclient`` package. IDR has no
decimals at Midtrans: Rp 16,800 is ``16800`` going out and ``"16800.00"``
coming back. A notification is only a trigger: its ``signature_key`` is
checked, then the transaction's status is fetched from the Core API and only
that answer is acted on.
"""

import datetime as dt
import hashlib
import hmac
import json
import secrets
from decimal import Decimal, InvalidOperation

import midtransclient
from midtransclient.error_midtrans import JSONDecodeError, MidtransAPIError

from ..models import Payment, PaymentState
from ..models.base import utcnow
from .base import InvalidWebhook, PaymentProvider, ProviderEvent, ProviderUnavailable

#: Our method -> Snap's ``enabled_payments`` code.
SNAP_PAYMENTS = {
    "qris": "other_qris", "gopay": "gopay", "shopeepay": "shopeepay", "bca_va": "bca_va", "bni_va": "bni_va",
    "bri_va": "bri_va", "mandiri_va": "echannel", "permata_va": "permata_va", "card": "credit_card",
}
#: Methods whose money Midtrans can send back through the Core API; the others are refunded by a manual transfer.
REFUNDABLE = ("card", "gopay", "shopeepay", "qris")
#: Snap's expiry is written in Jakarta time.
WIB = dt.timezone(dt.timedelta(hours=7))
#: Transaction statuses and what they make of a payment (``capture`` depends on ``fraud_status``).
STATES = {
    "settlement": PaymentState.paid, "pending": PaymentState.pending, "deny": PaymentState.failed,
    "cancel": PaymentState.failed, "failure": PaymentState.failed, "expire": PaymentState.expired,
    "refund": PaymentState.refunded, "partial_refund": PaymentState.refunded,
    "chargeback": PaymentState.disputed, "partial_chargeback": PaymentState.disputed,
}


def signature(order_id: str, status_code: str, gross_amount: str, server_key: str) -> str:
    """Return the ``signature_key`` Midtrans puts on a notification: SHA-512 of the four strings joined."""
    return hashlib.sha512(f"{order_id}{status_code}{gross_amount}{server_key}".encode()).hexdigest()


def whole_rupiah(raw) -> int | None:
    """Read Midtrans's "16800.00" as 16800; ``None`` if absent, 0 (which matches no payment) if unreadable."""
    if raw in (None, ""):
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        return 0
    return int(value) if value.is_finite() and value == value.to_integral_value() else 0


class MidtransProvider(PaymentProvider):
    name = "midtrans"
    methods = tuple(SNAP_PAYMENTS)

    def __init__(self, app):
        super().__init__(app)
        self.server_key = app.config.get("MIDTRANS_SERVER_KEY") or ""
        if not self.server_key:
            raise RuntimeError("the Midtrans provider needs DONATE_MIDTRANS_SERVER_KEY")
        options = {"is_production": bool(app.config.get("MIDTRANS_PRODUCTION")), "server_key": self.server_key,
                   "client_key": app.config.get("MIDTRANS_CLIENT_KEY") or ""}
        self.snap = midtransclient.Snap(**options)
        self.core = midtransclient.CoreApi(**options)
        for client in (self.snap, self.core):
            config = client.api_config
            if app.config.get("MIDTRANS_API_BASE"):
                config.CORE_SANDBOX_BASE_URL = config.CORE_PRODUCTION_BASE_URL = \
                    app.config["MIDTRANS_API_BASE"].rstrip("/")
            if app.config.get("MIDTRANS_SNAP_BASE"):
                config.SNAP_SANDBOX_BASE_URL = config.SNAP_PRODUCTION_BASE_URL = \
                    app.config["MIDTRANS_SNAP_BASE"].rstrip("/")

    def _call(self, what: str, call, *args):
        """Call the Core API or Snap; a network fault or a 5xx becomes :class:`ProviderUnavailable`."""
        try:
            return call(*args)
        except MidtransAPIError as exc:
            if exc.http_status_code >= 500 or exc.http_status_code in (401, 403, 429):
                raise ProviderUnavailable(f"Midtrans {what}: HTTP {exc.http_status_code}") from exc
            raise
        except (OSError, JSONDecodeError) as exc:  # requests' ConnectionError and Timeout are OSErrors
            raise ProviderUnavailable(f"Midtrans {what}: {exc}") from exc

    # -- checkout ---------------------------------------------------------

    def _item(self, payment: Payment) -> dict:
        donation = payment.donation
        if donation.worker_id:
            name = f"BPJS TK {donation.worker.display_name}, {donation.months} bln"
        elif donation.workers_count:
            name = f"BPJS TK {donation.workers_count} pekerja x {donation.months} bln"
        else:
            name = f"Donasi {donation.campaign.name}"
        # Midtrans refuses item names over 50 characters.
        return {"id": f"donation-{donation.id}", "price": payment.amount_idr, "quantity": 1, "name": name[:50]}

    def create_checkout(self, payment: Payment, *, success_url: str, cancel_url: str) -> str:
        """Open a Snap transaction for exactly the chosen method; the order id becomes ``payment.provider_ref``."""
        if payment.method not in SNAP_PAYMENTS:
            raise ValueError(f"Midtrans does not take {payment.method!r}")
        if not payment.provider_ref:
            # Our own reference, unique at Midtrans even if this database is ever reset.
            payment.provider_ref = f"LDG-{payment.id}-{secrets.token_hex(4)}"
        donation = payment.donation
        start = (payment.created_at or utcnow()).replace(tzinfo=dt.UTC).astimezone(WIB)
        minutes = self.payable_minutes(payment.method)
        if payment.expires_at:
            minutes = max(1, round((payment.expires_at - (payment.created_at or utcnow())).total_seconds() / 60))
        customer = {"first_name": (donation.donor_name or "Hamba Allah")[:50]}
        if donation.donor_email:
            customer["email"] = donation.donor_email
        params = {
            "transaction_details": {"order_id": payment.provider_ref, "gross_amount": payment.amount_idr},
            "item_details": [self._item(payment)],
            "customer_details": customer,
            "enabled_payments": [SNAP_PAYMENTS[payment.method]],
            "expiry": {"start_time": start.strftime("%Y-%m-%d %H:%M:%S %z"), "unit": "minute",
                       "duration": minutes},
            "callbacks": {"finish": success_url},
        }
        if payment.method == "card":
            params["credit_card"] = {"secure": True}
        answer = self._call("Snap", self.snap.create_transaction, params)
        return answer["redirect_url"]

    # -- status -----------------------------------------------------------

    def transaction(self, order_id: str) -> dict | None:
        """Return the Core API's status of an order, or ``None`` if Midtrans has no such transaction."""
        try:
            return self._call("status", self.core.transactions.status, order_id)
        except MidtransAPIError as exc:
            answer = exc.api_response_dict or {}
            if exc.http_status_code == 404 or str(answer.get("status_code")) == "404":
                return None
            raise ProviderUnavailable(f"Midtrans status: {exc.message[:200]}") from exc

    def fetch_state(self, payment: Payment) -> PaymentState:
        """Ask the Core API; an order Midtrans has never seen (the donor left Snap) stays as it is."""
        status = self.transaction(payment.provider_ref) if payment.provider_ref else None
        if status is None:
            return payment.state
        state = self.state_of(status)
        if state is None or whole_rupiah(status.get("gross_amount")) != payment.amount_idr \
                or status.get("currency", "IDR") != "IDR":
            # Never settle from an answer that disagrees with what was asked; the webhook flags it.
            return payment.state if state != PaymentState.pending else PaymentState.pending
        return state

    @staticmethod
    def state_of(status: dict) -> PaymentState | None:
        """Return what a transaction status means for the payment (``None``: nothing yet, e.g. a challenged card)."""
        kind = status.get("transaction_status")
        if kind == "capture":
            fraud = status.get("fraud_status")
            if fraud == "accept":
                return PaymentState.paid
            return PaymentState.failed if fraud == "deny" else None
        return STATES.get(kind)

    def pay_details(self, payment: Payment) -> dict:
        """Return what a donor still has to do for a pending payment: a VA number or a QR string."""
        status = self.transaction(payment.provider_ref) if payment.provider_ref else None
        if not status or status.get("transaction_status") != "pending":
            return {}
        details = {"expires": status.get("expiry_time")}
        for account in status.get("va_numbers") or []:
            details.update(bank=account.get("bank"), va_number=account.get("va_number"))
        if status.get("permata_va_number"):
            details.update(bank="permata", va_number=status["permata_va_number"])
        if status.get("bill_key"):
            details.update(bank="mandiri", biller_code=status.get("biller_code"), va_number=status["bill_key"])
        if status.get("qr_string"):
            details["qr_string"] = status["qr_string"]
        return details

    # -- refunds ----------------------------------------------------------

    def can_refund(self, payment: Payment) -> bool:
        """Cards, GoPay, ShopeePay and QRIS can be refunded at Midtrans; virtual accounts cannot."""
        return payment.method in REFUNDABLE

    def refund(self, payment: Payment, amount_idr: int) -> None:
        """Refund through the Core API; the refund key makes a retry of the same refund harmless."""
        if not self.can_refund(payment):
            raise ValueError(f"Midtrans cannot refund {payment.method}; transfer the money back by hand")
        self._call("refund", self.core.transactions.refund, payment.provider_ref, {
            "refund_key": f"LDG-{payment.id}-refund-{payment.refunded_idr}-{amount_idr}",
            "amount": amount_idr, "reason": "Lindungi refund",
        })

    # -- notifications ----------------------------------------------------

    def parse_webhook(self, body: bytes, headers) -> ProviderEvent:
        """Check the ``signature_key``, then read the event from the Core API's status, never from the body."""
        try:
            notice = json.loads(body)
            order_id = str(notice["order_id"])
            given = str(notice["signature_key"])
            expected = signature(order_id, str(notice["status_code"]), str(notice["gross_amount"]),
                                 self.server_key)
        except (KeyError, TypeError, ValueError, UnicodeDecodeError):
            raise InvalidWebhook("unreadable notification") from None
        if not hmac.compare_digest(given.lower().encode(), expected.encode()):
            raise InvalidWebhook("bad signature")
        status = self.transaction(order_id)
        if status is None:
            # Signed by our key but unknown to Midtrans (the dashboard's test button): nothing to do.
            return ProviderEvent(id=f"{order_id}:unknown", type="unknown", payment_ref=None)
        return self.event_from(status)

    def event_from(self, status: dict) -> ProviderEvent:
        """Translate a Core API status into the neutral :class:`ProviderEvent`."""
        kind = str(status.get("transaction_status") or "")
        state = self.state_of(status)
        refunded = None
        if state == PaymentState.refunded:
            refunded = whole_rupiah(status.get("refund_amount"))
            if refunded is None:
                refunded = sum(whole_rupiah(r.get("refund_amount")) or 0 for r in status.get("refunds") or [])
        # One id per thing that can happen to an order, so a repeat is a duplicate and a change is new.
        parts = [str(status.get("order_id")), kind, str(status.get("fraud_status") or ""), str(refunded or "")]
        return ProviderEvent(
            id=":".join(parts).rstrip(":"), type=kind, payment_ref=str(status.get("order_id")), state=state,
            amount_idr=whole_rupiah(status.get("gross_amount")), currency=str(status.get("currency") or "IDR"),
            refunded_idr=refunded,
        )
