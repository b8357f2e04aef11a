"""The progress widget partners put on their own sites in an iframe."""

from flask import Blueprint, render_template

from .. import clock
from ..security import content_security_policy
from ..services.campaigns.progress import campaign_progress
from .public import get_campaign

bp = Blueprint("embed", __name__, url_prefix="/embed")


@bp.after_request
def frameable(response):
    """Let any site frame the widget, and let caches keep it for a minute."""
    response.headers.pop("X-Frame-Options", None)
    response.headers["Content-Security-Policy"] = content_security_policy(frame_ancestors="*")
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


@bp.get("/campaigns/<slug>")
def campaign(slug):
    """Show a campaign's progress as a small self-contained widget."""
    campaign = get_campaign(slug)
    return render_template("embed/campaign.html", campaign=campaign, progress=campaign_progress(campaign, today=clock.today()))
