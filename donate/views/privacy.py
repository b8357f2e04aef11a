"""Donors' own data: download it, or erase the account (gifts stay in the ledger, anonymised)."""

import json

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from .. import clock
from ..extensions import db
from ..forms.privacy import EraseForm, ExportForm
from ..services.donors import privacy as service

bp = Blueprint("privacy", __name__, url_prefix="/privacy")


@bp.after_request
def private(response):
    """Keep personal data out of shared caches."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
@login_required
def index():
    """Explain what is kept and offer the download and the erasure."""
    return render_template("privacy/index.html", export_form=ExportForm(), erase_form=EraseForm())


@bp.post("/export")
@login_required
def export():
    """Send the donor's data as a JSON file."""
    form = ExportForm()
    if not form.validate_on_submit():
        return redirect(url_for("privacy.index"))
    data = service.export_donor_data(current_user, now=clock.now())
    db.session.commit()
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="lindungi-data.json"'},
    )


@bp.post("/erase")
@login_required
def erase():
    """Erase the donor's account after they confirm with their password."""
    form = EraseForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.password.data):
            form.password.errors.append(_("The password is not correct."))
        else:
            try:
                service.erase_donor(current_user, now=clock.now())
            except service.ErasureRefused:
                flash(_("Staff accounts are closed by an administrator."))
                return redirect(url_for("privacy.index"))
            db.session.commit()
            logout_user()
            flash(_("Your account was erased. Your gifts remain in the campaign's books without your name."))
            return redirect(url_for("public.index"))
    return render_template("privacy/index.html", export_form=ExportForm(), erase_form=form), 400
