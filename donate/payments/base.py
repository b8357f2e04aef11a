"""The payment provider interface: a handful of hooks every provider implements."""

from dataclasses import dataclass

from ..models import Payment, PaymentState


class InvalidWebhook(ValueError):
    """A webhook whose signature, timestamp or body cannot be trusted."""


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
    #: Rupiah the provider reports as received.
    amount_idr: int | None = None
    #: Our ``Payment.id`` as the provider echoes it back (metadata), for events that arrive before we know its reference.
    payment_id: int | None = None
    #: Rupiah refunded so far in total (refund events carry the running total, so repeats are harmless).
    refunded_idr: int | None = None
    #: The provider's subscription id, for subscription events.
    subscription_ref: str | None = None
    #: For a subscription's invoice: whether it is the first one (paid by the checkout itself).
    first_invoice: bool = False
    #: The provider ended the subscription ``subscription_ref``.
    subscription_ended: bool = False
    #: For a closed dispute: ``True`` if we won it (the money comes back), ``False`` if lost.
    dispute_won: bool | None = None


class PaymentProvider:
    """Base class; one subclass per provider, chosen by settings."""

    #: Stored in ``Payment.provider``.
    name: str = ""
    #: Whether the provider can charge a monthly sponsorship by itself.
    supports_subscriptions: bool = False

    def __init__(self, app):
        self.app = app

    def create_checkout(self, payment: Payment, *, success_url: str, cancel_url: str) -> str:
        """Open a checkout for ``payment``, set its ``provider_ref`` and return the URL to send the donor to."""
        raise NotImplementedError

    def create_subscription_checkout(self, payment: Payment, *, success_url: str, cancel_url: str) -> str:
        """Open a checkout that starts a monthly subscription whose first month is ``payment``."""
        raise NotImplementedError

    def cancel_subscription(self, subscription_ref: str) -> None:
        """Stop a subscription at the provider."""
        raise NotImplementedError

    def parse_webhook(self, body: bytes, headers) -> ProviderEvent:
        """Verify a webhook on its raw body and return what it says, or raise :class:`InvalidWebhook`."""
        raise NotImplementedError

    def fetch_state(self, payment: Payment) -> PaymentState:
        """Ask the provider for the payment's authoritative state."""
        raise NotImplementedError

    def refund(self, payment: Payment, amount_idr: int) -> None:
        """Return ``amount_idr`` of ``payment`` to the donor through the provider."""
        raise NotImplementedError
