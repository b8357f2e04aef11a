"""The sandbox provider's checkout page: a test QR code, virtual account or card to pay, fail or cancel."""

import segno
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from ..extensions import db
from ..models import Payment, PaymentState
from ..payments import provider
from ..payments.sandbox import OUTCOMES
from ..security import safe_next
from .webhooks import receive

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox")


def _payment(ref: str) -> Payment:
    payment = db.session.scalar(sa.select(Payment).where(Payment.provider == "sandbox", Payment.provider_ref == ref))
    if payment is None:
        abort(404)
    return payment


@bp.get("/checkout/<ref>")
def checkout(ref):
    """Show the test checkout for a payment."""
    payment = _payment(ref)
    details = provider("sandbox").pay_details(payment)
    qr = (Markup(segno.make(details["qr_string"], error="m").svg_inline(scale=4, title=_("QRIS code")))
          if details.get("qr_string") else None)
    return render_template("sandbox/checkout.html", payment=payment, details=details, qr=qr,
                           settled=payment.state not in (PaymentState.created, PaymentState.pending))


@bp.post("/checkout/<ref>")
def decide(ref):
    """Send the chosen outcome as a signed event through the webhook path."""
    payment = _payment(ref)
    outcome = request.form.get("outcome")
    if outcome not in OUTCOMES:
        abort(400)
    body, headers = provider("sandbox").event_for(payment, outcome)
    receive("sandbox", body, headers)
    campaign_url = url_for("public.campaign", slug=payment.donation.campaign.slug)
    if outcome == "pay":
        flash(_("Test payment received. Thank you!"))
        return redirect(safe_next(campaign_url))
    flash(_("The test payment did not go through; nothing was charged."))
    return redirect(safe_next(campaign_url, "cancel"))
