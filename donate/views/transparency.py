"""Where each campaign's money came from and went, from the ledger."""

from flask import Blueprint, render_template
from flask_babel import lazy_gettext

from .. import clock
from ..services.campaigns.transparency import campaign_transparency
from .public import get_campaign

bp = Blueprint("transparency", __name__, url_prefix="/transparency")

DESIGNATION_LABELS = {
    "zakat": lazy_gettext("Zakat"),
    "infak": lazy_gettext("Infak and sedekah"),
    "csr": lazy_gettext("CSR and general"),
}


@bp.context_processor
def labels():
    """Name designations in the visitor's language."""
    return {"designation_label": lambda value: DESIGNATION_LABELS.get(value, value)}


@bp.get("/<slug>")
def campaign(slug):
    """Show a campaign's money by designation and funder, and its workers funded and protected."""
    campaign = get_campaign(slug)
    return render_template("transparency/campaign.html", campaign=campaign, books=campaign_transparency(campaign, today=clock.today()))
