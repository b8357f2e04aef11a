"""Reports for funders: money in, workers and months covered, accepted by BPJS, lapses and claims."""

from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import clock
from ...extensions import db
from ...forms.manage import FunderReportForm
from ...months import current_month
from ...services.access import audit
from ...services.campaigns.books import INDIVIDUALS
from ...services.campaigns.funder_reports import FunderReport, funder_names, funder_report, funder_report_csv
from . import MANAGE, bp, campaign_for, csv_download


def _form(campaign) -> FunderReportForm:
    form = FunderReportForm(request.args)
    form.funder.choices = [(name, name or _("Online donors")) for name in funder_names(campaign)]
    if not request.args:
        month = current_month(clock.today())
        form.first_month.data, form.last_month.data = month - 11, month
    return form


def _report(campaign, form) -> FunderReport | None:
    """Return the report the query string asks for, or ``None`` (with the form's errors) if it asks for none."""
    if not request.args or not form.validate():
        return None
    if form.first_month.data > form.last_month.data:
        form.last_month.errors = list(form.last_month.errors) + [_("The period ends before it starts.")]
        return None
    return funder_report(campaign, form.funder.data, first_month=form.first_month.data,
                         last_month=form.last_month.data, today=clock.today())


@bp.get("/campaigns/<slug>/funders")
def funder_reports(slug):
    """Choose a funder and a period; show its report as a printable page."""
    campaign = campaign_for(slug, MANAGE)
    form = _form(campaign)
    report = _report(campaign, form)
    return render_template("manage/funder_report.html", campaign=campaign, form=form, report=report,
                           individuals=INDIVIDUALS, total=FunderReport.total), 200 if report or not request.args else 422


@bp.get("/campaigns/<slug>/funders/report.csv")
def funder_report_download(slug):
    """Download a funder's report as CSV (no personal data: counts and rupiah per regency)."""
    campaign = campaign_for(slug, MANAGE)
    form = _form(campaign)
    report = _report(campaign, form)
    if report is None:
        return redirect(url_for("manage.funder_reports", slug=campaign.slug, **request.args))
    audit.record_action("funder.report", user=current_user, campaign=campaign,
                        subject=(report.funder or "online donors")[:120],
                        params={"funder": report.funder or "", "first_month": form.first_month.data,
                                "last_month": form.last_month.data})
    db.session.commit()
    return csv_download(funder_report_csv(report), f"{campaign.slug}-funder-report.csv")
