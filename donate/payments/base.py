"""The payment provider interface: a handful of hooks every provider implements.

A provider only talks to its service and translates what it says into the
neutral terms below (:class:`Verdict`, :class:`ProviderEvent`,
:class:`ProviderRecord`). It never changes a payment's state or books money:
``services.money.settlement.settle_payment`` does that, for every provider.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..models import Payment, PaymentState, Refund


#: Every way a donor can pay, in the order the gift forms offer them (QRIS first: most Indonesians pay so).
METHODS = ("qris", "gopay", "shopeepay", "bca_va", "bni_va", "bri_va", "mandiri_va", "permata_va", "card",
           "bank_transfer")
#: Methods whose payment stays open for hours (the donor pays at an ATM or in a banking app).
VIRTUAL_ACCOUNTS = ("bca_va", "bni_va", "bri_va", "mandiri_va", "permata_va")


class InvalidWebhook(ValueError):
    """A webhook whose signature, timestamp or body cannot be trusted."""


class ProviderError(Exception):
    """The provider refused a request or could not be reached; nothing was done there.

    ``request_id`` is the provider's id of the failed request (for its
    support and our logs); ``retryable`` says whether trying again later may
    work (a network error, the provider down) as opposed to a refusal.
    """

    def __init__(self, detail: str, *, request_id: str | None = None, retryable: bool = False,
                 gone: bool = False):
        super().__init__(detail)
        self.detail = detail
        self.request_id = request_id
        self.retryable = retryable
        #: The object asked about does not exist at the provider (any more).
        self.gone = gone


@dataclass(frozen=True)
class Verdict:
    """What the provider says of one payment's money: its state, amount and currency."""

    #: paid / pending / failed / expired, or ``None`` if the provider says nothing settling.
    state: PaymentState | None
    #: Rupiah the provider reports (whole rupiah; ``None`` if not in IDR or not reported).
    amount_idr: int | None = None
    #: Lower-case ISO code of the money the provider reports.
    currency: str | None = "idr"
    #: The provider reference the verdict carries (``Payment.provider_ref``), checked against ours.
    payment_ref: str | None = None
    #: The provider's figure as it gave it (e.g. "10000 usd"), shown to a manager when it disagrees.
    provider_amount: str = ""
    #: The provider's id of the money movement (Stripe: the PaymentIntent), kept for refunds and look-ups.
    money_ref: str | None = None


@dataclass(frozen=True)
class ProviderEvent:
    """What a verified webhook says, in the provider's neutral terms."""

    #: The provider's event id; each is handled once.
    id: str
    type: str
    #: The provider's reference of the payment concerned (``Payment.provider_ref``).
    payment_ref: str | None
    #: The state the provider says the payment is in, if the event settles it.
    state: PaymentState | None = None
    #: Rupiah the provider reports as received (``None`` when the currency is not IDR).
    amount_idr: int | None = None
    #: Lower-case ISO code of the money reported.
    currency: str | None = "idr"
    #: The provider's figure as it gave it, for a manager when it disagrees with ours.
    provider_amount: str = ""
    #: The provider's id of the money movement (Stripe: the PaymentIntent).
    money_ref: str | None = None
    #: Our ``Payment.id`` as the provider echoes it back (metadata): a hint, never proof.
    payment_id: int | None = None
    #: Rupiah refunded so far in total (refund events carry the running total, so repeats are harmless).
    refunded_idr: int | None = None
    #: One refund the event is about (``refund.*`` events and each refund of a ``charge.refunded``).
    refunds: tuple["RefundRecord", ...] = ()
    #: The provider's subscription id, for subscription events.
    subscription_ref: str | None = None
    #: For a subscription's invoice: whether it is the first one (paid by the checkout itself).
    first_invoice: bool = False
    #: The provider ended the subscription ``subscription_ref``.
    subscription_ended: bool = False
    #: A dispute (chargeback) the event is about, with what it did to the money.
    dispute: "DisputeRecord | None" = None
    #: For a closed dispute: ``True`` if we won it (the money comes back), ``False`` if lost.
    dispute_won: bool | None = None
    #: The object the event is about, in the provider's words, stored when the event is flagged.
    summary: str = ""

    def verdict(self) -> Verdict:
        """Return what this event says of its payment's money."""
        return Verdict(state=self.state, amount_idr=self.amount_idr, currency=self.currency,
                       payment_ref=self.payment_ref, provider_amount=self.provider_amount,
                       money_ref=self.money_ref)


@dataclass(frozen=True)
class RefundRecord:
    """One refund as the provider holds it."""

    #: The provider's refund id.
    ref: str
    amount_idr: int
    #: "pending", "succeeded", "failed" or "canceled" (a failed or canceled refund gave nothing back).
    status: str
    #: Our ``Refund.id`` echoed back in metadata, when the refund was asked for by us.
    refund_id: int | None = None


@dataclass(frozen=True)
class DisputeRecord:
    """One dispute (chargeback or inquiry) as the provider holds it."""

    #: The provider's dispute id.
    ref: str
    amount_idr: int
    #: The provider's status ("warning_needs_response", "needs_response", "won", "lost", ...).
    status: str
    #: An inquiry: no money moves unless it becomes a real dispute.
    inquiry: bool = False
    #: Rupiah the provider took out of our balance for this dispute (withdrawn minus reinstated).
    withdrawn_idr: int = 0
    #: How many balance movements the provider reported with it: a record with fewer is older news.
    transactions: int = 0


@dataclass(frozen=True)
class ProviderRecord:
    """The provider's own account of one payment, for reconciliation."""

    #: Our ``Payment.provider_ref`` (checkout session, invoice, order id).
    payment_ref: str
    #: What the provider says of the payment (paid, pending, failed, expired).
    state: PaymentState | None
    #: Rupiah the provider collected (0 if nothing was).
    received_idr: int = 0
    #: Rupiah the provider gave back through refunds that succeeded (or are pending).
    refunded_idr: int = 0
    #: Rupiah the provider took back through disputes, net of what it reinstated.
    disputed_idr: int = 0
    currency: str = "idr"
    refunds: tuple[RefundRecord, ...] = ()
    disputes: tuple[DisputeRecord, ...] = ()
    #: When the provider created it (naive UTC), for ``--since``.
    created_at: dt.datetime | None = None
    #: Our ``Payment.id`` if the provider echoes it back, to name a record we hold no reference for.
    payment_id: int | None = None
    extra: dict = field(default_factory=dict)


class PaymentProvider:
    """Base class; one subclass per provider, chosen by settings."""

    #: Stored in ``Payment.provider``.
    name: str = ""
    #: Whether the provider can charge a monthly sponsorship by itself.
    supports_subscriptions: bool = False
    #: The ``METHODS`` it takes.
    methods: tuple[str, ...] = ()

    def __init__(self, app):
        self.app = app

    def payable_minutes(self, method: str) -> int:
        """Return how long a payment by ``method`` can still be paid once started (the hold lasts as long)."""
        if method in VIRTUAL_ACCOUNTS:
            return int(self.app.config["VA_HOURS"]) * 60
        return int(self.app.config["HOLD_MINUTES"])

    def create_checkout(self, payment: Payment, *, success_url: str, cancel_url: str) -> str:
        """Open a checkout for ``payment``, set its ``provider_ref`` and return the URL to send the donor to.

        Raise :class:`ProviderError` if the provider refuses; never change ``payment.state``.
        """
        raise NotImplementedError

    def create_subscription_checkout(self, payment: Payment, *, success_url: str, cancel_url: str) -> str:
        """Open a checkout that starts a monthly subscription whose first month is ``payment``."""
        raise NotImplementedError

    def cancel_subscription(self, subscription_ref: str) -> None:
        """Stop a subscription at the provider (:class:`ProviderError` with ``gone`` if it has none)."""
        raise NotImplementedError

    def parse_webhook(self, body: bytes, headers) -> ProviderEvent:
        """Verify a webhook on its raw body and return what it says, or raise :class:`InvalidWebhook`."""
        raise NotImplementedError

    def fetch_verdict(self, payment: Payment) -> Verdict:
        """Ask the provider what it says of the payment now (state, amount, currency)."""
        raise NotImplementedError

    def can_refund(self, payment: Payment) -> bool:
        """Return whether the provider can send this payment's money back (else a manager transfers it by hand)."""
        return True

    def refund(self, refund: Refund) -> RefundRecord:
        """Give ``refund.amount_idr`` of ``refund.payment`` back to the donor and return the provider's record.

        Send ``refund.idempotency_key`` (and ``refund.id`` where the provider
        echoes metadata): the same row sent twice never refunds twice.
        """
        raise NotImplementedError

    def find_payment_ref(self, *, money_ref: str | None = None, subscription_ref: str | None = None) -> str | None:
        """Return the ``Payment.provider_ref`` behind a money movement or a subscription's first month, if any.

        Events about charges (refunds, disputes) name the money movement, not
        the checkout; a provider whose checkouts are their own money
        movement has nothing to look up.
        """
        return None

    def fetch_record(self, payment: Payment) -> ProviderRecord | None:
        """Return the provider's own record of ``payment`` (``None`` if it has none), for reconciliation."""
        raise NotImplementedError

    def list_records(self, *, since: dt.datetime | None = None) -> Iterable[ProviderRecord]:
        """Yield every payment record the provider holds (created since ``since``), page by page.

        Reconciliation uses it to find money the provider collected for a
        reference we do not hold.
        """
        raise NotImplementedError

    def pay_details(self, payment: Payment) -> dict:
        """Return what the donor still has to do for a pending payment (``va_number``, ``qr_string``, ``bank``)."""
        return {}
