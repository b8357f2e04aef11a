"""Pages for campaign staff: admins, managers and verifiers (blueprint ``manage``, under ``/manage``).

Every route is checked twice: the blueprint lets in only staff (a visitor is
sent to log in, a donor gets 403), and each campaign page checks the user's
role and assignment to that campaign.
"""

import sqlalchemy as sa
from flask import Blueprint, Response, abort, render_template
from flask_babel import lazy_gettext
from flask_login import current_user

from ...extensions import db, login_manager
from ...models import (
    AllocationKind,
    BatchState,
    Campaign,
    CampaignStatus,
    CoverageState,
    Designation,
    PaymentState,
    Role,
    Sex,
    Verification,
)
from ...services.access.staff import (
    can_manage,
    can_register,
    is_staff,
    visible_campaigns,
)

bp = Blueprint("manage", __name__, url_prefix="/manage")

#: Words for the states and kinds the pages show (the enums' values are English identifiers).
LABELS = {
    CampaignStatus.draft: lazy_gettext("draft"), CampaignStatus.open: lazy_gettext("open"),
    CampaignStatus.paused: lazy_gettext("paused"), CampaignStatus.closed: lazy_gettext("closed"),
    Verification.pending: lazy_gettext("pending verification"), Verification.verified: lazy_gettext("verified"),
    Verification.rejected: lazy_gettext("rejected"),
    BatchState.created: lazy_gettext("created, not yet transferred"),
    BatchState.sent: lazy_gettext("transferred, waiting for BPJS"), BatchState.reconciled: lazy_gettext("reconciled"),
    BatchState.cancelled: lazy_gettext("cancelled"),
    CoverageState.funded: lazy_gettext("funded"), CoverageState.remitted: lazy_gettext("sent to BPJS"),
    CoverageState.accepted: lazy_gettext("accepted by BPJS"), CoverageState.rejected: lazy_gettext("rejected by BPJS"),
    Designation.zakat: lazy_gettext("zakat"), Designation.infak: lazy_gettext("infak/sedekah"),
    Designation.csr: lazy_gettext("CSR and general"),
    PaymentState.paid: lazy_gettext("paid"), PaymentState.refunded: lazy_gettext("refunded"),
    PaymentState.disputed: lazy_gettext("disputed"),
    AllocationKind.renewal: lazy_gettext("renewal"), AllocationKind.new: lazy_gettext("new workers"),
    AllocationKind.sponsorship: lazy_gettext("sponsorship"),
    Role.donor: lazy_gettext("donor"), Role.verifier: lazy_gettext("verifier"), Role.manager: lazy_gettext("manager"),
    Role.admin: lazy_gettext("admin"),
    Sex.male: lazy_gettext("male"), Sex.female: lazy_gettext("female"),
}

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
            "label": lambda member: str(LABELS.get(member, getattr(member, "value", member)))}


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


from . import admin, campaigns, money, remittance, workers  # noqa: E402,F401  (register the routes)
