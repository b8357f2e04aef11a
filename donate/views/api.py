"""The read-only JSON API under /api/v1/."""

import sqlalchemy as sa
from flask import Blueprint, jsonify

from ..extensions import csrf, db
from ..models import Campaign, CampaignStatus
from ..services.progress import campaign_progress
from .public import get_campaign

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)
#: DESIGN "JSON API": the campaign fields others rely on; the pages may use more of the progress.
CAMPAIGN_FIELDS = (
    "slug", "name", "target_workers", "term_months", "workers_registered", "workers_waiting",
    "workers_funded", "workers_protected", "worker_months_funded", "raised_idr", "allocated_idr",
    "pool_balance_idr", "donors", "premium_idr", "regions",
)


def _campaign_json(campaign: Campaign) -> dict:
    """Return a campaign's progress with exactly the documented fields."""
    progress = campaign_progress(campaign)
    return {name: progress[name] for name in CAMPAIGN_FIELDS}


@bp.get("/campaigns")
def campaigns():
    """List every public campaign with its progress."""
    rows = db.session.scalars(
        sa.select(Campaign).where(Campaign.status != CampaignStatus.draft).order_by(Campaign.id)
    ).all()
    return jsonify([_campaign_json(c) for c in rows])


@bp.get("/campaigns/<slug>")
def campaign(slug):
    """Return one campaign's progress."""
    return jsonify(_campaign_json(get_campaign(slug)))


@bp.errorhandler(404)
def not_found(error):
    """Answer API 404s in JSON."""
    return jsonify(error="not_found"), 404
