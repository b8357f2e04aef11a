"""Payment providers behind one interface; several can be enabled at once (the ``PAYMENT_PROVIDER`` setting).

Each payment records its provider and the method the donor chose. A method
goes to the first enabled provider that offers it, in the setting's order.
"""

from flask import current_app

from .bank_transfer import BankTransferProvider
from .base import METHODS, InvalidWebhook, PaymentProvider, ProviderEvent
from .midtrans import MidtransProvider
from .sandbox import SandboxProvider
from .stripe import StripeProvider

PROVIDERS: dict[str, type[PaymentProvider]] = {
    "sandbox": SandboxProvider, "stripe": StripeProvider, "midtrans": MidtransProvider,
    "bank_transfer": BankTransferProvider,
}


def enabled_names(config) -> list[str]:
    """Return the providers the settings enable, the default first.

    ``PAYMENT_PROVIDER`` lists them ("midtrans,bank_transfer"); left empty, a
    Stripe or Midtrans key enables that provider, a bank account enables bank
    transfer, and with no online provider the sandbox stands in (it refuses
    to run in production).
    """
    listed = [name.strip() for name in str(config.get("PAYMENT_PROVIDER") or "").split(",") if name.strip()]
    if listed:
        return listed
    names = [name for name, key in (("stripe", "STRIPE_SECRET_KEY"), ("midtrans", "MIDTRANS_SERVER_KEY"))
             if config.get(key)]
    if not names:
        names = ["sandbox"]
    if config.get("BANK_ACCOUNT_NUMBER"):
        names.append("bank_transfer")
    return names


def init_app(app) -> None:
    """Build each enabled provider once per app."""
    names = enabled_names(app.config)
    unknown = [name for name in names if name not in PROVIDERS]
    if unknown:
        raise RuntimeError(f"unknown payment provider {unknown[0]!r}; choose from {', '.join(PROVIDERS)}")
    app.extensions["donate_payments"] = {name: PROVIDERS[name](app) for name in names}


def provider(name: str | None = None) -> PaymentProvider:
    """Return the named provider if it is enabled (``KeyError`` if not), else the default one."""
    providers = current_app.extensions["donate_payments"]
    return providers[name] if name else next(iter(providers.values()))


def enabled_methods() -> list[tuple[str, PaymentProvider]]:
    """Return (method, provider) for every method some enabled provider offers, in ``METHODS`` order (QRIS first)."""
    providers = list(current_app.extensions["donate_payments"].values())
    offered = []
    for method in METHODS:
        chosen = next((p for p in providers if method in p.methods), None)
        if chosen is not None:
            offered.append((method, chosen))
    return offered


def provider_for(method: str) -> PaymentProvider:
    """Return the enabled provider that takes ``method``, or raise ``KeyError``."""
    for offered, chosen in enabled_methods():
        if offered == method:
            return chosen
    raise KeyError(method)


__all__ = ["METHODS", "InvalidWebhook", "PaymentProvider", "ProviderEvent", "enabled_methods", "init_app",
           "provider", "provider_for"]
