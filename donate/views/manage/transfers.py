"""Bank transfers with a unique code: upload the bank statement, see what matched, assign the rest by hand."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import clock
from ...extensions import db
from ...forms.manage import AssignLineForm, StatementForm
from ...models import Role, StatementLine
from ...services.errors import DomainError
from ...services.money.transfers import (
    assign_line,
    candidates,
    open_lines,
    upload_statement,
    waiting_transfers,
)
from . import bp


def _require_money_staff() -> None:
    """Statements cover the foundation's whole account: managers and admins only."""
    if current_user.role not in (Role.manager, Role.admin):
        abort(403)


def _page(form, report=None, error=None):
    lines = open_lines()
    return render_template("manage/transfers.html", form=form, report=report, error=error, lines=lines,
                           choices={line.id: candidates(line.amount_idr, line.booked_on) for line in lines},
                           waiting=waiting_transfers(), assign_form=AssignLineForm())


@bp.get("/bank-transfers")
def bank_transfers():
    """Show transfers awaited, statement lines left to assign, and the upload form."""
    _require_money_staff()
    return _page(StatementForm())


@bp.post("/bank-transfers")
def upload_bank_statement():
    """Read an uploaded statement, confirm the transfers it pays and list what is left."""
    _require_money_staff()
    form = StatementForm()
    if not form.validate_on_submit():
        return _page(form)
    try:
        report = upload_statement(form.file.data.read(), form.bank.data, user=current_user,
                                  today=clock.today(), now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        return _page(form, error=str(exc))
    db.session.commit()
    return _page(StatementForm(), report=report)


@bp.post("/bank-transfers/lines/<int:line_id>/assign")
def assign_statement_line(line_id):
    """Say by hand which transfer a statement credit pays."""
    _require_money_staff()
    line = db.session.get(StatementLine, line_id)
    form = AssignLineForm()
    if line is None or not form.validate_on_submit():
        flash(_("Not assigned: choose a statement line and enter the number of the payment it pays."))
        return redirect(url_for("manage.bank_transfers"))
    try:
        payment = assign_line(line, form.payment_id.data, user=current_user,
                              today=clock.today(), now=clock.now())
    except DomainError as exc:
        db.session.rollback()
        flash(_("Not assigned: %(reason)s", reason=str(exc)))
    else:
        db.session.commit()
        flash(_("Payment %(id)s is confirmed by the statement line of %(day)s.", id=payment.id,
                day=line.booked_on.isoformat()))
    return redirect(url_for("manage.bank_transfers"))
