"""Where a campaign's money came from and where it went, read from the ledger alone."""

import sqlalchemy as sa

from ...extensions import db
from ...models import (
    Account,
    Campaign,
    Designation,
    Donation,
    Journal,
    Payment,
    Posting,
)
from .. import ledger
from .progress import campaign_progress


def campaign_transparency(campaign: Campaign) -> dict:
    """Return the campaign's books by designation and funder, and its worker figures."""
    books = ledger.balances(campaign.id)
    designations = []
    for designation in Designation:
        row = {
            "designation": designation.value,
            "received_idr": -books[Account.received][designation],
            "refunded_idr": books[Account.refunded][designation],
            "pool_idr": books[Account.pool][designation],
            "allocated_idr": books[Account.allocated][designation],
            "remitted_idr": books[Account.remitted][designation],
        }
        if any(row[key] for key in row if key.endswith("_idr")) or designation in campaign.designations:
            designations.append(row)
    totals = {key: sum(row[key] for row in designations) for key in
              ("received_idr", "refunded_idr", "pool_idr", "allocated_idr", "remitted_idr")}

    # Money in by funder: institutions by name, online gifts together (donors are not listed one by one).
    received = -sa.func.sum(Posting.amount_idr)
    rows = db.session.execute(
        sa.select(Donation.designation, Donation.funder, received, sa.func.count(sa.distinct(Donation.id)))
        .select_from(Posting)
        .join(Journal, Journal.id == Posting.journal_id)
        .join(Payment, Payment.id == Journal.payment_id)
        .join(Donation, Donation.id == Payment.donation_id)
        .where(Posting.campaign_id == campaign.id, Posting.account == Account.received)
        .group_by(Donation.designation, Donation.funder)
        .order_by(received.desc(), Donation.funder)
    ).all()
    funders = [
        {"designation": designation.value, "funder": funder, "gifts": gifts, "received_idr": int(amount)}
        for designation, funder, amount, gifts in rows if amount
    ]
    return {
        "progress": campaign_progress(campaign),
        "designations": designations,
        "totals": totals,
        "funders": funders,
        # received - refunded = pool + allocated + remitted, or check-ledger would fail.
        "balanced": totals["received_idr"] - totals["refunded_idr"]
        == totals["pool_idr"] + totals["allocated_idr"] + totals["remitted_idr"],
    }
