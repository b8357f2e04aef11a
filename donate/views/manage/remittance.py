"""Remittance to BPJS: batches, their file, the transfer and BPJS's acknowledgement."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import clock
from ...extensions import db
from ...forms.manage import AcknowledgementForm, BatchForm, ConfirmForm, TransferForm
from ...models import RemittanceBatch
from ...services.remittance.batches import (
    BatchEmpty,
    BatchStateInvalid,
    acknowledge_batch,
    batch_summary,
    cancel_batch,
    create_batch,
    current_period,
    export_batch,
    record_transfer,
    waiting_to_send,
)
from ...services.workers.imports import ImportFileInvalid
from . import MANAGE, bp, campaign_for, csv_download


def _batch(campaign, batch_id: int) -> RemittanceBatch:
    batch = db.session.get(RemittanceBatch, batch_id)
    if batch is None or batch.campaign_id != campaign.id:
        abort(404)
    return batch


@bp.route("/campaigns/<slug>/remittance", methods=["GET", "POST"])
def remittance(slug):
    """List the batches and create one from the funded months of a period."""
    campaign = campaign_for(slug, MANAGE)
    form = BatchForm()
    if not form.is_submitted():
        form.first_month.data, form.last_month.data = current_period(clock.today())
        form.first_month.data -= 3
    if form.validate_on_submit():
        try:
            batch = create_batch(campaign, form.first_month.data, form.last_month.data, user=current_user)
        except BatchEmpty as exc:
            db.session.rollback()
            form.last_month.errors = list(form.last_month.errors) + [str(exc)]
        else:
            db.session.commit()
            flash(_("Batch created. Download its file for BPJS."))
            return redirect(url_for("manage.batch", slug=campaign.slug, batch_id=batch.id))
    batches = db.session.scalars(sa.select(RemittanceBatch).where(RemittanceBatch.campaign_id == campaign.id)
                                 .order_by(RemittanceBatch.id.desc())).all()
    waiting = None
    if isinstance(form.first_month.data, int) and isinstance(form.last_month.data, int):
        waiting = waiting_to_send(campaign, form.first_month.data, form.last_month.data)
    return render_template("manage/remittance.html", campaign=campaign, form=form, batches=batches,
                           waiting=waiting)


@bp.get("/campaigns/<slug>/remittance/<int:batch_id>")
def batch(slug, batch_id):
    """Show a batch, its state and its acknowledgements."""
    campaign = campaign_for(slug, MANAGE)
    item = _batch(campaign, batch_id)
    return render_template("manage/batch.html", campaign=campaign, batch=item, summary=batch_summary(item),
                           transfer_form=TransferForm(), ack_form=AcknowledgementForm(),
                           cancel_form=ConfirmForm(), report=None)


@bp.get("/campaigns/<slug>/remittance/<int:batch_id>/bpjs.csv")
def batch_file(slug, batch_id):
    """Download the batch file for BPJS (full NIKs; every download is audited)."""
    campaign = campaign_for(slug, MANAGE)
    item = _batch(campaign, batch_id)
    try:
        text = export_batch(item, user=current_user)
    except BatchStateInvalid as exc:
        flash(str(exc))
        return redirect(url_for("manage.batch", slug=campaign.slug, batch_id=item.id))
    db.session.commit()
    return csv_download(text, f"{campaign.slug}-batch-{item.id}.csv")


@bp.post("/campaigns/<slug>/remittance/<int:batch_id>/transfer")
def batch_transfer(slug, batch_id):
    """Record the transfer that paid BPJS for the batch."""
    campaign = campaign_for(slug, MANAGE)
    item = _batch(campaign, batch_id)
    form = TransferForm()
    if form.validate_on_submit():
        try:
            record_transfer(item, form.reference.data, transferred_on=form.transferred_on.data, user=current_user)
        except BatchStateInvalid as exc:
            db.session.rollback()
            flash(str(exc))
        else:
            db.session.commit()
            flash(_("Transfer recorded. Upload BPJS's acknowledgement when it arrives."))
    else:
        flash(_("Give the transfer reference and date."))
    return redirect(url_for("manage.batch", slug=campaign.slug, batch_id=item.id))


@bp.post("/campaigns/<slug>/remittance/<int:batch_id>/acknowledgement")
def batch_acknowledgement(slug, batch_id):
    """Apply BPJS's answers: accepted workers get their KPJ, rejected months go back to the pool."""
    campaign = campaign_for(slug, MANAGE)
    item = _batch(campaign, batch_id)
    form = AcknowledgementForm()
    report = None
    if form.validate_on_submit():
        try:
            report = acknowledge_batch(item, form.file.data.read(), user=current_user,
                                       skip_invalid=form.skip_invalid.data)
        except (BatchStateInvalid, ImportFileInvalid) as exc:
            db.session.rollback()
            form.file.errors = list(form.file.errors) + [str(exc)]
        else:
            if report.applied:
                db.session.commit()
            else:
                db.session.rollback()
    status = 422 if report is not None and not report.applied else 200
    return render_template("manage/batch.html", campaign=campaign, batch=item, summary=batch_summary(item),
                           transfer_form=TransferForm(), ack_form=form, cancel_form=ConfirmForm(),
                           report=report), status


@bp.post("/campaigns/<slug>/remittance/<int:batch_id>/cancel")
def batch_cancel(slug, batch_id):
    """Withdraw a batch before its transfer; its months wait for another batch."""
    campaign = campaign_for(slug, MANAGE)
    item = _batch(campaign, batch_id)
    if ConfirmForm().validate_on_submit():
        try:
            cancel_batch(item, user=current_user)
        except BatchStateInvalid as exc:
            db.session.rollback()
            flash(str(exc))
        else:
            db.session.commit()
            flash(_("Batch cancelled; its months are waiting to be sent again."))
    return redirect(url_for("manage.remittance", slug=campaign.slug))
