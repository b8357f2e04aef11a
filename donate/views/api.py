"""The read-only JSON API under /api/v1/."""

import sqlalchemy as sa
from flask import Blueprint, jsonify

from ..extensions import csrf, db
from ..models import Campaign, CampaignStatus
from ..services.progress import campaign_progress
from .public import get_campaign

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


@bp.get("/campaigns")
def campaigns():
    """List every public campaign with its progress."""
    rows = db.session.scalars(
        sa.select(Campaign).where(Campaign.status != CampaignStatus.draft).order_by(Campaign.id)
    ).all()
    return jsonify([campaign_progress(c) for c in rows])


@bp.get("/campaigns/<slug>")
def campaign(slug):
    """Return one campaign's progress."""
    return jsonify(campaign_progress(get_campaign(slug)))


@bp.errorhandler(404)
def not_found(error):
    """Answer API 404s in JSON."""
    return jsonify(error="not_found"), 404
