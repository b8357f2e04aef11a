"""Stripe: Checkout Sessions for one-off gifts, subscriptions for monthly sponsorships.

Every call goes through the official package's ``StripeClient``, in the API
version that package pins. Rupiah become Stripe's two-decimal IDR here and
nowhere else (Rp 16,800 is ``1680000``). Idempotency keys are derived from
our own ids, so a retried request can never open a second checkout or
refund twice. Every Stripe error leaves as :class:`ProviderError` with
Stripe's request id. This module never changes a payment's state.
"""

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import replace

import stripe

from ..models import Payment, PaymentState, Refund
from ..models.base import utcnow
from .base import (
    InvalidWebhook,
    PaymentProvider,
    ProviderError,
    ProviderEvent,
    ProviderRecord,
    RefundRecord,
    Verdict,
)
from .stripe_events import (
    dispute_record,
    figure,
    from_stripe,
    payment_id_hint,
    read_event,
    ref_of,
    refund_record,
    subscription_of,
    to_stripe,
)

#: Stripe refuses webhooks signed longer ago than this, and so do we.
TOLERANCE_SECONDS = 300
#: Stripe's checkout sessions last between 30 minutes and 24 hours after creation.
MIN_SESSION_MINUTES = 30
#: Kept between our expiry and Stripe's 30-minute floor, so clock skew never makes Stripe refuse the session.
SESSION_MARGIN_MINUTES = 5

__all__ = ["StripeProvider", "from_stripe", "to_stripe"]


def _error(exc: stripe.StripeError) -> ProviderError:
    """Return a Stripe error as the neutral provider error, with its request id."""
    retryable = isinstance(exc, (stripe.APIConnectionError, stripe.RateLimitError, stripe.APIError)) \
        or (exc.http_status or 0) >= 500
    gone = isinstance(exc, stripe.InvalidRequestError) and exc.code == "resource_missing"
    detail = (exc.user_message or str(exc) or type(exc).__name__)[:300]
    return ProviderError(f"Stripe: {detail}", request_id=exc.request_id, retryable=retryable, gone=gone)


class StripeProvider(PaymentProvider):
    name = "stripe"
    supports_subscriptions = True
    methods = ("card",)

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

    def _call(self, method, *args, **kwargs) -> dict:
        """Call the Stripe API and return its answer as plain data; raise :class:`ProviderError` on any error."""
        try:
            return method(*args, **kwargs).to_dict()
        except stripe.StripeError as exc:
            raise _error(exc) from exc

    def _each(self, method, params: dict) -> Iterator[dict]:
        """Yield every item of a Stripe list, all pages (``starting_after`` the last item of each)."""
        try:
            for item in method(params).auto_paging_iter():
                yield item.to_dict()
        except stripe.StripeError as exc:
            raise _error(exc) from exc

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
            # The session ends with the worker's hold, so nobody pays for months promised to another donor;
            # never closer to Stripe's 30-minute floor than the margin, whatever the clocks say.
            minutes = max(MIN_SESSION_MINUTES + SESSION_MARGIN_MINUTES, int(self.app.config.get("HOLD_MINUTES", 30)))
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
        session = self._call(self.client.v1.checkout.sessions.create,
                             params, options={"idempotency_key": f"lindungi-checkout-{payment.id}"})
        payment.provider_ref = session["id"]
        return session["url"]

    def create_subscription_checkout(self, payment: Payment, *, success_url: str, cancel_url: str) -> str:
        """Open a Checkout Session that starts a monthly subscription; the first invoice is ``payment``."""
        params = self._session_params(payment, success_url, cancel_url)
        params.update(mode="subscription", line_items=[self._line_item(payment, recurring=True)],
                      subscription_data={"metadata": params["metadata"]})
        session = self._call(self.client.v1.checkout.sessions.create,
                             params, options={"idempotency_key": f"lindungi-subscription-{payment.id}"})
        payment.provider_ref = session["id"]
        return session["url"]

    def cancel_subscription(self, subscription_ref: str) -> None:
        """Cancel at once: the months already paid stay funded; nothing more is charged."""
        self._call(self.client.v1.subscriptions.cancel,
                   subscription_ref, options={"idempotency_key": f"lindungi-cancel-{subscription_ref}"})

    def fetch_verdict(self, payment: Payment) -> Verdict:
        """Read the session (or a subscription month's invoice) back from Stripe."""
        ref = payment.provider_ref or ""
        if ref.startswith("in_"):
            invoice = self._call(self.client.v1.invoices.retrieve, ref)
            return Verdict(state=PaymentState.paid if invoice.get("status") == "paid" else None,
                           amount_idr=from_stripe(invoice.get("amount_paid"), invoice.get("currency")),
                           currency=invoice.get("currency"), payment_ref=ref,
                           provider_amount=figure(invoice.get("amount_paid"), invoice.get("currency")))
        session = self._call(self.client.v1.checkout.sessions.retrieve, ref)
        state = None
        if session.get("status") == "complete" and session.get("payment_status") == "paid":
            state = PaymentState.paid
        elif session.get("status") == "expired":
            state = PaymentState.expired
        elif session.get("status") == "open":
            state = PaymentState.pending
        currency = session.get("currency")
        return Verdict(state=state, amount_idr=from_stripe(session.get("amount_total"), currency),
                       currency=currency, payment_ref=session["id"], money_ref=ref_of(session.get("payment_intent")),
                       provider_amount=figure(session.get("amount_total"), currency))

    # -- money movements behind a payment -----------------------------------

    def _intent_of(self, payment: Payment) -> str | None:
        """Return the PaymentIntent that moved the payment's money (a session's, or an invoice's)."""
        if payment.money_ref:
            return payment.money_ref
        ref = payment.provider_ref or ""
        invoice = ref if ref.startswith("in_") else None
        if invoice is None:
            session = self._call(self.client.v1.checkout.sessions.retrieve, ref)
            if session.get("payment_intent"):
                return ref_of(session.get("payment_intent"))
            # A subscription's first month: the money is on the first invoice's payment.
            invoice = ref_of(session.get("invoice"))
            if invoice is None and session.get("subscription"):
                subscription = self._call(self.client.v1.subscriptions.retrieve, ref_of(session.get("subscription")))
                invoice = ref_of(subscription.get("latest_invoice"))
        if invoice is None:
            return None
        for item in self._each(self.client.v1.invoice_payments.list, {"invoice": invoice, "limit": 10}):
            paid_by = item.get("payment") or {}
            if paid_by.get("type") == "payment_intent" and item.get("status") == "paid":
                return ref_of(paid_by.get("payment_intent"))
        return None

    def refund(self, refund: Refund) -> RefundRecord:
        """Refund through the PaymentIntent behind the session or invoice, once per refund row."""
        payment = refund.payment
        intent = self._intent_of(payment)
        if intent is None:
            raise ProviderError("Stripe holds no payment for this gift to refund")
        created = self._call(self.client.v1.refunds.create,
                             {"payment_intent": intent, "amount": to_stripe(refund.amount_idr),
                              "metadata": {"payment_id": str(payment.id), "refund_id": str(refund.id)}},
                             options={"idempotency_key": refund.idempotency_key})
        return refund_record(created)

    def find_payment_ref(self, *, money_ref: str | None = None, subscription_ref: str | None = None) -> str | None:
        """Return our reference behind a PaymentIntent (its session, or its invoice) or a subscription's checkout."""
        if subscription_ref and not money_ref:
            sessions = self._call(self.client.v1.checkout.sessions.list,
                                  {"subscription": subscription_ref, "limit": 1})["data"]
            return sessions[0]["id"] if sessions else None
        if not money_ref:
            return None
        sessions = self._call(self.client.v1.checkout.sessions.list, {"payment_intent": money_ref, "limit": 1})["data"]
        if sessions:
            return sessions[0]["id"]
        # In today's API a charge names no invoice: the invoice payments say which invoice a PaymentIntent paid.
        payments = self._call(self.client.v1.invoice_payments.list,
                              {"payment": {"type": "payment_intent", "payment_intent": money_ref},
                               "limit": 1, "expand": ["data.invoice"]})["data"]
        if not payments:
            return None
        invoice = payments[0]["invoice"]
        if isinstance(invoice, str):
            invoice = self._call(self.client.v1.invoices.retrieve, invoice)
        if invoice.get("billing_reason") == "subscription_create":
            subscription, _ = subscription_of(invoice)
            return self.find_payment_ref(subscription_ref=subscription) if subscription else None
        return invoice["id"]

    def intent_of_charge(self, charge_ref: str) -> str | None:
        """Return the PaymentIntent of a charge (for a dispute that names only its charge)."""
        charge = self._call(self.client.v1.charges.retrieve, charge_ref)
        return ref_of(charge.get("payment_intent"))

    def refunds_of(self, money_ref: str) -> tuple[RefundRecord, ...]:
        """Return every refund of a PaymentIntent, all pages."""
        return tuple(refund_record(item) for item in
                     self._each(self.client.v1.refunds.list, {"payment_intent": money_ref, "limit": 100}))

    # -- webhooks ---------------------------------------------------------

    def parse_webhook(self, body: bytes, headers) -> ProviderEvent:
        """Verify the ``Stripe-Signature`` on the raw body, then read the event we act on."""
        try:
            stripe.WebhookSignature.verify_header(body.decode("utf-8"), headers.get("Stripe-Signature", ""),
                                                  self.webhook_secret, TOLERANCE_SECONDS)
            data = json.loads(body)
            obj = data["data"]["object"]
            event = read_event(data["id"], data["type"], obj)
        except stripe.SignatureVerificationError as exc:
            raise InvalidWebhook(f"bad signature: {exc.user_message or exc}") from None
        except (KeyError, TypeError, ValueError, UnicodeDecodeError, AttributeError):
            raise InvalidWebhook("unreadable event") from None
        if event.type == "charge.refunded" and event.money_ref:
            # The event gives the running total only: the refunds themselves come from the API, all pages.
            event = _with(event, refunds=self.refunds_of(event.money_ref))
        if event.dispute is not None and not event.money_ref and ref_of(obj.get("charge")):
            charge = obj.get("charge")
            intent = ref_of(charge.get("payment_intent")) if isinstance(charge, dict) \
                else self.intent_of_charge(charge)
            event = _with(event, money_ref=intent)
        return event

    # -- reconciliation -----------------------------------------------------

    def fetch_record(self, payment: Payment) -> ProviderRecord | None:
        """Return Stripe's account of a payment: what the session or invoice collected, refunds and disputes."""
        try:
            verdict = self.fetch_verdict(payment)
        except ProviderError as exc:
            if exc.gone:
                return None
            raise
        received = verdict.amount_idr or 0 if verdict.state == PaymentState.paid else 0
        intent = self._intent_of(payment) if verdict.state == PaymentState.paid else None
        refunds = self.refunds_of(intent) if intent else ()
        disputes = ()
        if intent:
            disputes = tuple(dispute_record(item) for item in
                             self._each(self.client.v1.disputes.list, {"payment_intent": intent, "limit": 100}))
        return ProviderRecord(
            payment_ref=payment.provider_ref, state=verdict.state, received_idr=received,
            refunded_idr=sum(r.amount_idr for r in refunds if r.status in ("pending", "succeeded")),
            disputed_idr=sum(d.withdrawn_idr for d in disputes), currency=verdict.currency or "",
            refunds=refunds, disputes=disputes, extra={"provider_amount": verdict.provider_amount})

    def list_records(self, *, since: dt.datetime | None = None) -> Iterator[ProviderRecord]:
        """Yield every paid Checkout Session and subscription invoice Stripe holds (since ``since``), all pages."""
        params = {"limit": 100}
        if since is not None:
            params["created"] = {"gte": int(since.replace(tzinfo=dt.UTC).timestamp())}
        for session in self._each(self.client.v1.checkout.sessions.list, dict(params)):
            if session.get("payment_status") != "paid":
                continue
            yield ProviderRecord(payment_ref=session["id"], state=PaymentState.paid,
                                 received_idr=from_stripe(session.get("amount_total"), session.get("currency")) or 0,
                                 currency=session.get("currency") or "", payment_id=payment_id_hint(session),
                                 created_at=_created(session))
        for invoice in self._each(self.client.v1.invoices.list, {**params, "status": "paid"}):
            if invoice.get("billing_reason") == "subscription_create":
                continue  # paid by its checkout session, listed above
            yield ProviderRecord(payment_ref=invoice["id"], state=PaymentState.paid,
                                 received_idr=from_stripe(invoice.get("amount_paid"), invoice.get("currency")) or 0,
                                 currency=invoice.get("currency") or "", created_at=_created(invoice))


def _created(obj) -> dt.datetime | None:
    created = obj.get("created")
    return dt.datetime.fromtimestamp(created, dt.UTC).replace(tzinfo=None) if created else None


def _with(event: ProviderEvent, **changes) -> ProviderEvent:
    return replace(event, **changes)
