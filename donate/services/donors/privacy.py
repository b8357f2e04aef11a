"""Donors' rights under UU PDP 27/2022: a copy of their data, and erasure of their account.

Erasure anonymises rather than deletes: the gifts stay (the ledger is
append-only and the money really arrived) but nothing in them points to the
person any more.
"""

import datetime as dt
import secrets
from collections import defaultdict

import sqlalchemy as sa
from flask_babel import lazy_gettext
from werkzeug.security import generate_password_hash

from ...extensions import db
from ...models import (
    Donation,
    OutboxMessage,
    PrivacyRequest,
    PrivacyRequestKind,
    RenewalReminder,
    Role,
    LIVE_SUBSCRIPTION_STATES,
    Subscription,
    User,
)
from .. import tallies
from ..errors import DomainError
from ..locks import lock_campaign
from ..money.subscriptions import cancel_subscription

#: Domain of the addresses given to erased accounts; ``.invalid`` never delivers mail.
ERASED_DOMAIN = "erased.invalid"


class ErasureRefused(DomainError):
    """An account that cannot erase itself (staff accounts are closed by an administrator)."""


def _gift_of(user: User):
    """Return the condition of a donor's gifts: the account's, and once the address is proven, those
    given under it without logging in, before the account existed or since."""
    own = Donation.donor_id == user.id
    if user.email_confirmed_at is None:  # an unproven address must not open someone else's gifts
        return own
    return sa.or_(own, sa.and_(Donation.donor_id.is_(None), Donation.donor_email == user.email))


def _donations(user: User) -> list[Donation]:
    return db.session.scalars(sa.select(Donation).where(_gift_of(user)).order_by(Donation.id)).all()


def unproven_gifts(user: User) -> int:
    """Return how many gifts under the account's address wait for the address to be confirmed."""
    if user.email_confirmed_at is not None:
        return 0
    return db.session.scalar(sa.select(sa.func.count()).select_from(Donation).where(
        Donation.donor_id.is_(None), Donation.donor_email == user.email))


def _subscriptions(user: User) -> list[Subscription]:
    return db.session.scalars(
        sa.select(Subscription).where(Subscription.donor_id == user.id).order_by(Subscription.id)).all()


def _emails(user: User) -> list[OutboxMessage]:
    return db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.to_email == user.email).order_by(OutboxMessage.id)).all()


def _when(value) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def export_donor_data(user: User, *, now: dt.datetime) -> dict:
    """Return everything held about a donor as JSON-ready data, and audit the export."""
    donations = _donations(user)
    db.session.add(PrivacyRequest(user_id=user.id, kind=PrivacyRequestKind.export, donations=len(donations)))
    db.session.flush()
    return {
        "exported_at": now.isoformat(timespec="seconds") + "Z",
        "account": {
            "email": user.email,
            "name": user.name,
            "role": user.role.value,
            "created_at": user.created_at.isoformat(timespec="seconds") + "Z",
            "email_confirmed": user.email_confirmed_at is not None,
            # Gifts under this address made without logging in are included once the address is confirmed.
            "gifts_waiting_for_email_confirmation": unproven_gifts(user),
        },
        "donations": [
            {
                "id": d.id,
                "campaign": d.campaign.slug,
                "kind": d.kind.value,
                "designation": d.designation.value,
                "amount_idr": d.amount_idr,
                "months": d.months,
                "workers_count": d.workers_count,
                "worker": d.worker.display_name if d.worker is not None else None,
                "donor_name": d.donor_name,
                "donor_email": d.donor_email,
                "npwp": d.npwp,
                "anonymous": d.is_anonymous,
                "message": d.message,
                "created_at": d.created_at.isoformat(timespec="seconds") + "Z",
                "payments": [
                    {"provider": p.provider, "amount_idr": p.amount_idr, "refunded_idr": p.refunded_idr,
                     "state": p.state.value,
                     "paid_at": p.paid_at.isoformat(timespec="seconds") + "Z" if p.paid_at else None}
                    for p in d.payments
                ],
            }
            for d in donations
        ],
        "monthly_sponsorships": [
            {"worker": s.worker.display_name, "designation": s.designation.value, "amount_idr": s.amount_idr,
             "state": s.state.value, "created_at": _when(s.created_at), "cancelled_at": _when(s.cancelled_at),
             "end_reason": s.end_reason.value if s.end_reason else None}
            for s in _subscriptions(user)
        ],
        "emails": [
            {"subject": m.subject, "kind": m.kind, "created_at": _when(m.created_at), "sent_at": _when(m.sent_at)}
            for m in _emails(user)
        ],
    }


def erase_donor(user: User, *, now: dt.datetime) -> int:
    """Anonymise a donor's account and gifts; return how many gifts were anonymised."""
    if user.role != Role.donor:
        raise ErasureRefused(lazy_gettext("staff accounts are closed by an administrator"))
    donations = _donations(user)
    pseudonym = f"erased-{user.id}@{ERASED_DOMAIN}"
    # Nobody is left to pay for: monthly sponsorships stop (months already paid stay funded).
    for subscription in _subscriptions(user):
        if subscription.state in LIVE_SUBSCRIPTION_STATES:
            cancel_subscription(subscription, now=now)
    # Mail not yet sent is dropped; mail already sent keeps its subject for the record, not the text.
    for message in _emails(user):
        if message.sent_at is None:
            db.session.delete(message)
        else:
            message.to_email = pseudonym
            message.body = ""
    db.session.execute(sa.update(RenewalReminder).where(RenewalReminder.donor_email == user.email)
                       .values(donor_email=pseudonym).execution_options(synchronize_session=False))
    # Who gave each gift changes: the campaigns' donor counts follow (the old address may have no gift left).
    sources: dict[int, set[str]] = defaultdict(set)
    for donation in donations:
        sources[donation.campaign_id].add(tallies.donor_source(donation))
        donation.donor_name = ""
        # A stable pseudonym, not NULL, so the campaign's count of distinct donors does not change.
        donation.donor_email = pseudonym
        donation.npwp = None
        donation.message = ""
        donation.is_anonymous = True
    db.session.flush()
    for campaign_id in sorted(sources):
        lock_campaign(campaign_id)
        tallies.recount_donors(campaign_id, sources[campaign_id] | {pseudonym})
    user.email = pseudonym
    user.name = ""
    # Nobody knows this password: the account can never be logged into again.
    user.password_hash = generate_password_hash(secrets.token_urlsafe(32))
    db.session.add(PrivacyRequest(user_id=user.id, kind=PrivacyRequestKind.erasure, donations=len(donations)))
    db.session.flush()
    return len(donations)
