"""The worker registry: search, register one, upload many, verify or reject."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import clock
from ...extensions import db
from ...forms.manage import (
    ClaimForm,
    ConfirmForm,
    NikLookupForm,
    UploadForm,
    WorkerForm,
    WorkerSearchForm,
    WorkerUpdateForm,
)
from ...models import CoverageMonth, Verification, Worker
from ...regions import regency_name
from ...services.access.staff import can_manage
from ...services.coverage.claims import claims_of
from ...services.pages import page_of
from ...services.workers import imports, registry
from ...services.workers.imports import (
    ImportFileInvalid,
    rejected_rows_csv,
)
from ...services.workers.registry import (
    WorkerInvalid,
    WorkerUpdateRefused,
    find_worker_by_nik,
    masked_nik,
    register_one,
    registered_count,
    update_worker,
)
from . import REGISTER, bp, campaign_for, csv_download

PAGE_SIZE = 50
#: Enough to verify a partner's whole list page by page.
MAX_PAGE_SIZE = 500


def _search(campaign, form: WorkerSearchForm) -> tuple[sa.Select, bool]:
    """Return the query of the registry search, and whether it narrows the campaign's list."""
    conditions = []
    if form.name.data:
        words = form.name.data.split()
        for word in words:
            conditions.append(Worker.full_name.ilike(f"%{word.replace('%', '').replace('_', '')}%"))
    if form.regency.data:
        conditions.append(Worker.regency_code == form.regency.data.strip())
    state = form.state.data
    if state in ("pending", "verified", "rejected"):
        conditions.append(Worker.verification == Verification(state))
    elif state == "flagged":
        conditions.append(Worker.flag_reason.is_not(None))
    elif state == "no-consent":
        conditions.append(Worker.consent_at.is_(None))
    return sa.select(Worker).where(Worker.campaign_id == campaign.id, *conditions), bool(conditions)


@bp.get("/campaigns/<slug>/workers")
def workers(slug):
    """Search the campaign's workers by NIK, name, regency or state."""
    campaign = campaign_for(slug, REGISTER)
    form = WorkerSearchForm(request.args)
    form.validate()
    per_page = min(max(request.args.get("per_page", PAGE_SIZE, type=int), 10), MAX_PAGE_SIZE)
    query, filtered = _search(campaign, form)
    # Newest first along ix_workers_registered; the unfiltered total is the kept tally, not a count.
    page = page_of(query.order_by(Worker.registered_at.desc(), Worker.id.desc()),
                   request.args.get("page", 1, type=int), per_page, key=Worker.id,
                   total=None if filtered else registered_count(campaign))
    return render_template("manage/workers.html", campaign=campaign, form=form, workers=page.items,
                           total=page.total, page=page, masked={w.id: masked_nik(w) for w in page}, regency_name=regency_name,
                           can_manage=can_manage(current_user, campaign), verify_form=ConfirmForm(),
                           nik_form=NikLookupForm())


@bp.post("/campaigns/<slug>/workers/find")
def find_worker(slug):
    """Open the worker with this exact NIK, found through the keyed hash."""
    campaign = campaign_for(slug, REGISTER)
    form = NikLookupForm()
    if form.validate_on_submit():
        found = find_worker_by_nik(form.nik.data)
        if found is not None and found.campaign_id == campaign.id:
            return redirect(url_for("manage.worker", slug=campaign.slug, public_id=found.public_id))
    flash(_("No worker of this campaign has that NIK."))
    return redirect(url_for("manage.workers", slug=campaign.slug))


@bp.post("/campaigns/<slug>/workers/verify")
def verify_workers(slug):
    """Verify the pending workers ticked in the registry."""
    campaign = campaign_for(slug, REGISTER)
    if ConfirmForm().validate_on_submit():
        count = registry.verify_workers(campaign, request.form.getlist("worker"), user=current_user)
        db.session.commit()
        flash(_("%(count)s workers verified.", count=count))
    return redirect(url_for("manage.workers", slug=campaign.slug, state="pending"))


@bp.route("/campaigns/<slug>/workers/new", methods=["GET", "POST"])
def new_worker(slug):
    """Register one worker by form, with the same checks as a CSV row."""
    campaign = campaign_for(slug, REGISTER)
    form = WorkerForm()
    if form.validate_on_submit():
        try:
            worker = register_one(campaign, form.data, user=current_user, verified=form.verified.data,
                                  today=clock.today(), now=clock.now())
        except WorkerInvalid as exc:
            db.session.rollback()
            field = getattr(form, exc.field, None) or form.nik
            field.errors = list(field.errors) + [exc.message]
        else:
            db.session.commit()
            flash(_("Worker registered."))
            return redirect(url_for("manage.worker", slug=campaign.slug, public_id=worker.public_id))
    return render_template("manage/worker_form.html", campaign=campaign, form=form)


@bp.route("/campaigns/<slug>/workers/upload", methods=["GET", "POST"])
def upload_workers(slug):
    """Upload a worker CSV: every bad row reported with its line; nothing imported unless asked to skip them."""
    campaign = campaign_for(slug, REGISTER)
    form = UploadForm()
    file_error = None
    if form.validate_on_submit():
        try:
            job = imports.start_upload(campaign, form.file.data.read(), user=current_user,
                                       verified=not form.pending.data, skip_invalid=form.skip_invalid.data,
                                       today=clock.today())
        except ImportFileInvalid as exc:
            db.session.rollback()
            file_error = str(exc)
        else:
            # The rows are checked and imported off the request; the job's page shows how far it got.
            db.session.commit()
            return redirect(url_for("manage.job", slug=campaign.slug, job_token=job.token))
    return render_template("manage/upload.html", campaign=campaign, form=form,
                           file_error=file_error), 400 if file_error else 200


@bp.get("/campaigns/<slug>/workers/rejected/<token>.csv")
def rejected_rows(slug, token):
    """Download the rejected rows of an upload with their line and reason."""
    campaign = campaign_for(slug, REGISTER)
    content = rejected_rows_csv(campaign, token, now=clock.now(), user=current_user)
    if content is None:
        abort(404)
    db.session.commit()
    return csv_download(content, f"{campaign.slug}-rejected-rows.csv")


@bp.route("/campaigns/<slug>/workers/<public_id>", methods=["GET", "POST"])
def worker(slug, public_id):
    """Show a worker; verify or reject, record consent, mark mustahik, set priority."""
    campaign = campaign_for(slug, REGISTER)
    item = db.session.scalar(sa.select(Worker).where(Worker.public_id == public_id,
                                                     Worker.campaign_id == campaign.id))
    if item is None:
        abort(404)
    form = WorkerUpdateForm(obj=item)
    if request.method == "GET":
        form.verification.data = item.verification.value
        form.mustahik.data = item.is_mustahik
        form.consent.data = item.consent_at is not None
        form.reason.data = item.flag_reason if item.verification == Verification.rejected else ""
    if form.validate_on_submit():
        try:
            changes = update_worker(
                item, user=current_user, verification=Verification(form.verification.data),
                reason=form.reason.data or "", is_mustahik=form.mustahik.data, consent=form.consent.data,
                priority=form.priority.data or 0, clear_flag=form.clear_flag.data,
                now=clock.now())
        except WorkerUpdateRefused as exc:
            db.session.rollback()
            form.reason.errors = list(form.reason.errors) + [str(exc)]
        else:
            db.session.commit()
            flash(_("Saved.") if changes else _("Nothing changed."))
            return redirect(url_for("manage.worker", slug=campaign.slug, public_id=item.public_id))
    months = db.session.scalars(sa.select(CoverageMonth).where(CoverageMonth.worker_id == item.id)
                                .order_by(CoverageMonth.month)).all()
    return render_template("manage/worker.html", campaign=campaign, worker=item, form=form, months=months,
                           masked=masked_nik(item), regency_name=regency_name, claim_form=ClaimForm(),
                           claims=claims_of(item))
