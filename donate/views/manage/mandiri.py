"""Workers told to go on paying alone (lanjut mandiri): who went on paying, who may still, who lapsed."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import clock
from ...extensions import db
from ...forms.manage import MandiriStatusForm
from ...services.coverage.mandiri import import_bpjs_status, mandiri_overview
from ...services.workers.imports import ImportFileInvalid
from . import MANAGE, bp, campaign_for


def _page(campaign, form, report=None, status=200):
    counts, rows = mandiri_overview(campaign, today=clock.today())
    return render_template("manage/mandiri.html", campaign=campaign, form=form, counts=counts, rows=rows,
                           report=report), status


@bp.get("/campaigns/<slug>/mandiri")
def mandiri(slug):
    """List the workers told how to go on alone, with what BPJS reports they paid."""
    return _page(campaign_for(slug, MANAGE), MandiriStatusForm())


@bp.post("/campaigns/<slug>/mandiri")
def mandiri_status(slug):
    """Apply BPJS's report of what notified workers paid themselves."""
    campaign = campaign_for(slug, MANAGE)
    form = MandiriStatusForm()
    if not form.validate_on_submit():
        return _page(campaign, form)
    try:
        report = import_bpjs_status(campaign, form.file.data.read(), user=current_user, now=clock.now())
    except ImportFileInvalid as exc:
        db.session.rollback()
        form.file.errors = list(form.file.errors) + [str(exc)]
        return _page(campaign, form, status=422)
    if report.errors:
        db.session.rollback()
        return _page(campaign, form, report, status=422)
    db.session.commit()
    flash(_("%(count)s workers' own payments recorded.", count=report.updated))
    return redirect(url_for("manage.mandiri", slug=campaign.slug))
