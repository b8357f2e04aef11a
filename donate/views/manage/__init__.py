"""Pages for campaign staff: admins, managers and verifiers (blueprint ``manage``, under ``/manage``).

Every route is checked twice: the blueprint lets in only staff (a visitor is
sent to log in, a donor gets 403), and each campaign page checks the user's
role and assignment to that campaign.
"""

import sqlalchemy as sa
from flask import Blueprint, Response, abort, render_template
from flask_login import current_user

from ...extensions import db, login_manager
from ...labels import label
from ...models import Campaign, Role
from ...services.access.staff import (
    can_manage,
    can_register,
    is_staff,
    visible_campaigns,
)

bp = Blueprint("manage", __name__, url_prefix="/manage")

#: What a page needs: see :func:`campaign_for`.
REGISTER, MANAGE = "register", "manage"


@bp.before_request
def require_staff():
    """Send visitors to log in and refuse anyone who is not staff."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not is_staff(current_user):
        abort(403)
    return None


@bp.context_processor
def staff_helpers() -> dict:
    """Let templates ask whether the user runs a campaign (to show only the links that work)."""
    return {"can_manage_campaign": lambda campaign: can_manage(current_user, campaign),
            "label": label}


def require_admin() -> None:
    """Refuse anyone but an admin."""
    if current_user.role != Role.admin:
        abort(403)


def campaign_for(slug: str, need: str = MANAGE) -> Campaign:
    """Return the campaign if the user may do ``need`` on it; 404 if it does not exist, else 403."""
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        abort(404)
    allowed = can_manage if need == MANAGE else can_register
    if not allowed(current_user, campaign):
        abort(403)
    return campaign


def csv_download(text: str, filename: str) -> Response:
    """Return CSV text as a download that no cache keeps."""
    return Response("\ufeff" + text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store",
    })


@bp.get("/")
def index():
    """List the campaigns the user works on."""
    campaigns = visible_campaigns(current_user)
    return render_template("manage/index.html", campaigns=campaigns,
                           can_manage={c.id: can_manage(current_user, c) for c in campaigns})


from . import admin, campaigns, cards, claims, funders, jobs, mandiri, money, news, remittance, transfers, workers  # noqa: E402,F401  (register the routes)
