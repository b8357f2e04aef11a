"""Create, edit, open, pause and close campaigns; the dashboard and its exports."""


from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user

from ... import clock
from ...extensions import db
from ...forms.manage import CampaignForm, StatusForm
from ...labels import label
from ...models import CampaignStatus, Designation, Role
from ...services.campaigns.books import money_by_designation, money_by_funder
from ...services.campaigns.exports import UnknownExport, export_table
from ...services.campaigns.figures import (
    lapsing_workers,
    recent_activity,
    region_table,
    worker_equivalent,
)
from ...services.campaigns.progress import campaign_progress
from ...services.campaigns.settings import (
    STATUS_TRANSITIONS,
    CampaignInvalid,
    CampaignSettings,
    StatusChangeRefused,
    change_status,
    create_campaign,
    parse_regions,
    provinces,
    update_campaign,
)
from ...services.money.settlement import open_flag_count
from . import MANAGE, bp, campaign_for, csv_download
from .charts import CHART_TITLES, SIZES, charts


def _settings(form: CampaignForm) -> CampaignSettings:

    return CampaignSettings(
        name=form.name.data, story=form.story.data or "", target_workers=form.target_workers.data,
        term_months=form.term_months.data, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
        designations=[Designation(v) for v in form.designations.data or []],
        mustahik_only=form.mustahik_only.data, includes_jht=form.includes_jht.data,
        occupations=(form.eligible_occupations.data or "").split(","),
        regions=parse_regions(form.region_lines.data or ""))


def _field_for(form: CampaignForm, name: str):
    """Return the form field a settings error belongs to."""
    return getattr(form, {"regions": "region_lines", "occupations": "eligible_occupations"}.get(name, name), form.name)


@bp.route("/campaigns/new", methods=["GET", "POST"])
def new_campaign():
    """Create a campaign (admins and managers)."""
    if current_user.role not in (Role.admin, Role.manager):
        abort(403)
    form = CampaignForm()
    if form.validate_on_submit():
        try:
            if not form.slug.data:
                raise CampaignInvalid("slug", lazy_gettext("is required"))
            campaign = create_campaign(form.slug.data, _settings(form), user=current_user)
        except CampaignInvalid as exc:
            _field_for(form, exc.field).errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Campaign created as a draft. Open it when it is ready."))
            return redirect(url_for("manage.dashboard", slug=campaign.slug))
    return render_template("manage/campaign_form.html", form=form, campaign=None, provinces=provinces())


@bp.route("/campaigns/<slug>/edit", methods=["GET", "POST"])
def edit_campaign(slug):
    """Edit a campaign's settings, regions and eligibility."""
    campaign = campaign_for(slug, MANAGE)
    form = CampaignForm(obj=campaign)
    if request.method == "GET":
        form.designations.data = [d.value for d in campaign.designations]
        form.eligible_occupations.data = ", ".join(campaign.occupations)
        form.region_lines.data = "\n".join(
            f"{r.code}: {r.target_workers}" if r.target_workers else r.code for r in campaign.regions)
    if form.validate_on_submit():
        try:
            update_campaign(campaign, _settings(form), user=current_user)
        except CampaignInvalid as exc:
            db.session.rollback()
            _field_for(form, exc.field).errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Campaign saved."))
            return redirect(url_for("manage.dashboard", slug=campaign.slug))
    return render_template("manage/campaign_form.html", form=form, campaign=campaign, provinces=provinces())


@bp.post("/campaigns/<slug>/status")
def campaign_status(slug):
    """Open, pause or close a campaign."""
    campaign = campaign_for(slug, MANAGE)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            change_status(campaign, CampaignStatus(form.status.data), user=current_user)
        except StatusChangeRefused:
            flash(_("That status change is not possible."))
        else:
            db.session.commit()
            flash(_("The campaign is now %(status)s.", status=label(campaign.status)))
    return redirect(url_for("manage.dashboard", slug=campaign.slug))


@bp.get("/campaigns/<slug>")
def dashboard(slug):
    """Show a campaign's progress, regions, money, lapsing workers and recent activity."""
    campaign = campaign_for(slug, MANAGE)
    funders = money_by_funder(campaign)
    today = clock.today()
    return render_template(
        "manage/dashboard.html", campaign=campaign, progress=campaign_progress(campaign, today=today),
        regions=region_table(campaign, today=today), money=money_by_designation(campaign),
        funders=[(f, worker_equivalent(campaign, f.net_idr, today=today)) for f in funders],
        lapsing=lapsing_workers(campaign, today=today, limit=20), activity=recent_activity(campaign),
        chart_titles=CHART_TITLES, status_form=StatusForm(), next_status=_next_statuses(campaign.status),
        flagged=open_flag_count(campaign))


@bp.get("/campaigns/<slug>/charts/<name>.svg")
def chart(slug, name):
    """Send one dashboard chart as an SVG image (its own document, so the page needs no inline style)."""
    campaign = campaign_for(slug, MANAGE)
    size = request.args.get("size", "wide")
    if size not in SIZES:
        abort(404)
    drawn = charts(campaign, today=clock.today(), size=size)
    if name not in drawn:
        abort(404)
    response = current_app.response_class(drawn[name], mimetype="image/svg+xml")
    # pygal styles its SVG inline; shown through <img> it can run no script, and it is nobody's frame.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _next_statuses(status: CampaignStatus) -> list[CampaignStatus]:

    return sorted(STATUS_TRANSITIONS[status], key=lambda s: list(CampaignStatus).index(s))


@bp.get("/campaigns/<slug>/export/<name>.csv")
def export(slug, name):
    """Download one of the dashboard's tables as CSV."""
    campaign = campaign_for(slug, MANAGE)
    try:
        text = export_table(campaign, name, user=current_user, today=clock.today())
    except UnknownExport:
        abort(404)
    db.session.commit()
    return csv_download(text, f"{campaign.slug}-{name}.csv")
