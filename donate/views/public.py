"""Public pages: the campaign list and a campaign's progress."""

import sqlalchemy as sa
from flask import Blueprint, abort, render_template

from .. import clock
from ..extensions import db
from ..models import Campaign, CampaignStatus
from ..months import current_month
from ..services.campaigns.figures import public_funders
from ..services.campaigns.progress import campaign_progress
from ..services.coverage.rates import base_premium
from ..services.donors.gifts import recent_supporters

bp = Blueprint("public", __name__)


def get_campaign(slug: str) -> Campaign:
    """Return the public campaign with this slug or answer 404."""
    campaign = db.session.scalar(
        sa.select(Campaign).where(Campaign.slug == slug, Campaign.status != CampaignStatus.draft))
    if campaign is None:
        abort(404)
    return campaign


@bp.get("/")
def index():
    """List the campaigns with their progress."""
    campaigns = db.session.scalars(
        sa.select(Campaign).where(Campaign.status != CampaignStatus.draft).order_by(Campaign.created_at.desc())
    ).all()
    return render_template("public/index.html", premium=base_premium(current_month()),
                           items=[(c, campaign_progress(c, today=clock.today())) for c in campaigns])


@bp.get("/campaigns/<slug>")
def campaign(slug):
    """Show one campaign's progress toward its target."""
    campaign = get_campaign(slug)
    return render_template("public/campaign.html", campaign=campaign, progress=campaign_progress(campaign, today=clock.today()),
                           supporters=recent_supporters(campaign), funders=public_funders(campaign, today=clock.today()))
