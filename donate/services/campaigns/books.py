"""A campaign's money by designation and by funder, from the ledger's kept totals: one definition for every page."""

from dataclasses import dataclass

import sqlalchemy as sa

from ...extensions import db
from ...models import Account, Campaign, Designation, FunderTally
from .. import ledger

#: Name of the gifts that came without a named funder (online donors together).
INDIVIDUALS = ""
#: The ledger's accounts a campaign's books show, by the name each figure goes by.
FIGURES = {"received": Account.received, "refunded": Account.refunded, "pool": Account.pool,
           "allocated": Account.allocated, "remitted": Account.remitted, "shortfall": Account.shortfall,
           "suspense": Account.suspense}
#: Accounts whose balance is a credit, shown as a positive amount: money in, and money owed back to the pool.
CREDITS = (Account.received, Account.shortfall)


def money_by_designation(campaign: Campaign) -> dict[Designation, dict[str, int]]:
    """Return received, refunded, pool, allocated, remitted, shortfall and suspense money per designation.

    "received" counts only money booked to payments (what waits in suspense
    for a manager is shown apart); "shortfall" is refunded money that had
    already been spent, still owed back to the pool by the next gifts.
    Every designation the campaign accepts is shown, and any other that has
    money in its books.
    """
    books = ledger.balances(campaign.id)
    shown = [d for d in Designation if d in campaign.designations or any(books[a][d] for a in Account)]
    figures = {d: {name: (-1 if account in CREDITS else 1) * books[account][d]
                   for name, account in FIGURES.items()}
               for d in shown}
    for row in figures.values():
        row["received"] -= row["suspense"]
    return figures


@dataclass
class FunderRow:
    #: The institution's name, or :data:`INDIVIDUALS` for online donors together.
    funder: str
    designation: Designation
    received_idr: int
    refunded_idr: int
    gifts: int

    @property
    def net_idr(self) -> int:
        """Return the money that stayed with the campaign."""
        return self.received_idr - self.refunded_idr


def money_by_funder(campaign: Campaign) -> list[FunderRow]:
    """Return money received and refunded per named funder and designation (online donors together).

    Largest first, online donors last.
    """
    # Kept with every posting of a payment (``services.tallies.count_postings``), not summed per request.
    rows = db.session.execute(
        sa.select(FunderTally.funder, FunderTally.designation, FunderTally.account, FunderTally.amount_idr,
                  FunderTally.postings)
        .where(FunderTally.campaign_id == campaign.id,
               FunderTally.account.in_([Account.received, Account.refunded]), FunderTally.postings != 0))
    found: dict[tuple[str, Designation], FunderRow] = {}
    for funder, designation, account, total, gifts in rows:
        item = found.setdefault((funder, designation), FunderRow(funder, designation, 0, 0, 0))
        if account == Account.received:
            item.received_idr += -int(total)
            item.gifts += gifts
        else:
            item.refunded_idr += int(total)
    return sorted(found.values(), key=lambda r: (r.funder == INDIVIDUALS, -r.net_idr, r.funder, r.designation.value))


def gifts_received(campaign: Campaign) -> int:
    """Return how many payments brought money into the campaign (their postings to ``received``)."""
    return int(db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(FunderTally.postings), 0))
        .where(FunderTally.campaign_id == campaign.id, FunderTally.account == Account.received)))
