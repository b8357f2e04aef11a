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
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

import midtransclient
from midtransclient.error_midtrans import JSONDecodeError, MidtransAPIError

from ..models import Payment, PaymentState, Refund
from ..models.base import utcnow
from .base import (
    DisputeRecord,
    InvalidWebhook,
    PaymentProvider,
    ProviderError,
    ProviderEvent,
    ProviderRecord,
    RefundRecord,
    Verdict,
)

#: Our method -> Snap's ``enabled_payments`` code.
SNAP_PAYMENTS = {
    "qris": "other_qris", "gopay": "gopay", "shopeepay": "shopeepay", "bca_va": "bca_va", "bni_va": "bni_va",
    "bri_va": "bri_va", "mandiri_va": "echannel", "permata_va": "permata_va", "card": "credit_card",
}
#: Methods whose money Midtrans can send back through the Core API; the others are refunded by a manual transfer.
REFUNDABLE = ("card", "gopay", "shopeepay", "qris")
#: Snap's expiry and Midtrans's times are written in Jakarta time.
WIB = dt.timezone(dt.timedelta(hours=7))
#: Transaction statuses and what they make of a payment (``capture`` depends on ``fraud_status``).
STATES = {
    "settlement": PaymentState.paid, "pending": PaymentState.pending, "deny": PaymentState.failed,
    "cancel": PaymentState.failed, "failure": PaymentState.failed, "expire": PaymentState.expired,
    # Money given back or taken back was received first.
    "refund": PaymentState.paid, "partial_refund": PaymentState.paid,
    "chargeback": PaymentState.paid, "partial_chargeback": PaymentState.paid,
}
REFUNDS = ("refund", "partial_refund")
CHARGEBACKS = ("chargeback", "partial_chargeback")


def signature(order_id: str, status_code: str, gross_amount: str, server_key: str) -> str:
    """Return the ``signature_key`` Midtrans puts on a notification: SHA-512 of the four strings joined."""
    return hashlib.sha512(f"{order_id}{status_code}{gross_amount}{server_key}".encode()).hexdigest()


def whole_rupiah(raw) -> int | None:
    """Read Midtrans's "16800.00" as 16800; ``None`` if absent or not a whole number of rupiah."""
    if raw in (None, ""):
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        return None
    return int(value) if value.is_finite() and value == value.to_integral_value() else None


def _key_id(refund_key: str | None) -> int | None:
    """Read our ``Refund.id`` back from a refund key we sent ("lindungi-refund-42")."""
    tail = (refund_key or "").rsplit("-", 1)[-1]
    return int(tail) if (refund_key or "").startswith("lindungi-refund-") and tail.isdigit() else None


def _wib(raw: str | None) -> dt.datetime | None:
    """Read a Midtrans time ("2026-12-01 23:30:00", Jakarta) as naive UTC."""
    try:
        return dt.datetime.strptime(raw or "", "%Y-%m-%d %H:%M:%S").replace(tzinfo=WIB) \
            .astimezone(dt.UTC).replace(tzinfo=None)
    except ValueError:
        return None


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

    def _call(self, what: str, call, *args) -> dict:
        """Call Snap or the Core API; every failure becomes a :class:`ProviderError` (retryable or not)."""
        try:
            return call(*args)
        except MidtransAPIError as exc:
            answer = exc.api_response_dict or {}
            code = str(answer.get("status_code") or exc.http_status_code)
            messages = answer.get("error_messages") or [answer.get("status_message") or ""]
            raise ProviderError(f"Midtrans {what}: {code} {'; '.join(map(str, messages))[:200]}",
                                request_id=answer.get("id") or answer.get("transaction_id"),
                                retryable=exc.http_status_code >= 500 or code.startswith("5")
                                or exc.http_status_code == 429,
                                gone=code == "404") from exc
        except (OSError, JSONDecodeError) as exc:  # requests' ConnectionError and Timeout are OSErrors
            raise ProviderError(f"Midtrans {what}: {exc}", retryable=True) from exc

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
        """Open a Snap transaction for exactly the chosen method; the order id becomes ``payment.provider_ref``.

        The Snap page expires when the payment does, which is when a named
        worker's hold ends: nobody pays for months promised to another donor.
        """
        if payment.method not in SNAP_PAYMENTS:
            raise ProviderError(f"Midtrans does not take {payment.method!r}")
        if not payment.provider_ref:
            # Our own reference, unique at Midtrans even if this database is ever reset.
            payment.provider_ref = f"LDG-{payment.id}-{secrets.token_hex(4)}"
        donation = payment.donation
        start = utcnow()
        expires = payment.expires_at or start + dt.timedelta(minutes=self.payable_minutes(payment.method))
        customer = {"first_name": (donation.donor_name or "Hamba Allah")[:50]}
        if donation.donor_email:
            customer["email"] = donation.donor_email
        params = {
            "transaction_details": {"order_id": payment.provider_ref, "gross_amount": payment.amount_idr},
            "item_details": [self._item(payment)],
            "customer_details": customer,
            "enabled_payments": [SNAP_PAYMENTS[payment.method]],
            "expiry": {"start_time": start.replace(tzinfo=dt.UTC).astimezone(WIB).strftime("%Y-%m-%d %H:%M:%S %z"),
                       "unit": "minute", "duration": max(1, round((expires - start).total_seconds() / 60))},
            "callbacks": {"finish": success_url},
        }
        if payment.method == "card":
            params["credit_card"] = {"secure": True}
        return self._call("Snap", self.snap.create_transaction, params)["redirect_url"]

    # -- status -----------------------------------------------------------

    def transaction(self, order_id: str) -> dict | None:
        """Return the Core API's status of an order, or ``None`` if Midtrans has no such transaction."""
        try:
            return self._call("status", self.core.transactions.status, order_id)
        except ProviderError as exc:
            if exc.gone:
                return None
            raise

    @staticmethod
    def state_of(status: dict) -> PaymentState | None:
        """Return what a transaction status says of the payment (``None``: nothing yet, e.g. a challenged card)."""
        kind = status.get("transaction_status")
        if kind == "capture":
            fraud = status.get("fraud_status")
            if fraud == "accept":
                return PaymentState.paid
            return PaymentState.failed if fraud == "deny" else None
        return STATES.get(kind)

    @staticmethod
    def verdict_of(status: dict) -> Verdict:
        """Return what a status answer says of the payment's money."""
        currency = str(status.get("currency") or "IDR").lower()
        gross = status.get("gross_amount")
        return Verdict(state=MidtransProvider.state_of(status),
                       amount_idr=whole_rupiah(gross) if currency == "idr" else None, currency=currency,
                       payment_ref=str(status.get("order_id")), provider_amount=f"{gross} {currency}",
                       money_ref=status.get("transaction_id"))

    def fetch_verdict(self, payment: Payment) -> Verdict:
        """Ask the Core API; an order Midtrans has never seen (the donor left Snap) is still pending."""
        status = self.transaction(payment.provider_ref) if payment.provider_ref else None
        if status is None:
            return Verdict(state=PaymentState.pending, payment_ref=payment.provider_ref)
        return self.verdict_of(status)

    def pay_details(self, payment: Payment) -> dict:
        """Return what a donor still has to do for a pending payment: a VA number or a QR string."""
        status = self.transaction(payment.provider_ref) if payment.provider_ref else None
        if not status or status.get("transaction_status") != "pending":
            return {}
        details = {}
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

    def refund(self, refund: Refund) -> RefundRecord:
        """Refund through the Core API; the refund key (our row's id) makes a retry of the same refund harmless."""
        payment = refund.payment
        if not self.can_refund(payment):
            raise ProviderError(f"Midtrans cannot refund {payment.method}; transfer the money back by hand")
        answer = self._call("refund", self.core.transactions.refund, payment.provider_ref, {
            "refund_key": refund.idempotency_key, "amount": refund.amount_idr,
            "reason": (refund.reason or "Lindungi refund")[:255],
        })
        return RefundRecord(ref=answer.get("refund_key") or refund.idempotency_key,
                            amount_idr=whole_rupiah(answer.get("refund_amount")) or refund.amount_idr,
                            status="succeeded", refund_id=refund.id)

    @staticmethod
    def refunds_of(status: dict) -> tuple[RefundRecord, ...]:
        """Return the refunds a status answer lists (made by us or in Midtrans's dashboard)."""
        listed = tuple(
            RefundRecord(ref=str(item.get("refund_key") or item.get("refund_chargeback_id")),
                         amount_idr=whole_rupiah(item.get("refund_amount")) or 0, status="succeeded",
                         refund_id=_key_id(item.get("refund_key")))
            for item in status.get("refunds") or [] if item.get("refund_amount"))
        total = whole_rupiah(status.get("refund_amount"))
        if not listed and total:
            # An answer with only the running total: one refund record for it, so a repeat books nothing new.
            return (RefundRecord(ref=f"{status.get('order_id')}:refund", amount_idr=total, status="succeeded"),)
        return listed

    @staticmethod
    def dispute_of(status: dict) -> DisputeRecord | None:
        """Return the chargeback a status answer reports, as what it withdrew."""
        if status.get("transaction_status") not in CHARGEBACKS:
            return None
        items = status.get("refunds") or []
        taken = sum(whole_rupiah(i.get("refund_amount")) or 0 for i in items) \
            or whole_rupiah(status.get("refund_amount")) or whole_rupiah(status.get("gross_amount")) or 0
        return DisputeRecord(ref=f"{status.get('order_id')}:chargeback", amount_idr=taken, status="lost",
                             withdrawn_idr=taken, transactions=len(items) or 1)

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
            # Signed with our key but unknown to Midtrans (the dashboard's test button): nothing to do.
            return ProviderEvent(id=f"{order_id}:unknown", type="unknown", payment_ref=None)
        return self.event_from(status)

    def event_from(self, status: dict) -> ProviderEvent:
        """Translate a Core API status into the neutral :class:`ProviderEvent`."""
        kind = str(status.get("transaction_status") or "")
        verdict = self.verdict_of(status)
        refunds = self.refunds_of(status) if kind in REFUNDS else ()
        dispute = self.dispute_of(status)
        # One id per thing that can happen to an order: a repeat is a duplicate, a change is news.
        parts = [verdict.payment_ref, kind, str(status.get("fraud_status") or ""),
                 ",".join(f"{r.ref}={r.amount_idr}" for r in refunds), str(dispute.withdrawn_idr if dispute else "")]
        return ProviderEvent(
            id=":".join(parts).rstrip(":")[:255], type=kind, payment_ref=verdict.payment_ref, state=verdict.state,
            amount_idr=verdict.amount_idr, currency=verdict.currency, provider_amount=verdict.provider_amount,
            money_ref=verdict.money_ref, refunds=refunds, dispute=dispute,
            summary=f"Midtrans order {verdict.payment_ref} ({status.get('payment_type')}, {kind})")

    # -- reconciliation ---------------------------------------------------

    def fetch_record(self, payment: Payment) -> ProviderRecord | None:
        """Return Midtrans's account of one order: what it collected, refunded and charged back."""
        status = self.transaction(payment.provider_ref) if payment.provider_ref else None
        if status is None:
            return None
        verdict = self.verdict_of(status)
        refunds = self.refunds_of(status) if status.get("transaction_status") in REFUNDS else ()
        dispute = self.dispute_of(status)
        return ProviderRecord(
            payment_ref=payment.provider_ref, state=verdict.state,
            received_idr=(verdict.amount_idr or 0) if verdict.state == PaymentState.paid else 0,
            refunded_idr=sum(r.amount_idr for r in refunds), disputed_idr=dispute.withdrawn_idr if dispute else 0,
            currency=verdict.currency or "", refunds=refunds, disputes=(dispute,) if dispute else (),
            created_at=_wib(status.get("transaction_time")), extra={"provider_amount": verdict.provider_amount})

    def list_records(self, *, since: dt.datetime | None = None) -> Iterator[ProviderRecord]:
        """Midtrans's Core API has no listing of transactions: reconciliation asks order by order."""
        return iter(())
