"""Monthly sponsorships: start, fund each paid month, stop; by reminder, the link that pays the next month.

A provider that charges by itself (a card subscription) funds each month on
its own. With any other method the donor is reminded each month
(``services.donors.reminders``) and pays the next month of the same worker
from a signed link, by any enabled method, through the ordinary checkout.
"""

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext
from itsdangerous import BadSignature, URLSafeSerializer

from ...extensions import db
from ...models import (
    LIVE_SUBSCRIPTION_STATES,
    CampaignStatus,
    Donation,
    DonationKind,
    EndReason,
    Payment,
    PaymentState,
    Subscription,
    SubscriptionState,
    Worker,
)
from ...months import current_month
from ...payments import provider
from ...payments.base import ProviderError, Verdict
from ..coverage.rates import rates_for_months
from ..coverage.waitlist import is_fundable, last_live_month, next_fundable_month
from ..errors import DomainError
from .settlement import disagreement, flag_event, settle_payment


class SubscriptionUnavailable(DomainError):
    """The provider could not stop the subscription; nothing changed here (the message says what to do)."""

    default = lazy_gettext("The payment service did not answer, so your monthly sponsorship is not stopped yet. "
                           "Nothing more was changed; please try again in a few minutes.")


def subscription_for_payment(payment: Payment) -> Subscription | None:
    """Return the monthly sponsorship a payment belongs to (its first month or a later one)."""
    return db.session.scalar(sa.select(Subscription).where(Subscription.donation_id == payment.donation_id))


def find_subscription(provider_name: str, subscription_ref: str | None) -> Subscription | None:
    """Find a subscription by the provider's id we stored (metadata proves nothing)."""
    if not subscription_ref:
        return None
    return db.session.scalar(sa.select(Subscription).where(
        Subscription.provider == provider_name, Subscription.provider_ref == subscription_ref))


def activate_subscription(subscription: Subscription, subscription_ref: str | None) -> None:
    """Record the provider's id and mark the sponsorship running (unless the donor already stopped it)."""
    if subscription_ref and not subscription.provider_ref:
        subscription.provider_ref = subscription_ref
    if subscription.state == SubscriptionState.pending:
        subscription.state = SubscriptionState.active
    db.session.flush()


def fund_month(subscription: Subscription, verdict: Verdict, *, event_id: str | None = None,
               event_type: str = "", today: dt.date, now: dt.datetime) -> str:
    """Book one paid month of a subscription as its own gift, funding the worker's next month, once per invoice.

    The invoice must charge what the sponsorship costs, in rupiah; one that
    does not is flagged and books nothing. Money that arrives is always
    taken: if the campaign closed or the worker can no longer be funded, it
    waits in the pool (``fund_sponsorship`` decides).
    """
    first = subscription.donation
    payment = db.session.scalar(sa.select(Payment).where(
        Payment.provider == subscription.provider, Payment.provider_ref == verdict.payment_ref))
    if payment is None:
        expected = Payment(provider=subscription.provider, provider_ref=verdict.payment_ref,
                           amount_idr=subscription.amount_idr)
        problem = disagreement(expected, verdict)
        if problem is not None:
            flag_event(subscription.provider, problem=problem[0], detail=f"monthly sponsorship {subscription.id}: "
                       + problem[1], verdict=verdict, payment=_first_payment(subscription), event_id=event_id,
                       event_type=event_type, now=now)
            return "flagged"
        donation = Donation(
            campaign_id=first.campaign_id, kind=DonationKind.worker, designation=subscription.designation,
            amount_idr=subscription.amount_idr, worker_id=subscription.worker_id, months=1,
            donor_id=first.donor_id, donor_name=first.donor_name, donor_email=first.donor_email, npwp=first.npwp,
            is_anonymous=first.is_anonymous, message="", locale=first.locale, subscription_id=subscription.id,
        )
        db.session.add(donation)
        db.session.flush()
        payment = Payment(donation_id=donation.id, provider=subscription.provider, provider_ref=verdict.payment_ref,
                          amount_idr=subscription.amount_idr, state=PaymentState.pending)
        db.session.add(payment)
        db.session.flush()
    outcome = settle_payment(payment, verdict, event_id=event_id, event_type=event_type, today=today,
                             now=now)
    activate_subscription(subscription, None)
    return "month funded" if outcome in ("confirmed", "already paid") else outcome


def _first_payment(subscription: Subscription) -> Payment | None:
    return db.session.scalar(sa.select(Payment).where(Payment.donation_id == subscription.donation_id)
                             .order_by(Payment.id).limit(1))


def cancel_subscription(subscription: Subscription, *, now: dt.datetime) -> None:
    """Stop a monthly sponsorship at the provider and here, as the donor asked; months already paid stay funded."""
    if subscription.state not in LIVE_SUBSCRIPTION_STATES:
        return
    if subscription.provider_ref:
        try:
            provider(subscription.provider).cancel_subscription(subscription.provider_ref)
        except ProviderError as exc:
            current_app.logger.warning("%s could not cancel subscription %s (request %s): %s",
                                       subscription.provider, subscription.provider_ref, exc.request_id, exc.detail)
            # One the provider no longer has charges nothing more: stopping it here is all that is left.
            if not exc.gone:
                raise SubscriptionUnavailable() from exc
    end_subscription(subscription, reason=EndReason.donor, now=now)


def end_subscription(subscription: Subscription, *, reason: EndReason = EndReason.provider,
                     now: dt.datetime) -> bool:
    """Mark a running sponsorship stopped for ``reason``; return whether this call stopped it.

    Stopped by the donor or the provider it is *cancelled*; stopped by us
    (reminders unanswered, the worker no longer fundable) it is *ended*. The
    conditional update makes concurrent callers stop it (and mail about it) once.
    """
    state = SubscriptionState.cancelled if reason in (EndReason.donor, EndReason.provider) \
        else SubscriptionState.ended
    stopped = db.session.execute(
        sa.update(Subscription)
        .where(Subscription.id == subscription.id, Subscription.state.in_(LIVE_SUBSCRIPTION_STATES))
        .values(state=state, end_reason=reason, cancelled_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(subscription)
    return bool(stopped)


def _links() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="monthly-sponsorship")


def sponsorship_token(subscription: Subscription) -> str:
    """Return the signed token of a sponsorship's own link (in every reminder): it opens without a login."""
    return _links().dumps(subscription.id)


def subscription_for_token(token: str) -> Subscription | None:
    """Return the sponsorship a link's token names; ``None`` for a forged or unknown one."""
    try:
        subscription_id = _links().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    return db.session.get(Subscription, subscription_id) if isinstance(subscription_id, int) else None


@dataclass(frozen=True)
class MonthlyOffer:
    """What a sponsorship's link offers today."""

    subscription: Subscription
    worker: Worker
    #: "due": a month to pay; "covered": the worker is covered this month already (by other gifts);
    #: "unavailable": the worker can no longer be funded; "ended": the sponsorship stopped;
    #: "starting": its first month is not paid yet.
    state: str
    #: The worker's month a payment now would fund: the next one after their cover.
    month: int | None = None
    amount_idr: int | None = None
    #: The worker's last covered month, when there is one.
    covered_until: int | None = None


def worker_fundable(subscription: Subscription) -> bool:
    """Return whether the sponsorship's money may still fund its worker (campaign open, worker eligible)."""
    worker = subscription.worker
    return worker.campaign.status == CampaignStatus.open and is_fundable(
        worker, subscription.designation, worker.campaign)


def monthly_offer(subscription: Subscription, *, today: dt.date) -> MonthlyOffer:
    """Return what paying from the sponsorship's link would do today: the month, its premium, or why not.

    The month is always the next consecutive one of the worker's cover (as
    ``fund_sponsorship`` funds it); a worker covered this month already by
    other gifts is not funded again, so the donor is offered the pool or
    another worker instead.
    """
    worker = subscription.worker
    last = last_live_month(worker.id)
    if subscription.state not in LIVE_SUBSCRIPTION_STATES:
        return MonthlyOffer(subscription, worker, "ended", covered_until=last)
    if subscription.state == SubscriptionState.pending:
        return MonthlyOffer(subscription, worker, "starting", covered_until=last)
    if not worker_fundable(subscription):
        return MonthlyOffer(subscription, worker, "unavailable", covered_until=last)
    month = current_month(today)
    start = next_fundable_month(worker.id, month)
    if start > month:
        return MonthlyOffer(subscription, worker, "covered", covered_until=last)
    premium = rates_for_months(start, start)[start].premium(worker.monthly_income_idr, jht=worker.campaign.includes_jht)
    return MonthlyOffer(subscription, worker, "due", month=start, amount_idr=premium, covered_until=last)
