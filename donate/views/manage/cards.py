"""Printable status cards: a worker's personal status link as a QR code, for the campaign's managers."""

import segno
import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from ... import clock
from ...extensions import db
from ...models import Worker
from ...services.coverage.links import (
    card_sheet,
    current_status_token,
    issue_missing_status_links,
    issue_status_link,
    revoke_status_links,
)
from ...services.coverage.lookup import mask_name
from . import MANAGE, bp, campaign_for

#: Cards on one printed sheet.
CARDS_PER_PAGE = 24


def _worker(slug: str, public_id: str) -> Worker:
    """Return the campaign's worker if the user manages the campaign."""
    campaign = campaign_for(slug, MANAGE)
    worker = db.session.scalar(sa.select(Worker).where(Worker.public_id == public_id,
                                                       Worker.campaign_id == campaign.id))
    if worker is None:
        abort(404)
    return worker


def qr_svg(url: str) -> Markup:
    """Return an inline SVG QR code of ``url``."""
    return Markup(segno.make(url, error="m").svg_inline(scale=4, title=_("Status link")))


def _card(worker: Worker, token: str) -> dict:
    url = url_for("status.link", token=token, _external=True)
    return {"worker": worker, "masked_name": mask_name(worker.full_name), "url": url, "qr": qr_svg(url)}


@bp.get("/campaigns/<slug>/workers/<public_id>/card")
def card(slug, public_id):
    """Show one worker's printable card with the QR code of their personal link."""
    worker = _worker(slug, public_id)
    token = current_status_token(worker)
    return render_template("manage/card.html", worker=worker, card=_card(worker, token) if token else None)


@bp.post("/campaigns/<slug>/workers/<public_id>/card/issue")
def issue_card(slug, public_id):
    """Give the worker a new personal link; any earlier card stops working."""
    worker = _worker(slug, public_id)
    issue_status_link(worker, by=current_user, now=clock.now())
    db.session.commit()
    flash(_("A new status link was issued. Earlier cards no longer open the status."))
    return redirect(url_for("manage.card", slug=slug, public_id=public_id))


@bp.post("/campaigns/<slug>/workers/<public_id>/card/revoke")
def revoke_card(slug, public_id):
    """Revoke the worker's personal link (a lost card)."""
    worker = _worker(slug, public_id)
    revoke_status_links(worker, by=current_user, now=clock.now())
    db.session.commit()
    flash(_("The status link was revoked."))
    return redirect(url_for("manage.card", slug=slug, public_id=public_id))


@bp.get("/campaigns/<slug>/cards")
def cards(slug):
    """Show a printable sheet of cards for a campaign's workers who have a link."""
    campaign = campaign_for(slug, MANAGE)
    sheet = card_sheet(campaign, page=request.args.get("page", 1, type=int), per_page=CARDS_PER_PAGE)
    return render_template(
        "manage/cards.html", campaign=campaign, page=sheet.page,
        cards=[_card(worker, token) for worker, token in sheet.cards],
        without=sheet.registered - sheet.with_link)


@bp.post("/campaigns/<slug>/cards/issue")
def issue_cards(slug):
    """Issue links for the campaign's workers who have none yet (up to 500 at a time)."""
    campaign = campaign_for(slug, MANAGE)
    issued = issue_missing_status_links(campaign, by=current_user)
    db.session.commit()
    flash(_("Status links issued: %(count)s.", count=issued))
    return redirect(url_for("manage.cards", slug=slug))
