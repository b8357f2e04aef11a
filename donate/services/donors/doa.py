"""Doa: donors' messages shown as prayers, the "Aamiin" visitors say to them, and a manager's hide."""

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from ...extensions import db
from ...models import Amin, Campaign, Donation, Payment, PaymentState, User
from ..access.audit import record_action
from ..pages import page_of

#: Prayers per page on the campaign page.
PER_PAGE = 10


@dataclass(frozen=True)
class Prayer:
    donation_id: int
    #: As the donor chose to appear ("Hamba Allah" when anonymous).
    name: str
    message: str
    paid_at: dt.datetime
    amins: int
    #: Whether this visitor already said Aamiin.
    said: bool
    hidden: bool


def visitor_key(visitor_id: str) -> str:
    """Return the stored form of a visitor's cookie id (a keyed hash, never the id itself)."""
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"amin:{visitor_id}".encode(), hashlib.sha256).hexdigest()


def prayers(campaign: Campaign, *, page: int = 1, per_page: int = PER_PAGE, visitor_id: str | None = None,
            include_hidden: bool = False) -> tuple[list[Prayer], bool]:
    """Return one page of the campaign's prayers, newest gift first, and whether another page follows.

    The query walks the partial index of gifts with a message
    (``ix_donations_doa``) and reads ``per_page + 1`` rows, so a page costs
    the same however many gifts the campaign has, with or without a doa.
    """
    query = (
        sa.select(Donation, Payment.paid_at)
        .join(Payment, Payment.donation_id == Donation.id)
        # The index's own literal condition, so both planners see the index applies.
        .where(Donation.campaign_id == campaign.id, Donation.message != sa.literal_column("''"),
               Payment.state == PaymentState.paid)
    )
    if not include_hidden:
        query = query.where(Donation.message_hidden_at.is_(None))
    found = page_of(query.order_by(Donation.id.desc()), page, per_page, count=False, scalars=False)
    rows, has_next = found.items, found.has_next
    said = set()
    if visitor_id and rows:
        said = set(db.session.scalars(sa.select(Amin.donation_id).where(
            Amin.visitor == visitor_key(visitor_id), Amin.donation_id.in_([d.id for d, _ in rows]))))
    return [Prayer(d.id, d.public_name, d.message, paid_at, d.amins, d.id in said, d.message_hidden_at is not None)
            for d, paid_at in rows], has_next


def say_amin(campaign: Campaign, donation_id: int, visitor_id: str, *, now: dt.datetime) -> bool:
    """Count one visitor's Aamiin to a shown prayer once; return whether it was counted now."""
    donation = db.session.get(Donation, donation_id)
    if (donation is None or donation.campaign_id != campaign.id or not donation.message
            or donation.message_hidden_at is not None):
        return False
    try:
        with db.session.begin_nested():
            db.session.add(Amin(donation_id=donation.id, visitor=visitor_key(visitor_id), created_at=now))
            db.session.flush()
    except IntegrityError:  # this visitor already said it
        return False
    db.session.execute(sa.update(Donation).where(Donation.id == donation.id)
                       .values(amins=Donation.amins + 1).execution_options(synchronize_session=False))
    db.session.expire(donation, ["amins"])
    return True


def hide_prayer(campaign: Campaign, donation_id: int, *, hidden: bool, user: User | None,
                now: dt.datetime) -> Donation | None:
    """Hide a message for abuse (or show it again); the gift itself is untouched. ``None`` if not found."""
    donation = db.session.get(Donation, donation_id)
    if donation is None or donation.campaign_id != campaign.id:
        return None
    donation.message_hidden_at = now if hidden else None
    record_action("campaign.doa_hide", user=user, campaign=campaign, subject=f"donation {donation.id}",
                  params={"donation": donation.id, "hidden": hidden})
    db.session.flush()
    return donation
