"""Public pages: the campaign list, a campaign's page with its news and doa, its pictures, unsubscribing."""

import re
import secrets

import sqlalchemy as sa
from flask import Blueprint, abort, redirect, render_template, request, send_from_directory, session, url_for

from .. import clock
from ..extensions import db, limiter
from ..models import Campaign, CampaignStatus
from ..security import MAX_PAGE
from ..months import current_month
from ..services.campaigns import updates
from ..services.campaigns.images import WIDTHS, file_name, media_dir
from ..services.campaigns.page import campaign_page
from ..services.campaigns.progress import campaign_progress
from ..services.coverage.rates import base_premium
from ..services.donors.doa import say_amin

bp = Blueprint("public", __name__)

#: A year: pictures are stored under their content's hash and never change.
MEDIA_MAX_AGE = 365 * 24 * 3600


def get_campaign(slug: str) -> Campaign:
    """Return the public campaign with this slug or answer 404."""
    campaign = db.session.scalar(
        sa.select(Campaign).where(Campaign.slug == slug, Campaign.status != CampaignStatus.draft))
    if campaign is None:
        abort(404)
    return campaign


def visitor_id() -> str:
    """Return this browser's random id (in the signed session), for counting an Aamiin once."""
    if "visitor" not in session:
        session["visitor"] = secrets.token_urlsafe(16)
    return session["visitor"]


@bp.get("/")
def index():
    """List the campaigns with their progress."""
    campaigns = db.session.scalars(
        sa.select(Campaign).where(Campaign.status != CampaignStatus.draft).order_by(Campaign.created_at.desc())
    ).all()
    return render_template("public/index.html", premium=base_premium(current_month(clock.today())),
                           items=[(c, campaign_progress(c, today=clock.today())) for c in campaigns])


@bp.get("/campaigns/<slug>")
def campaign(slug):
    """Show one campaign: money and workers toward the target, its story, news and doa."""
    campaign = get_campaign(slug)
    page = campaign_page(campaign, today=clock.today(), doa_page=request.args.get("page", 1, type=int),
                         visitor_id=session.get("visitor"))
    return render_template("public/campaign.html", campaign=campaign, page=page, progress=page.progress,
                           supporters=page.supporters, funders=page.funders)


@bp.post("/campaigns/<slug>/doa/<int:donation_id>/amin")
@limiter.limit("30 per minute")
def amin(slug, donation_id):
    """Say "Aamiin" to a doa (counted once per visitor); a plain form, no JavaScript needed."""
    campaign = get_campaign(slug)
    say_amin(campaign, donation_id, visitor_id(), now=clock.now())
    db.session.commit()
    doa_page = request.form.get("page", 1, type=int)
    return redirect(url_for("public.campaign", slug=slug, page=doa_page if 1 < doa_page <= MAX_PAGE else None,
                            _anchor=f"doa-{donation_id}"))


@bp.get("/media/<name>-<int:width>.jpg")
def media(name, width):
    """Serve a campaign picture, cached for a year (its name changes when the picture does)."""
    if not re.fullmatch(r"[0-9a-f]{32}", name) or width not in WIDTHS:
        abort(404)
    response = send_from_directory(media_dir(), file_name(name, width), max_age=MEDIA_MAX_AGE)
    response.cache_control.immutable = True
    response.cache_control.public = True
    return response


@bp.get("/updates/unsubscribe/<token>")
def unsubscribe(token):
    """Stop a campaign's news to the address in the emailed link (opening it again is harmless)."""
    campaign = updates.unsubscribe(token, now=clock.now())
    if campaign is None:
        abort(404)
    db.session.commit()
    return render_template("public/unsubscribe.html", campaign=campaign)
