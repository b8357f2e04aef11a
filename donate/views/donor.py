"""Donor pages: choose whom to fund, pay, see the impact, print receipts."""

import segno
import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from .. import clock
from ..extensions import db, limiter
from ..formatting import rupiah
from ..forms.donor import FundWorkersForm, PoolGiftForm, RenewForm, SponsorForm
from ..models import Designation, DonationKind, PaymentState, Subscription, Worker
from ..payments import enabled_methods
from ..regions import regency_name
from ..services.coverage.allocation import MAX_MONTHS_AHEAD
from ..services.coverage.holds import WorkerUnavailable, held_for_another
from ..services.coverage.waitlist import (
    age_band,
    browse_filters,
    browse_workers,
    waiting_count,
)
from ..services.donors import gifts as donors
from ..services.money import subscriptions
from ..services.money.checkout import (
    Donor,
    bulk_quote,
    fund_workers,
    give_to_pool,
    MONTHLY_REFUSALS,
    pay_sponsorship_month,
    pending_details,
    pool_presets,
    refresh_payment,
    renew_sponsorship,
    sponsor_worker,
    sponsorship_offer,
)
from ..services.money.donations import SPONSOR_MONTHS, DonationRefused
from ..services.money.receipts import payment_from_token, payment_token, receipt_for
from .public import get_campaign

bp = Blueprint("donor", __name__, url_prefix="/donor")

#: Workers per page when browsing.
PER_PAGE = 20


def _urls(payment):
    """Send the donor back to the page that re-checks the payment, whatever the outcome."""
    token = payment_token(payment)
    # The sandbox checkout and the transfer page are local paths; a real provider needs full URLs.
    external = payment.provider not in ("sandbox", "bank_transfer")
    return (url_for("donor.thanks", token=token, _external=external),
            url_for("donor.thanks", token=token, cancelled=1, _external=external))


def _donor(form) -> Donor:
    """Read who gives from a gift form (an account's details fill what is left out)."""
    user = current_user if current_user.is_authenticated else None
    return Donor(
        name=(form.donor_name.data or "").strip() or (user.name if user else ""),
        email=form.donor_email.data or (user.email if user else None),
        user_id=user.id if user else None, npwp=form.npwp.data,
        is_anonymous=form.is_anonymous.data, message=form.message.data or "",
        locale=get_locale().language,
    )


def _prefill(form) -> None:
    form.set_methods([method for method, _provider in enabled_methods()])
    if current_user.is_authenticated and request.method == "GET":
        form.donor_name.data = form.donor_name.data or current_user.name
        form.donor_email.data = form.donor_email.data or current_user.email


def _open_campaign(slug):
    campaign = get_campaign(slug)
    if campaign.status.value != "open":
        flash(_("This campaign is not accepting gifts now."))
        abort(redirect(url_for("public.campaign", slug=slug)))
    return campaign


def _refused(exc) -> str:
    """Say in the visitor's language why a gift could not start."""
    if isinstance(exc, WorkerUnavailable):
        return _("This worker cannot be sponsored right now (another donor may be paying). Choose another worker.")
    return _("This gift could not be started: %(reason)s", reason=str(exc))


@bp.get("/campaigns/<slug>/workers")
def workers(slug):
    """Browse waiting workers who agreed to be shown, by region and occupation."""
    campaign = get_campaign(slug)
    regency = request.args.get("regency") or None
    occupation = request.args.get("occupation") or None
    page = request.args.get("page", 1, type=int)
    today, now = clock.today(), clock.now()
    found = browse_workers(campaign, today=today, now=now, regency=regency, occupation=occupation,
                           page=page, per_page=PER_PAGE)
    if found.past_end:
        abort(404)
    regencies, occupations = browse_filters(campaign)
    return render_template("donor/workers.html", campaign=campaign, workers=found.items, page=found,
                           waiting=waiting_count(campaign,
                           today=today), today=today, regency=regency, occupation=occupation,
                           regencies=[(code, regency_name(code)) for code in regencies],
                           occupations=occupations, age_band=age_band, regency_name=regency_name)


@bp.route("/campaigns/<slug>/workers/<public_id>", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def sponsor(slug, public_id):
    """Sponsor one named worker for 1, 3, 6 or 12 months (or monthly where the provider can)."""
    campaign = _open_campaign(slug)
    worker = db.session.scalar(sa.select(Worker).where(Worker.public_id == public_id,
                                                       Worker.campaign_id == campaign.id,
                                                       Worker.public_profile.is_(True)))
    if worker is None:
        abort(404)
    hold = request.method == "GET" and held_for_another(
        worker, current_user.id if current_user.is_authenticated else None, now=clock.now())
    if hold:
        # Say so before the donor fills anything in; the hold lapses if the other donor does not pay.
        return render_template("donor/held.html", campaign=campaign, worker=worker, hold=hold), 409
    today = clock.today()
    offer = sponsorship_offer(campaign, worker, today=today)
    form = SponsorForm()
    form.set_designations(offer.designations)
    choices = [(str(m), _("%(months)s months · %(amount)s", months=m, amount=rupiah(price)))
               for m, price in offer.prices.items()]
    # With every provider: a card subscription charges itself, any other method is paid after a monthly reminder.
    choices.append(("monthly", _("Every month until I stop · %(amount)s a month", amount=rupiah(offer.prices[1]))))
    form.months.choices = choices
    if request.method == "GET":
        form.months.data = str(campaign.term_months) if campaign.term_months in SPONSOR_MONTHS else "6"
    _prefill(form)
    if form.validate_on_submit():
        months = form.months.data if form.months.data == "monthly" else int(form.months.data)
        try:
            _payment, url = sponsor_worker(campaign, worker, months, Designation(form.designation.data),
                                           _donor(form), _urls, today=today, now=clock.now(),
                                           method=form.method.data)
        except (DonationRefused, WorkerUnavailable) as exc:
            db.session.rollback()
            flash(_refused(exc))
            return redirect(url_for("donor.workers", slug=slug))
        db.session.commit()
        return redirect(url)
    return render_template("donor/sponsor.html", campaign=campaign, worker=worker, form=form,
                           first_month=offer.first_month, age_band=age_band(worker, today=today),
                           regency=regency_name(worker.regency_code))


@bp.route("/campaigns/<slug>/give", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def give(slug):
    """Give any amount to the campaign's pool."""
    campaign = _open_campaign(slug)
    form = PoolGiftForm()
    form.set_designations(campaign.designations)
    # Preset tiles (owned by the giving page): the amount big, what it buys beneath.
    presets = pool_presets(campaign, today=clock.today())
    form.preset.choices = [(str(amount), rupiah(amount)) for _w, _m, amount in presets]
    notes = {str(amount): (w, m) for w, m, amount in presets}
    if request.method == "GET":
        asked = request.args.get("amount", type=int)
        if asked and str(asked) in notes:
            form.preset.data = str(asked)
        elif asked:
            form.amount.data = str(asked)
        else:
            form.preset.data = str(presets[1][2])
    _prefill(form)
    if form.validate_on_submit():
        try:
            _payment, url = give_to_pool(campaign, form.amount.data, Designation(form.designation.data),
                                         _donor(form), _urls, method=form.method.data,
                                         now=clock.now())
        except DonationRefused as exc:
            db.session.rollback()
            flash(_refused(exc))
            return redirect(url_for("donor.give", slug=slug))
        db.session.commit()
        return redirect(url)
    return render_template("donor/give.html", campaign=campaign, form=form, notes=notes)


@bp.route("/campaigns/<slug>/fund", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def fund(slug):
    """Fund N workers × M months at once (a company's CSR gift), allocated from the waitlist."""
    campaign = _open_campaign(slug)
    form = FundWorkersForm()
    form.set_designations(campaign.designations)
    if request.method == "GET":
        form.workers.data = form.workers.data or 10
        form.months.data = form.months.data or campaign.term_months
    _prefill(form)
    today = clock.today()
    waiting = {d.value: waiting_count(campaign, d, today=today) for d in campaign.designations}
    quoting = request.method == "POST" and "quote" in request.form
    if quoting:
        # "Show the total" only quotes: it checks the numbers and never opens a checkout.
        form.workers.validate(form)
        form.months.validate(form)
    elif form.validate_on_submit():
        try:
            _payment, url = fund_workers(campaign, form.workers.data, form.months.data,
                                         Designation(form.designation.data), _donor(form), _urls,
                                         today=today, now=clock.now(),
                                         method=form.method.data)
        except DonationRefused:
            db.session.rollback()
            form.workers.errors.append(_("Only %(count)s workers are waiting for this kind of gift.",
                                         count=waiting.get(form.designation.data, 0)))
        else:
            db.session.commit()
            return redirect(url)
    workers_count, months = form.workers.data, form.months.data
    total = (bulk_quote(workers_count, months, today=today, jht=campaign.includes_jht) if isinstance(workers_count, int) and isinstance(months, int)
             and workers_count >= 1 and 1 <= months <= 12 else None)
    return render_template("donor/fund.html", campaign=campaign, form=form, waiting=waiting,
                           unit=bulk_quote(1, 1, today=today, jht=campaign.includes_jht), total=total)


@bp.get("/thanks/<token>")
def thanks(token):
    """Show where a payment stands after checkout, having asked the provider (never the redirect)."""
    payment = payment_from_token(token, viewer=current_user, now=clock.now())
    if payment is None:
        abort(404)
    state = refresh_payment(payment, today=clock.today(), now=clock.now())
    db.session.commit()
    details = pending_details(payment)
    qr = (Markup(segno.make(details["qr_string"], error="m").svg_inline(scale=4, title=_("QRIS code")))
          if details.get("qr_string") else None)
    response = current_app.make_response(render_template(
        "donor/thanks.html", payment=payment, donation=payment.donation, state=state,
        receipt=receipt_for(payment), token=token, details=details, qr=qr,
        monthly=subscriptions.subscription_for_payment(payment),
        cancelled=request.args.get("cancelled") and state != PaymentState.paid))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/receipts/<token>")
def receipt(token):
    """Show a printable receipt (a bukti setor zakat for zakat)."""
    payment = payment_from_token(token, viewer=current_user, now=clock.now())
    if payment is None:
        abort(404)
    found = receipt_for(payment)
    if found is None:
        abort(404)
    return _no_store(render_template("donor/receipt.html", receipt=found, payment=payment,
                                     donation=payment.donation, token=token))


@bp.get("/receipts/<token>/print")
def receipt_print(token):
    """Show the receipt alone, ready for the browser's print menu (a plain link: no JavaScript needed)."""
    payment = payment_from_token(token, viewer=current_user, now=clock.now())
    found = receipt_for(payment) if payment is not None else None
    if found is None:
        abort(404)
    return _no_store(render_template("donor/receipt_print.html", receipt=found, payment=payment,
                                     donation=payment.donation, token=token))


def _no_store(page: str):
    """Return a page that holds a name and an NPWP: never kept in a shared cache."""
    response = current_app.make_response(page)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
@login_required
def home():
    """Show the donor's gifts, the workers they protected and until when."""
    helped = donors.workers_helped(current_user, today=clock.today())
    gifts = donors.gifts_of(current_user)
    return render_template("donor/home.html", gifts=gifts, pooled=donors.pooled_remainders(gifts), helped=helped,
                           worker_months=sum(h.months_funded for h in helped),
                           subscriptions=donors.subscriptions_of(current_user, today=clock.today()),
                           payment_token=payment_token, receipt_for=receipt_for, DonationKind=DonationKind,
                           max_months_ahead=MAX_MONTHS_AHEAD)


@bp.route("/workers/<public_id>/renew", methods=["GET", "POST"])
@login_required
def renew(public_id):
    """Sponsor a worker again for the months chosen (1, 3, 6 or 12), as the same kind of gift, asking how to pay."""
    worker = db.session.scalar(sa.select(Worker).where(Worker.public_id == public_id))
    if worker is None:
        abort(404)
    form = RenewForm()
    form.set_methods([method for method, _provider in enabled_methods()])
    if request.method == "GET" or "method" not in request.form or not form.validate_on_submit():
        return render_template("donor/renew.html", worker=worker, form=form,
                               months=request.form.get("months", type=int))
    try:
        _payment, url = renew_sponsorship(worker, current_user, _urls, method=form.method.data,
                                          months=request.form.get("months", type=int),
                                          today=clock.today(), now=clock.now())
    except (DonationRefused, WorkerUnavailable) as exc:
        db.session.rollback()
        flash(_refused(exc))
        return redirect(url_for("donor.home"))
    db.session.commit()
    return redirect(url)


@bp.post("/subscriptions/<int:subscription_id>/cancel")
@login_required
def cancel_subscription(subscription_id):
    """Stop a monthly sponsorship; months already paid stay funded."""
    subscription = db.session.get(Subscription, subscription_id)
    if subscription is None or subscription.donor_id != current_user.id:
        abort(404)
    try:
        subscriptions.cancel_subscription(subscription, now=clock.now())
    except subscriptions.SubscriptionUnavailable as exc:
        db.session.rollback()
        flash(str(exc))
        return redirect(url_for("donor.home"))
    db.session.commit()
    flash(_("Your monthly sponsorship is stopped. The months already paid stay funded."))
    return redirect(url_for("donor.home"))




@bp.route("/monthly/<token>", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def monthly(token):
    """Pay the next month of a sponsorship by reminder, by any method, from the reminder's link (no login)."""
    subscription = subscriptions.subscription_for_token(token)
    if subscription is None:
        abort(404)
    today = clock.today()
    form = RenewForm()
    form.set_methods([method for method, _provider in enabled_methods()])
    if form.validate_on_submit():
        try:
            _payment, url = pay_sponsorship_month(subscription, _urls, method=form.method.data, today=today,
                                                  now=clock.now())
        except (DonationRefused, WorkerUnavailable) as exc:
            db.session.rollback()
            flash(_refused(exc))
            return redirect(url_for("donor.monthly", token=token))
        db.session.commit()
        return redirect(url)
    offer = subscriptions.monthly_offer(subscription, today=today)
    refusal = MONTHLY_REFUSALS.get(offer.state)
    return _no_store(render_template("donor/monthly.html", offer=offer, form=form, token=token,
                                     campaign=subscription.worker.campaign,
                                     refusal=str(refusal) % {"worker": offer.worker.display_name} if refusal else ""))


@bp.post("/monthly/<token>/stop")
@limiter.limit("30 per minute")
def stop_monthly(token):
    """Stop a sponsorship from its link (a donor without an account has no other page); months paid stay funded."""
    subscription = subscriptions.subscription_for_token(token)
    if subscription is None:
        abort(404)
    try:
        subscriptions.cancel_subscription(subscription, now=clock.now())
    except subscriptions.SubscriptionUnavailable as exc:
        db.session.rollback()
        flash(str(exc))
        return redirect(url_for("donor.monthly", token=token))
    db.session.commit()
    flash(_("Your monthly sponsorship is stopped. The months already paid stay funded."))
    return redirect(url_for("donor.monthly", token=token))
