"""Claims BPJS paid for a campaign's workers, recorded by a manager on the worker's page."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import clock
from ...extensions import db
from ...forms.manage import ClaimForm, WorkerUpdateForm
from ...models import ClaimKind, ClaimProgramme, CoverageMonth, Worker
from ...regions import regency_name
from ...services.coverage.claims import ClaimRefused, claims_of, record_claim
from ...services.workers.registry import masked_nik
from . import MANAGE, bp, campaign_for


@bp.post("/campaigns/<slug>/workers/<public_id>/claims")
def record_worker_claim(slug, public_id):
    """Record a claim BPJS paid for the worker, against the accepted month of the event."""
    campaign = campaign_for(slug, MANAGE)
    worker = db.session.scalar(sa.select(Worker).where(Worker.public_id == public_id,
                                                       Worker.campaign_id == campaign.id))
    if worker is None:
        abort(404)
    form = ClaimForm()
    refused = False
    if form.validate_on_submit():
        try:
            record_claim(worker, programme=ClaimProgramme(form.programme.data), kind=ClaimKind(form.kind.data),
                         event_date=form.event_date.data, amount_idr=form.amount_idr.data,
                         scholarship_idr=form.scholarship_idr.data or 0, user=current_user, today=clock.today(),
                         now=clock.now())
        except ClaimRefused as exc:
            db.session.rollback()
            refused = True
            target = getattr(form, exc.field, form.event_date)
            target.errors = list(target.errors) + [exc.message]
        else:
            db.session.commit()
            flash(_("Claim recorded."))
            return redirect(url_for("manage.worker", slug=campaign.slug, public_id=worker.public_id))
    update = WorkerUpdateForm(obj=worker)
    months = db.session.scalars(sa.select(CoverageMonth).where(CoverageMonth.worker_id == worker.id)
                                .order_by(CoverageMonth.month)).all()
    return render_template("manage/worker.html", campaign=campaign, worker=worker, form=update, months=months,
                           masked=masked_nik(worker), regency_name=regency_name, claim_form=form,
                           claims=claims_of(worker)), 422 if refused else 200
