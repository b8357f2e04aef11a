"""Stripe: Checkout Sessions for one-off gifts, subscriptions for monthly sponsorships.

Every call goes through the official package's ``StripeClient``. Rupiah
become Stripe's two-decimal IDR here and nowhere else (Rp 16,800 is
``1680000``). Idempotency keys are derived from our own ids, so a retried
request can never open a second checkout or refund twice.
"""

import datetime as dt
import json

import stripe

from ..models import Payment, PaymentState
from ..models.base import utcnow
from .base import InvalidWebhook, PaymentProvider, ProviderEvent

#: Stripe refuses webhooks signed longer ago than this, and so do we.
TOLERANCE_SECONDS = 300
#: Stripe's checkout sessions last between 30 minutes and 24 hours.
MIN_SESSION_MINUTES = 30


def to_stripe(amount_idr: int) -> int:
    """Return whole rupiah in Stripe's two-decimal IDR units."""
    return int(amount_idr) * 100


def from_stripe(amount: int | None) -> int | None:
    """Return Stripe's two-decimal IDR units as whole rupiah."""
    return None if amount is None else int(amount) // 100


def _payment_id(obj: dict) -> int | None:
    """Read our payment id from an object's metadata or ``client_reference_id``."""
    raw = (obj.get("metadata") or {}).get("payment_id") or obj.get("client_reference_id")
    return int(raw) if raw and str(raw).isdigit() else None


def _subscription_of(invoice: dict) -> tuple[str | None, dict]:
    """Return an invoice's subscription id and metadata, in old and new API shapes alike."""
    details = ((invoice.get("parent") or {}).get("subscription_details") or {})
    ref = details.get("subscription") or invoice.get("subscription")
    if isinstance(ref, dict):
        ref = ref.get("id")
    metadata = details.get("metadata") or (invoice.get("subscription_details") or {}).get("metadata") or {}
    return ref, metadata


class StripeProvider(PaymentProvider):
    name = "stripe"
    supports_subscriptions = True

    def __init__(self, app):
        super().__init__(app)
        key = app.config.get("STRIPE_SECRET_KEY")
        if not key:
            raise RuntimeError("the Stripe provider needs DONATE_STRIPE_SECRET_KEY")
        self.webhook_secret = app.config.get("STRIPE_WEBHOOK_SECRET") or ""
        options = {"max_network_retries": 2}
        if app.config.get("STRIPE_API_BASE"):
            options["base_addresses"] = {"api": app.config["STRIPE_API_BASE"].rstrip("/")}
        self.client = stripe.StripeClient(key, **options)

    # -- checkout ---------------------------------------------------------

    def _session_params(self, payment: Payment, success_url: str, cancel_url: str) -> dict:
        donation = payment.donation
        metadata = {"payment_id": str(payment.id), "donation_id": str(donation.id),
                    "campaign": donation.campaign.slug, "kind": donation.kind.value,
                    "designation": donation.designation.value}
        params = {
            "success_url": success_url,
            "cancel_url": cancel_url,
            "client_reference_id": str(payment.id),
            "metadata": metadata,
            "locale": "auto",
        }
        if donation.donor_email:
            params["customer_email"] = donation.donor_email
        if donation.worker_id:
            # The session ends with the worker's hold, so nobody pays for months promised to another donor.
            minutes = max(MIN_SESSION_MINUTES, int(self.app.config.get("HOLD_MINUTES", 30)))
            params["expires_at"] = int((utcnow() + dt.timedelta(minutes=minutes))
                                       .replace(tzinfo=dt.UTC).timestamp())
        return params

    def _line_item(self, payment: Payment, recurring: bool = False) -> dict:
        donation = payment.donation
        if donation.worker_id:
            name = f"BPJS Ketenagakerjaan (JKK + JKM): {donation.worker.display_name}"
            if not recurring:
                name += f", {donation.months} bulan"
        elif donation.workers_count:
            name = f"BPJS Ketenagakerjaan: {donation.workers_count} pekerja × {donation.months} bulan"
        else:
            name = f"Donasi {donation.campaign.name}"
        price = {"currency": "idr", "unit_amount": to_stripe(payment.amount_idr), "product_data": {"name": name}}
        if recurring:
            price["recurring"] = {"interval": "month"}
        return {"quantity": 1, "price_data": price}

    def create_checkout(self, payment: Payment, *, success_url: str, cancel_url: str) -> str:
        """Open a Checkout Session for a one-off gift; its id becomes ``payment.provider_ref``."""
        params = self._session_params(payment, success_url, cancel_url)
        params.update(mode="payment", line_items=[self._line_item(payment)],
                      payment_intent_data={"metadata": params["metadata"],
                                           "description": f"Lindungi payment {payment.id}"})
        session = self.client.v1.checkout.sessions.create(
            params, options={"idempotency_key": f"lindungi-checkout-{payment.id}"})
        payment.provider_ref = session.id
        payment.state = PaymentState.pending
        return session.url

    def create_subscription_checkout(self, payment: Payment, *, success_url: str, cancel_url: str) -> str:
        """Open a Checkout Session that starts a monthly subscription; the first invoice is ``payment``."""
        params = self._session_params(payment, success_url, cancel_url)
        params.update(mode="subscription", line_items=[self._line_item(payment, recurring=True)],
                      subscription_data={"metadata": params["metadata"]})
        session = self.client.v1.checkout.sessions.create(
            params, options={"idempotency_key": f"lindungi-subscription-{payment.id}"})
        payment.provider_ref = session.id
        payment.state = PaymentState.pending
        return session.url

    def cancel_subscription(self, subscription_ref: str) -> None:
        """Cancel at once: the months already paid stay funded; nothing more is charged."""
        self.client.v1.subscriptions.cancel(
            subscription_ref, options={"idempotency_key": f"lindungi-cancel-{subscription_ref}"})

    def fetch_state(self, payment: Payment) -> PaymentState:
        """Read the session (or a subscription month's invoice) back from Stripe."""
        ref = payment.provider_ref or ""
        if ref.startswith("in_"):
            invoice = self.client.v1.invoices.retrieve(ref)
            return PaymentState.paid if invoice.status == "paid" else payment.state
        session = self.client.v1.checkout.sessions.retrieve(ref)
        if session.status == "complete" and session.payment_status == "paid":
            return PaymentState.paid
        if session.status == "expired":
            return PaymentState.expired
        return PaymentState.pending if payment.state == PaymentState.created else payment.state

    def refund(self, payment: Payment, amount_idr: int) -> None:
        """Refund through the payment intent behind the session (or invoice)."""
        ref = payment.provider_ref or ""
        if ref.startswith("in_"):
            invoice = self.client.v1.invoices.retrieve(ref, {"expand": ["payments"]})
            intent = invoice.payments.data[0].payment.payment_intent
        else:
            intent = self.client.v1.checkout.sessions.retrieve(ref).payment_intent
        self.client.v1.refunds.create(
            {"payment_intent": intent if isinstance(intent, str) else intent.id,
             "amount": to_stripe(amount_idr), "metadata": {"payment_id": str(payment.id)}},
            options={"idempotency_key": f"lindungi-refund-{payment.id}-{payment.refunded_idr}-{amount_idr}"})

    # -- webhooks ---------------------------------------------------------

    def parse_webhook(self, body: bytes, headers) -> ProviderEvent:
        """Verify the ``Stripe-Signature`` on the raw body, then read the event we act on."""
        try:
            stripe.WebhookSignature.verify_header(body.decode("utf-8"), headers.get("Stripe-Signature", ""),
                                                  self.webhook_secret, TOLERANCE_SECONDS)
            event = json.loads(body)
            obj = event["data"]["object"]
            return self._read(event["id"], event["type"], obj)
        except stripe.SignatureVerificationError as exc:
            raise InvalidWebhook(f"bad signature: {exc.user_message or exc}") from None
        except (KeyError, TypeError, ValueError, UnicodeDecodeError):
            raise InvalidWebhook("unreadable event") from None

    def _read(self, event_id: str, kind: str, obj: dict) -> ProviderEvent:
        """Translate one Stripe event into the neutral :class:`ProviderEvent`."""
        base = {"id": event_id, "type": kind}
        if kind.startswith("checkout.session."):
            state = None
            if kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
                # A completed session with a delayed method (bank transfer) is not paid yet.
                state = PaymentState.paid if obj.get("payment_status") == "paid" else None
            elif kind == "checkout.session.async_payment_failed":
                state = PaymentState.failed
            elif kind == "checkout.session.expired":
                state = PaymentState.expired
            subscription = obj.get("subscription")
            return ProviderEvent(**base, payment_ref=obj.get("id"), state=state,
                                 amount_idr=from_stripe(obj.get("amount_total")), payment_id=_payment_id(obj),
                                 subscription_ref=subscription.get("id") if isinstance(subscription, dict)
                                 else subscription,
                                 first_invoice=obj.get("mode") == "subscription")
        if kind == "invoice.paid":
            subscription_ref, metadata = _subscription_of(obj)
            if subscription_ref is None:
                return ProviderEvent(**base, payment_ref=None)
            return ProviderEvent(**base, payment_ref=obj.get("id"), state=PaymentState.paid,
                                 amount_idr=from_stripe(obj.get("amount_paid")),
                                 payment_id=_payment_id({"metadata": metadata}),
                                 subscription_ref=subscription_ref,
                                 first_invoice=obj.get("billing_reason") == "subscription_create")
        if kind == "customer.subscription.deleted":
            return ProviderEvent(**base, payment_ref=None, subscription_ref=obj.get("id"),
                                 payment_id=_payment_id(obj), subscription_ended=True)
        if kind == "charge.refunded":
            return ProviderEvent(**base, payment_ref=self._charge_payment_ref(obj), state=PaymentState.refunded,
                                 refunded_idr=from_stripe(obj.get("amount_refunded")), payment_id=_payment_id(obj))
        if kind in ("charge.dispute.created", "charge.dispute.closed"):
            charge = obj.get("charge")
            if isinstance(charge, str):
                charge = self.client.v1.charges.retrieve(charge).to_dict()
            closed = {"dispute_won": obj.get("status") == "won"} if kind == "charge.dispute.closed" else {}
            return ProviderEvent(**base, payment_ref=self._charge_payment_ref(charge or {}),
                                 state=PaymentState.disputed, amount_idr=from_stripe(obj.get("amount")),
                                 payment_id=_payment_id(charge or {}), **closed)
        return ProviderEvent(**base, payment_ref=None)

    def _charge_payment_ref(self, charge: dict) -> str | None:
        """Return our reference for a charge: its invoice (a subscription month) or its checkout session."""
        invoice = charge.get("invoice")
        if invoice:
            return invoice if isinstance(invoice, str) else invoice.get("id")
        if _payment_id(charge):
            return None  # the metadata names the payment
        intent = charge.get("payment_intent")
        if not intent:
            return None
        sessions = self.client.v1.checkout.sessions.list({"payment_intent": intent, "limit": 1})
        return sessions.data[0].id if sessions.data else None
