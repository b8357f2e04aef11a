"""Start a donor's gift at the payment provider and settle it from what the provider says.

Views call these; the provider is reached only through ``donate.payments``.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext

from ...extensions import db
from ...models import (
    Campaign,
    Designation,
    Donation,
    DonationKind,
    Payment,
    PaymentState,
    Subscription,
    Worker,
)
from ...months import current_month
from ...payments import PaymentProvider, enabled_methods, provider, provider_for
from ...payments.base import ProviderError
from ..coverage.holds import WorkerUnavailable, hold_worker
from ..coverage.rates import base_premium, rates_for_months
from ..coverage.waitlist import is_fundable, next_fundable_month, waiting, waiting_count
from ..errors import Rupiah
from .donations import (
    SPONSOR_MONTHS,
    DonationRefused,
    PaymentUnavailable,
    create_donation,
    start_payment,
    transition,
)
from .receipts import issue_receipt
from .settlement import settle_payment
from .subscriptions import monthly_offer
from .transfers import open_transfer

#: The smallest free amount for the pool: most of one worker-month.
MIN_POOL_GIFT_IDR = 10_000
#: The largest single online gift; bigger ones go by bank transfer, recorded by a manager.
MAX_GIFT_IDR = 5_000_000_000

#: ``urls(payment) -> (success_url, cancel_url)``
UrlMaker = Callable[[Payment], tuple[str, str]]


@dataclass(frozen=True)
class Donor:
    """Who gives: an account, or a name and email given at checkout."""

    name: str = ""
    email: str | None = None
    user_id: int | None = None
    npwp: str | None = None
    is_anonymous: bool = False
    message: str = ""
    #: Interface language the donor gave in; their receipt and updates use it.
    locale: str = "id"


def sponsorship_quote(worker: Worker, months: int, *, today: dt.date) -> tuple[int, int]:
    """Return (first month, price) of ``months`` months for a named worker."""
    start = next_fundable_month(worker.id, current_month(today))
    rates = rates_for_months(start, start + months - 1)
    jht = worker.campaign.includes_jht
    return start, sum(rates[m].premium(worker.monthly_income_idr, jht=jht) for m in range(start, start + months))


@dataclass(frozen=True)
class SponsorshipOffer:
    """What a donor may give for one named worker."""

    #: The campaign's designations whose money may fund the worker (zakat only for mustahik).
    designations: list[Designation]
    #: The first month a sponsorship would buy.
    first_month: int
    #: The price of each term a sponsorship may take, by months.
    prices: dict[int, int]


def sponsorship_offer(campaign: Campaign, worker: Worker, *, today: dt.date) -> SponsorshipOffer:
    """Return the designations that may fund ``worker`` and the price of each sponsorship term, in one look-up."""
    start = next_fundable_month(worker.id, current_month(today))
    rates = rates_for_months(start, start + max(SPONSOR_MONTHS) - 1)
    premiums = [rates[m].premium(worker.monthly_income_idr, jht=campaign.includes_jht)
                for m in range(start, start + max(SPONSOR_MONTHS))]
    return SponsorshipOffer(
        designations=[d for d in campaign.designations if is_fundable(worker, d, campaign)],
        first_month=start, prices={months: sum(premiums[:months]) for months in SPONSOR_MONTHS})


def bulk_quote(workers: int, months: int, *, today: dt.date, jht: bool = False) -> int:
    """Return the price of ``workers`` × ``months`` at the base premium (declared income at the minimum)."""
    month = current_month(today)
    rates = rates_for_months(month, month + months - 1)
    return workers * sum(rates[m].premium(rates[m].min_income_idr, jht=jht) for m in range(month, month + months))


def pool_presets(campaign: Campaign, *, today: dt.date) -> list[tuple[int, int, int]]:
    """Return suggested pool gifts as (workers, months, amount)."""
    term = campaign.term_months
    jht = campaign.includes_jht
    return [(1, 1, base_premium(current_month(today), jht=jht)), (1, term, bulk_quote(1, term, today=today, jht=jht)),
            (1, 12, bulk_quote(1, 12, today=today, jht=jht)), (5, term, bulk_quote(5, term, today=today, jht=jht))]


def choose_method(method: str | None) -> tuple[str, PaymentProvider]:
    """Return the method asked for and the enabled provider that takes it (the first offered if none asked)."""
    offered = enabled_methods()
    if method is None:
        default = provider()
        method = next((m for m, p in offered if p is default), offered[0][0])
    try:
        return method, provider_for(method)
    except KeyError:
        raise DonationRefused(lazy_gettext("paying by %(method)s is not available here"), method=method) from None


def _checkout(donation: Donation, urls: UrlMaker, method: str | None, *, subscription: bool = False,
              now: dt.datetime) -> tuple[Payment, str]:
    """Open the payment for a stored gift with the chosen method; return it with the URL to send the donor to.

    A monthly sponsorship with a provider that charges by itself starts a
    subscription there; with any other method the first month is paid now
    and each next month after a reminder.
    """
    method, gateway = choose_method(method)
    minutes = gateway.payable_minutes(method)
    payment = start_payment(donation, gateway.name)
    payment.method = method
    payment.expires_at = now + dt.timedelta(minutes=minutes)
    if method == "bank_transfer":
        open_transfer(payment, minutes=minutes, now=now)
    success, cancel = urls(payment)
    charged = subscription and gateway.supports_subscriptions
    if subscription:
        db.session.add(Subscription(donation_id=donation.id, worker_id=donation.worker_id,
                                    donor_id=donation.donor_id, provider=gateway.name, by_reminder=not charged,
                                    designation=donation.designation, amount_idr=donation.amount_idr))
        db.session.flush()
    start = gateway.create_subscription_checkout if charged else gateway.create_checkout
    try:
        url = start(payment, success_url=success, cancel_url=cancel)
    except ProviderError as exc:
        # The caller rolls back: no gift, payment or hold is left behind for a checkout that never opened.
        current_app.logger.warning("%s refused to open a checkout for payment %s (request %s): %s",
                                   gateway.name, payment.id, exc.request_id, exc.detail)
        raise PaymentUnavailable(retryable=exc.retryable) from exc
    transition(payment, PaymentState.pending)
    return payment, url


def _gift(campaign: Campaign, donor: Donor, **fields) -> Donation:
    return create_donation(campaign, donor_id=donor.user_id, donor_name=donor.name, donor_email=donor.email,
                           npwp=(donor.npwp or "").strip() or None, is_anonymous=donor.is_anonymous,
                           message=donor.message, locale=donor.locale, **fields)


def sponsor_worker(campaign: Campaign, worker: Worker, months: int | str, designation: Designation,
                   donor: Donor, urls: UrlMaker, *, method: str | None = None, today: dt.date,
                   now: dt.datetime) -> tuple[Payment, str]:
    """Hold a named worker and open the checkout for ``months`` months of cover (or "monthly").

    "monthly" funds one month at a time: charged by the provider where it can
    (a card subscription), else paid now by any method and each next month
    from a reminder's link (:func:`pay_sponsorship_month`).
    The hold lasts as long as the chosen method's payment can still be paid.
    """
    monthly = months == "monthly"
    method, gateway = choose_method(method)
    count = 1 if monthly else int(months)
    if count not in SPONSOR_MONTHS:
        raise DonationRefused(lazy_gettext("a sponsorship is for 1, 3, 6 or 12 months"))
    if not worker.public_profile or not is_fundable(worker, designation, campaign):
        raise WorkerUnavailable(lazy_gettext("this worker cannot be funded with this kind of gift"))
    _, price = sponsorship_quote(worker, count, today=today)
    donation = _gift(campaign, donor, kind=DonationKind.worker, designation=designation, amount_idr=price,
                     worker=worker, months=count)
    hold_worker(donation, now=now, today=today, minutes=gateway.payable_minutes(method))
    return _checkout(donation, urls, method, subscription=monthly, now=now)


def pay_sponsorship_month(subscription: Subscription, urls: UrlMaker, *, method: str | None = None,
                          today: dt.date, now: dt.datetime) -> tuple[Payment, str]:
    """Open the checkout, by any enabled method, for the next month of a sponsorship by reminder's worker.

    The gift is one month for the same worker, the same kind of gift and the
    same donor as the first one; once paid it funds the worker's next
    consecutive month through the ordinary settlement. A worker covered this
    month already, or no longer fundable, is refused (the link's page offers
    the pool or another worker instead).
    """
    offer = monthly_offer(subscription, today=today)
    if offer.state != "due":
        raise DonationRefused(MONTHLY_REFUSALS[offer.state], worker=offer.worker.display_name)
    method, gateway = choose_method(method)
    first = subscription.donation
    donor = Donor(name=first.donor_name, email=first.donor_email, user_id=first.donor_id, npwp=first.npwp,
                  is_anonymous=first.is_anonymous, locale=first.locale)
    donation = _gift(first.campaign, donor, kind=DonationKind.worker, designation=subscription.designation,
                     amount_idr=offer.amount_idr, worker=offer.worker, months=1)
    donation.subscription_id = subscription.id
    db.session.flush()
    hold_worker(donation, now=now, today=today, minutes=gateway.payable_minutes(method))
    return _checkout(donation, urls, method, now=now)


#: Why a sponsorship's link cannot take a payment now, by :class:`MonthlyOffer` state.
MONTHLY_REFUSALS = {
    "covered": lazy_gettext("%(worker)s is already covered this month by other gifts; nothing is due now"),
    "unavailable": lazy_gettext("%(worker)s can no longer be sponsored"),
    "ended": lazy_gettext("this monthly sponsorship of %(worker)s has ended"),
    "starting": lazy_gettext("the first month of this sponsorship of %(worker)s is not paid yet"),
}


def give_to_pool(campaign: Campaign, amount_idr: int, designation: Designation, donor: Donor,
                 urls: UrlMaker, *, now: dt.datetime, method: str | None = None) -> tuple[Payment, str]:
    """Open the checkout for a gift of any amount to the campaign's pool."""
    if not MIN_POOL_GIFT_IDR <= amount_idr <= MAX_GIFT_IDR:
        raise DonationRefused(lazy_gettext("a gift is between %(low)s and %(high)s"), low=Rupiah(MIN_POOL_GIFT_IDR), high=Rupiah(MAX_GIFT_IDR))
    donation = _gift(campaign, donor, kind=DonationKind.pool, designation=designation, amount_idr=amount_idr)
    return _checkout(donation, urls, method, now=now)


def fund_workers(campaign: Campaign, workers: int, months: int, designation: Designation, donor: Donor,
                 urls: UrlMaker, *, today: dt.date, now: dt.datetime,
                 method: str | None = None) -> tuple[Payment, str]:
    """Open the checkout for ``workers`` × ``months``, allocated from the waitlist once paid."""
    if not 1 <= months <= 12:
        raise DonationRefused(lazy_gettext("choose 1 to 12 months"))
    waiting = waiting_count(campaign, designation, today=today)
    if not 1 <= workers <= waiting:
        raise DonationRefused(lazy_gettext("%(count)s workers are waiting for this kind of gift"), count=waiting)
    amount = bulk_quote(workers, months, today=today, jht=campaign.includes_jht)
    if amount > MAX_GIFT_IDR:
        raise DonationRefused(lazy_gettext("a gift is at most %(high)s"), high=Rupiah(MAX_GIFT_IDR))
    donation = _gift(campaign, donor, kind=DonationKind.bulk, designation=designation, amount_idr=amount,
                     workers_count=workers, months=months)
    return _checkout(donation, urls, method, now=now)


def own_workers_quote(campaign: Campaign, company_id: int, months: int, designation: Designation | None = None, *,
                      today: dt.date) -> tuple[int, int]:
    """Return (workers, price) of ``months`` months for every verified worker of a company's list not yet covered.

    The exact premiums of those workers (each on their declared income), as
    the allocation will charge them when the payment arrives.
    """
    month = current_month(today)
    rates = rates_for_months(month, month + months - 1)
    incomes = db.session.execute(
        sa.select(Worker.monthly_income_idr, sa.func.count()).where(
            *waiting(campaign, designation, month=month, company_id=company_id))
        .group_by(Worker.monthly_income_idr)).all()
    price = sum(count * sum(rates[m].premium(income, jht=campaign.includes_jht) for m in range(month, month + months))
                for income, count in incomes)
    return sum(count for _, count in incomes), price


def fund_own_workers(campaign: Campaign, company, months: int, designation: Designation, donor: Donor,
                     urls: UrlMaker, *, today: dt.date, now: dt.datetime,
                     method: str | None = None) -> tuple[Payment, str]:
    """Open the checkout for a company's N × M: exactly its verified workers not yet covered, for ``months`` months.

    Paid, the gift funds those workers through the allocation every gift
    goes through (``fund_new_workers`` restricted to the company's list).
    One payment at a time: while one is open, another would pay for the same workers.
    """
    if not 1 <= months <= 12:
        raise DonationRefused(lazy_gettext("choose 1 to 12 months"))
    open_gift = db.session.scalar(
        sa.select(Payment.id).join(Donation, Donation.id == Payment.donation_id)
        .where(Donation.company_id == company.id, Donation.campaign_id == campaign.id,
               Payment.state.in_([PaymentState.created, PaymentState.pending])))
    if open_gift is not None:
        raise DonationRefused(lazy_gettext("a payment for your workers is already open; pay or cancel it first"))
    workers, amount = own_workers_quote(campaign, company.id, months, designation, today=today)
    if not workers:
        raise DonationRefused(lazy_gettext("none of your workers is verified and waiting for cover"))
    if amount > MAX_GIFT_IDR:
        raise DonationRefused(lazy_gettext("a gift is at most %(high)s"), high=Rupiah(MAX_GIFT_IDR))
    donation = create_donation(
        campaign, kind=DonationKind.bulk, designation=designation, amount_idr=amount, workers_count=workers,
        months=months, donor_id=donor.user_id, donor_name=company.name, donor_email=donor.email,
        npwp=company.npwp, message=donor.message, locale=donor.locale, funder=company.name, company_id=company.id)
    return _checkout(donation, urls, method, now=now)


def renew_sponsorship(worker: Worker, user, urls: UrlMaker, *, method: str | None = None,
                      today: dt.date, now: dt.datetime,
                      months: int | None = None) -> tuple[Payment, str]:
    """Sponsor again a worker this donor sponsored, as the same kind of gift; for ``months`` or as long as last time."""
    last = db.session.scalar(
        sa.select(Donation).join(Payment, Payment.donation_id == Donation.id)
        .where(Donation.donor_id == user.id, Donation.worker_id == worker.id,
               Donation.kind == DonationKind.worker, Payment.state == PaymentState.paid)
        .order_by(Donation.id.desc()).limit(1)
    )
    if last is None:
        raise DonationRefused(lazy_gettext("you have not sponsored this worker yet"))
    donor = Donor(name=last.donor_name or user.name, email=user.email, user_id=user.id, npwp=last.npwp,
                  is_anonymous=last.is_anonymous, locale=user.locale)
    if months not in SPONSOR_MONTHS:
        months = last.months if last.months in SPONSOR_MONTHS else worker.campaign.term_months
    return sponsor_worker(worker.campaign, worker, months, last.designation, donor, urls, method=method,
                          today=today, now=now)


def refresh_payment(payment: Payment, *, today: dt.date, now: dt.datetime) -> PaymentState:
    """Ask the provider what it says of the payment and settle it through the one settlement function.

    The success page calls this: arriving there proves nothing by itself. If
    the provider cannot be reached, the page says "waiting" and the webhook
    settles the payment later.
    """
    if payment.state in (PaymentState.created, PaymentState.pending):
        try:
            verdict = provider(payment.provider).fetch_verdict(payment)
        except ProviderError as exc:
            current_app.logger.warning("%s could not say how payment %s stands (request %s): %s",
                                       payment.provider, payment.id, exc.request_id, exc.detail)
            return payment.state
        settle_payment(payment, verdict, today=today, now=now)
        db.session.refresh(payment)
    if payment.state == PaymentState.paid:
        issue_receipt(payment, now=now)
    return payment.state


def pending_details(payment: Payment) -> dict:
    """Return what the donor still has to do for an unpaid payment: account and exact amount, VA number or QR."""
    if payment.state not in (PaymentState.created, PaymentState.pending):
        return {}
    try:
        return provider(payment.provider).pay_details(payment)
    except (KeyError, ProviderError):
        return {}
