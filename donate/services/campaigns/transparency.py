"""Where a campaign's money came from and where it went, read from the ledger alone."""

import datetime as dt

from ...models import Campaign
from .books import FIGURES, INDIVIDUALS, money_by_designation, money_by_funder
from .progress import campaign_progress


def campaign_transparency(campaign: Campaign, *, today: dt.date) -> dict:
    """Return the campaign's books by designation and funder, and its worker figures."""
    designations = [{"designation": designation.value, **{f"{name}_idr": amount for name, amount in row.items()}}
                    for designation, row in money_by_designation(campaign).items()]
    totals = {f"{name}_idr": sum(row[f"{name}_idr"] for row in designations) for name in FIGURES}
    # Money in by funder: institutions by name, online gifts together (donors are not listed one by one).
    funders = [
        {"designation": row.designation.value, "funder": row.funder if row.funder != INDIVIDUALS else None,
         "gifts": row.gifts, "received_idr": row.received_idr}
        for row in sorted(money_by_funder(campaign), key=lambda r: (-r.received_idr, r.funder))
        if row.received_idr
    ]
    return {
        "progress": campaign_progress(campaign, today=today),
        "designations": designations,
        "totals": totals,
        "funders": funders,
        # received - refunded + shortfall still owed = pool + allocated + remitted, or check-ledger would fail.
        "balanced": totals["received_idr"] - totals["refunded_idr"] + totals["shortfall_idr"]
        == totals["pool_idr"] + totals["allocated_idr"] + totals["remitted_idr"],
    }
