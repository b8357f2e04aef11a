"""Read Stripe's webhook events (API version of the pinned ``stripe`` package) as neutral provider events.

Only what the event itself carries is read here; look-ups that need the API
(which payment a charge belongs to) go through :class:`StripeProvider`.
"""

from ..models import PaymentState
from .base import DisputeRecord, ProviderEvent, RefundRecord

#: Dispute statuses of an inquiry (a "retrieval request"): no money moves.
INQUIRY_STATUSES = {"warning_needs_response", "warning_under_review", "warning_closed"}
CHECKOUT_STATES = {
    "checkout.session.async_payment_failed": PaymentState.failed,
    "checkout.session.expired": PaymentState.expired,
}


def to_stripe(amount_idr: int) -> int:
    """Return whole rupiah in Stripe's two-decimal IDR units."""
    return int(amount_idr) * 100


def from_stripe(amount: int | None, currency: str | None = "idr") -> int | None:
    """Return Stripe's two-decimal IDR units as whole rupiah (``None`` for another currency or no amount)."""
    if amount is None or (currency or "").lower() != "idr":
        return None
    return int(amount) // 100


def figure(amount, currency) -> str:
    """Return the provider's own figure as text, for a manager."""
    return f"{amount} {currency or '?'}"


def payment_id_hint(obj: dict) -> int | None:
    """Read our payment id from an object's metadata or ``client_reference_id`` (a hint, never proof)."""
    raw = (obj.get("metadata") or {}).get("payment_id") or obj.get("client_reference_id")
    return int(raw) if raw and str(raw).isdigit() else None


def ref_of(value) -> str | None:
    """Return the id of an expandable field, expanded or not."""
    if isinstance(value, dict):
        return value.get("id")
    return value or None


def subscription_of(invoice: dict) -> tuple[str | None, dict]:
    """Return an invoice's subscription id and metadata, in old and new API shapes alike."""
    details = ((invoice.get("parent") or {}).get("subscription_details") or {})
    ref = ref_of(details.get("subscription") or invoice.get("subscription"))
    metadata = details.get("metadata") or (invoice.get("subscription_details") or {}).get("metadata") or {}
    return ref, metadata


def refund_record(refund: dict) -> RefundRecord:
    """Return one Stripe refund as a neutral record."""
    metadata = refund.get("metadata") or {}
    raw_id = metadata.get("refund_id")
    status = refund.get("status") or "pending"
    if status == "requires_action":
        status = "pending"
    return RefundRecord(ref=refund["id"], amount_idr=from_stripe(refund.get("amount"), refund.get("currency")) or 0,
                        status=status, refund_id=int(raw_id) if raw_id and str(raw_id).isdigit() else None)


def dispute_record(dispute: dict) -> DisputeRecord:
    """Return one Stripe dispute as a neutral record; what it withdrew comes from its balance transactions."""
    transactions = dispute.get("balance_transactions") or []
    withdrawn = -sum(int(tx.get("amount") or 0) for tx in transactions
                     if (tx.get("currency") or "idr").lower() == "idr")
    status = dispute.get("status") or ""
    return DisputeRecord(ref=dispute["id"], amount_idr=from_stripe(dispute.get("amount"), dispute.get("currency")) or 0,
                         status=status, inquiry=status in INQUIRY_STATUSES,
                         withdrawn_idr=max(withdrawn, 0) // 100, transactions=len(transactions))


def read_event(event_id: str, kind: str, obj: dict) -> ProviderEvent:
    """Translate one Stripe event into the neutral :class:`ProviderEvent` (references not yet resolved)."""
    base = {"id": event_id, "type": kind}
    if kind.startswith("checkout.session."):
        state = CHECKOUT_STATES.get(kind)
        if kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
            # A completed session with a delayed method (bank transfer) is not paid yet.
            state = PaymentState.paid if obj.get("payment_status") == "paid" else None
        return ProviderEvent(**base, payment_ref=obj.get("id"), state=state,
                             amount_idr=from_stripe(obj.get("amount_total"), obj.get("currency")),
                             currency=(obj.get("currency") or "").lower() or None,
                             provider_amount=figure(obj.get("amount_total"), obj.get("currency")),
                             money_ref=ref_of(obj.get("payment_intent")), payment_id=payment_id_hint(obj),
                             subscription_ref=ref_of(obj.get("subscription")),
                             first_invoice=obj.get("mode") == "subscription",
                             summary=f"checkout session {obj.get('id')}")
    if kind == "invoice.paid":
        subscription_ref, metadata = subscription_of(obj)
        if subscription_ref is None:
            return ProviderEvent(**base, payment_ref=None)
        first = obj.get("billing_reason") == "subscription_create"
        return ProviderEvent(**base, payment_ref=None if first else obj.get("id"), state=PaymentState.paid,
                             amount_idr=from_stripe(obj.get("amount_paid"), obj.get("currency")),
                             currency=(obj.get("currency") or "").lower() or None,
                             provider_amount=figure(obj.get("amount_paid"), obj.get("currency")),
                             payment_id=payment_id_hint({"metadata": metadata}),
                             subscription_ref=subscription_ref, first_invoice=first,
                             summary=f"invoice {obj.get('id')}")
    if kind == "customer.subscription.deleted":
        return ProviderEvent(**base, payment_ref=None, subscription_ref=obj.get("id"),
                             payment_id=payment_id_hint(obj), subscription_ended=True)
    if kind == "charge.refunded":
        return ProviderEvent(**base, payment_ref=None, state=PaymentState.refunded,
                             money_ref=ref_of(obj.get("payment_intent")),
                             refunded_idr=from_stripe(obj.get("amount_refunded"), obj.get("currency")),
                             summary=f"charge {obj.get('id')}")
    if kind in ("refund.created", "refund.updated", "refund.failed"):
        return ProviderEvent(**base, payment_ref=None, state=PaymentState.refunded,
                             money_ref=ref_of(obj.get("payment_intent")), refunds=(refund_record(obj),),
                             summary=f"refund {obj.get('id')} of charge {ref_of(obj.get('charge'))}")
    if kind.startswith("charge.dispute."):
        closed = {"dispute_won": obj.get("status") == "won"} \
            if kind == "charge.dispute.closed" and obj.get("status") in ("won", "lost") else {}
        return ProviderEvent(**base, payment_ref=None, state=PaymentState.disputed,
                             money_ref=ref_of(obj.get("payment_intent")), dispute=dispute_record(obj),
                             summary=f"dispute {obj.get('id')} of charge {ref_of(obj.get('charge'))}", **closed)
    return ProviderEvent(**base, payment_ref=None)
