"""Money in without a card, allocation of the pool, gifts and refunds."""

import secrets

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import contains_eager

from ... import clock
from ...extensions import db
from ...formatting import rupiah
from ...forms.manage import AllocateForm, FundingForm, RefundForm, ResolveFlagForm
from ...models import Designation, Donation, FlaggedEvent, Payment, PaymentState
from ...regions import regency_name
from ...services.campaigns.books import gifts_received, money_by_funder
from ...services.coverage.preview import preview_allocation, start_allocation
from ...services.coverage.waitlist import waitlist
from ...services.money.donations import DonationRefused, record_institutional_funding
from ...services.money.refunds import RefundRefused, RefundUnavailable, request_refund, send_refund
from ...services.money.settlement import flagged_events, resolve_flag
from ...services.pages import page_of
from . import MANAGE, bp, campaign_for


@bp.route("/campaigns/<slug>/funding", methods=["GET", "POST"])
def funding(slug):
    """Record institutional or offline money (transfer, APBD, DBH Sawit, CSR) into the pool."""
    campaign = campaign_for(slug, MANAGE)
    form = FundingForm()
    form.designation.choices = [(d.value, label) for d, label in
                                zip(Designation, [c[1] for c in form.designation.choices])
                                if d in campaign.designations]
    if form.validate_on_submit():
        try:
            record_institutional_funding(
                campaign, form.amount_idr.data, user=current_user, funder=form.funder.data,
                designation=Designation(form.designation.data), reference=form.reference.data,
                source=form.source.data,
                today=clock.today(), now=clock.now())
        except DonationRefused as exc:
            db.session.rollback()
            form.amount_idr.errors = list(form.amount_idr.errors) + [str(exc)]
        else:
            db.session.commit()
            flash(_("Funding recorded: it is in the pool, ready to allocate."))
            return redirect(url_for("manage.allocation", slug=campaign.slug))
    return render_template("manage/funding.html", campaign=campaign, form=form,
                           funders=money_by_funder(campaign))


@bp.get("/campaigns/<slug>/allocation")
def allocation(slug):
    """Preview what allocating the pool would do; show the pool and the waitlist."""
    campaign = campaign_for(slug, MANAGE)
    preview = preview_allocation(campaign, today=clock.today(), now=clock.now())
    total, head, per_region = waitlist(campaign, today=clock.today())
    return render_template("manage/allocation.html", campaign=campaign, preview=preview, form=AllocateForm(),
                           waiting=total, head=head, waiting_regions=per_region, regency_name=regency_name)


@bp.post("/campaigns/<slug>/allocation")
def allocate(slug):
    """Allocate the pool now."""
    campaign = campaign_for(slug, MANAGE)
    form = AllocateForm()
    if not form.validate_on_submit():
        flash(_("Tick the box to confirm you checked the preview."))
        return redirect(url_for("manage.allocation", slug=campaign.slug))
    # Off the request: at GN Lingkaran's size a run takes seconds; the job's page shows each pass done.
    job = start_allocation(campaign, user=current_user, today=clock.today())
    db.session.commit()
    return redirect(url_for("manage.job", slug=campaign.slug, job_token=job.token))


PAGE_SIZE = 50


@bp.get("/campaigns/<slug>/gifts")
def gifts(slug):
    """List the campaign's paid gifts, with refunds and disputes."""
    campaign = campaign_for(slug, MANAGE)
    state = request.args.get("state", "")
    query = (sa.select(Payment).join(Payment.donation).options(contains_eager(Payment.donation))
             .where(Donation.campaign_id == campaign.id,
                    Payment.state.in_([PaymentState.paid, PaymentState.refunded, PaymentState.disputed])))
    if state in {s.value for s in PaymentState}:
        query = query.where(Payment.state == PaymentState(state))
        total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    else:  # every gift whose money came in: kept with each payment, not counted over a million rows
        total = gifts_received(campaign)
    page = page_of(query.order_by(Payment.id.desc()), request.args.get("page", 1, type=int), PAGE_SIZE, total=total)
    return render_template("manage/gifts.html", campaign=campaign, payments=page.items, state=state, page=page,
                           total=page.total)


@bp.route("/campaigns/<slug>/gifts/<int:payment_id>/refund", methods=["GET", "POST"])
def refund(slug, payment_id):
    """Refund a gift fully or partly, out of the pool, or explain why not."""
    campaign = campaign_for(slug, MANAGE)
    payment = db.session.get(Payment, payment_id)
    if payment is None or payment.donation.campaign_id != campaign.id:
        abort(404)
    form = RefundForm()
    if not form.request_key.data:
        form.request_key.data = secrets.token_urlsafe(24)
    if form.validate_on_submit():
        try:
            refund = request_refund(payment, form.amount_idr.data, user=current_user, reason=form.reason.data,
                                    request_key=form.request_key.data, today=clock.today())
            # Committed before the provider is called: a retry after a timeout finds this row and its key.
            db.session.commit()
            refund = send_refund(refund, user=current_user, today=clock.today())
        except RefundUnavailable as exc:
            db.session.commit()  # the refund row keeps what the provider said; nothing is booked
            form.amount_idr.errors = list(form.amount_idr.errors) + [str(exc)]
        except RefundRefused as exc:
            db.session.rollback()
            form.amount_idr.errors = list(form.amount_idr.errors) + [str(exc)]
        else:
            db.session.commit()
            flash(_("Refunded %(amount)s.", amount=rupiah(refund.amount_idr)))
            return redirect(url_for("manage.gifts", slug=campaign.slug))
    return render_template("manage/refund.html", campaign=campaign, payment=payment, form=form)


@bp.get("/campaigns/<slug>/flagged")
def flagged(slug):
    """List provider notices that disagree with what was asked, with the provider's own figures."""
    campaign = campaign_for(slug, MANAGE)
    return render_template("manage/flagged.html", campaign=campaign, flags=flagged_events(campaign),
                           resolved=flagged_events(campaign, resolved=True), form=ResolveFlagForm())


@bp.post("/campaigns/<slug>/flagged/<int:flag_id>")
def resolve_flagged(slug, flag_id):
    """Close a flagged notice the manager settled at the provider."""
    campaign = campaign_for(slug, MANAGE)
    flag = db.session.get(FlaggedEvent, flag_id)
    if flag is None or flag.campaign_id != campaign.id:
        abort(404)
    form = ResolveFlagForm()
    if form.validate_on_submit():
        resolve_flag(flag, user=current_user, note=form.note.data, now=clock.now())
        db.session.commit()
        flash(_("Marked as settled at the payment provider."))
    else:
        flash(_("Say what was done at the payment provider."))
    return redirect(url_for("manage.flagged", slug=campaign.slug))
