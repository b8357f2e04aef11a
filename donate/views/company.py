"""Pages of a company that brings its own workers (blueprint ``company``, under ``/company``)."""

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import clock
from ..extensions import db, limiter
from ..forms.company import CompanyForm, CompanyUploadForm, OwnWorkersForm
from ..models import Campaign, CampaignStatus, Designation
from ..payments import enabled_methods
from ..services.donors import companies
from ..services.money.checkout import Donor, fund_own_workers, own_workers_quote
from ..services.money.donations import DonationRefused
from ..services.workers.imports import ImportFileInvalid
from .donor import _urls

bp = Blueprint("company", __name__, url_prefix="/company")


def _company():
    """Return the logged-in account's company, or send the account to register one."""
    company = companies.company_of(current_user)
    if company is None:
        abort(redirect(url_for("company.register")))
    return company


def _campaign(slug) -> Campaign:
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == slug,
                                                           Campaign.status == CampaignStatus.open))
    if campaign is None:
        abort(404)
    return campaign


def _open_campaigns() -> list[Campaign]:
    return db.session.scalars(sa.select(Campaign).where(Campaign.status == CampaignStatus.open)
                              .order_by(Campaign.id)).all()


@bp.route("/register", methods=["GET", "POST"])
@login_required
def register():
    """Register the company behind this donor account (name, NPWP, contact)."""
    if companies.company_of(current_user) is not None:
        return redirect(url_for("company.home"))
    form = CompanyForm()
    if form.validate_on_submit():
        try:
            companies.register_company(current_user, name=form.name.data, npwp=form.npwp.data,
                                       contact_name=form.contact_name.data, contact_phone=form.contact_phone.data or "",
                                       now=clock.now())
        except companies.CompanyInvalid as exc:
            db.session.rollback()
            target = getattr(form, exc.field, form.name)
            target.errors = list(target.errors) + [exc.message]
        else:
            db.session.commit()
            flash(_("Company registered. Upload the list of the workers you want to protect."))
            return redirect(url_for("company.home"))
    return render_template("company/register.html", form=form)


@bp.get("/")
@login_required
def home():
    """Show the company's workers in each campaign: verified, funded, accepted by BPJS, claims."""
    company = _company()
    today = clock.today()
    upload = CompanyUploadForm()
    upload.campaign.choices = [(c.slug, c.name) for c in _open_campaigns()]
    coverage = [companies.company_coverage(company, c, today=today) for c in companies.company_campaigns(company)]
    return render_template("company/home.html", company=company, coverage=coverage, upload=upload, report=None,
                           applied=False)


@bp.post("/upload")
@login_required
@limiter.limit("20 per hour")
def upload():
    """Register the company's list for a campaign: the rows wait for the campaign's verifiers."""
    company = _company()
    form = CompanyUploadForm()
    form.campaign.choices = [(c.slug, c.name) for c in _open_campaigns()]
    result = None
    if form.validate_on_submit():
        campaign = _campaign(form.campaign.data)
        try:
            result = companies.upload_company_workers(company, campaign, form.file.data.read(), today=clock.today(),
                                                      now=clock.now(), skip_invalid=form.skip_invalid.data)
        except (ImportFileInvalid, companies.CompanyInvalid) as exc:
            db.session.rollback()
            form.file.errors = list(form.file.errors) + [str(exc)]
        else:
            if result.imported:
                db.session.commit()
            else:
                db.session.rollback()
    today = clock.today()
    coverage = [companies.company_coverage(company, c, today=today) for c in companies.company_campaigns(company)]
    status = 422 if form.errors or (result is not None and not result.imported) else 200
    return render_template("company/home.html", company=company, coverage=coverage, upload=form,
                           report=result.report if result else None, applied=bool(result and result.imported)), status


@bp.route("/campaigns/<slug>/pay", methods=["GET", "POST"])
@login_required
@limiter.limit("30 per minute", methods=["POST"])
def pay(slug):
    """Pay N × M for exactly the company's verified workers not yet covered, by any enabled method."""
    company = _company()
    campaign = _campaign(slug)
    form = OwnWorkersForm()
    form.set_designations(campaign.designations)
    form.set_methods([method for method, _provider in enabled_methods()])
    if request.method == "GET":
        form.months.data = form.months.data or campaign.term_months
        if Designation.csr in campaign.designations:
            form.designation.data = form.designation.data or Designation.csr.value
    today = clock.today()
    if form.validate_on_submit() and "quote" not in request.form:
        donor = Donor(name=company.name, email=current_user.email, user_id=current_user.id, npwp=company.npwp,
                      locale=get_locale().language)
        try:
            _payment, url = fund_own_workers(campaign, company, form.months.data, Designation(form.designation.data),
                                             donor, _urls, today=today, method=form.method.data, now=clock.now())
        except DonationRefused as exc:
            db.session.rollback()
            form.months.errors = list(form.months.errors) + [str(exc)]
        else:
            db.session.commit()
            return redirect(url)
    months = form.months.data if isinstance(form.months.data, int) and 1 <= form.months.data <= 12 else None
    designation = Designation(form.designation.data) if form.designation.data in {d.value for d in Designation} else None
    workers, total = own_workers_quote(campaign, company.id, months, designation, today=today) if months else (0, 0)
    return render_template("company/pay.html", company=company, campaign=campaign, form=form, workers=workers,
                           total=total)


@bp.get("/campaigns/<slug>/report.csv")
@login_required
def report(slug):
    """Download the company's report on its workers in the campaign (NIKs masked)."""
    company = _company()
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        abort(404)
    text = companies.company_report_csv(company, campaign, today=clock.today())
    return Response("\ufeff" + text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{campaign.slug}-{company.id}-workers.csv"',
        "Cache-Control": "no-store"})
