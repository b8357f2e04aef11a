"""Admin pages: users and their roles and campaigns; the audit log (managers see their campaigns')."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...extensions import db
from ...forms.manage import AssignForm, AuditFilterForm, UserRoleForm
from ...labels import audit_action
from ...models import Campaign, Role, User
from ...services.access import audit
from ...services.access.audit_details import describe
from ...services.access.staff import (
    AccessDenied,
    assign_staff,
    assigned_campaign_ids,
    change_role,
    unassign_staff,
    visible_campaigns,
)
from ...services.pages import page_of
from . import bp, require_admin

PAGE_SIZE = 100


@bp.get("/audit")
def audit_log():
    """Browse and filter the audit log."""
    campaigns = visible_campaigns(current_user)
    form = AuditFilterForm(request.args)
    form.action.choices = [("", _("Any"))] + [(a, audit_action(a)) for a in audit.ACTIONS]
    form.campaign.choices = [("", _("Any"))] + [(c.slug, c.name) for c in campaigns]
    form.validate()
    by_slug = {c.slug: c for c in campaigns}
    user_id = None
    if form.user.data:
        user_id = db.session.scalar(sa.select(User.id).where(User.email == form.user.data.strip().lower())) or -1
    chosen = by_slug.get(form.campaign.data or "")
    query = audit.audit_query(
        campaign_ids=None if current_user.role == Role.admin else [c.id for c in campaigns],
        campaign_id=chosen.id if chosen else None, action=form.action.data or None, user_id=user_id,
        since=form.since.data if not form.since.errors else None,
        until=form.until.data if not form.until.errors else None)
    page = page_of(query, request.args.get("page", 1, type=int), PAGE_SIZE, count=False)
    if page.past_end:
        abort(404)
    return render_template("manage/audit.html", form=form, events=page.items, page=page, describe=describe)


@bp.get("/users")
def users():
    """List staff and donors with their roles (admins only)."""
    require_admin()
    role = request.args.get("role", "")
    query = sa.select(User).order_by(User.role, User.email)
    if role in {r.value for r in Role}:
        query = query.where(User.role == Role(role))
    people = db.session.scalars(query.limit(500)).all()
    return render_template("manage/users.html", users=people, role=role)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id):
    """Change a user's role and campaigns (admins only)."""
    require_admin()
    person = db.session.get(User, user_id)
    if person is None:
        abort(404)
    campaigns = db.session.scalars(sa.select(Campaign).order_by(Campaign.name)).all()
    role_form = UserRoleForm(prefix="role", role=person.role.value)
    assign_form = AssignForm(prefix="assign")
    assign_form.campaign.choices = [(c.slug, c.name) for c in campaigns]
    if request.method == "POST":
        try:
            if "role-role" in request.form and role_form.validate_on_submit():
                change_role(person, Role(role_form.role.data), actor=current_user)
                db.session.commit()
                flash(_("Role saved."))
            elif assign_form.validate_on_submit():
                campaign = next(c for c in campaigns if c.slug == assign_form.campaign.data)
                if assign_form.assign.data == "add":
                    assign_staff(campaign, person, actor=current_user)
                else:
                    unassign_staff(campaign, person, actor=current_user)
                db.session.commit()
                flash(_("Campaigns saved."))
        except AccessDenied as exc:
            db.session.rollback()
            flash(str(exc))
        return redirect(url_for("manage.user", user_id=person.id))
    assigned = set(assigned_campaign_ids(person))
    return render_template("manage/user.html", person=person, role_form=role_form, assign_form=assign_form,
                           assigned=[c for c in campaigns if c.id in assigned])
