"""Payment providers behind one interface, chosen by the ``PAYMENT_PROVIDER`` setting."""

from flask import current_app

from .base import InvalidWebhook, PaymentProvider, ProviderEvent
from .sandbox import SandboxProvider
from .stripe import StripeProvider

PROVIDERS: dict[str, type[PaymentProvider]] = {"sandbox": SandboxProvider, "stripe": StripeProvider}


def init_app(app) -> None:
    """Build the configured provider once per app."""
    name = app.config["PAYMENT_PROVIDER"]
    if name not in PROVIDERS:
        raise RuntimeError(f"unknown payment provider {name!r}; choose one of {', '.join(PROVIDERS)}")
    app.extensions["donate_payments"] = {name: PROVIDERS[name](app)}


def provider(name: str | None = None) -> PaymentProvider:
    """Return the configured provider (or the one named, if it is configured)."""
    providers = current_app.extensions["donate_payments"]
    return providers[name or current_app.config["PAYMENT_PROVIDER"]]


__all__ = ["InvalidWebhook", "PaymentProvider", "ProviderEvent", "init_app", "provider"]
