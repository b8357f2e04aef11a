"""Status links: revocable QR-card tokens that open a worker's status without the NIK."""

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from ...crypto import vault
from ...extensions import db
from ...models import (
    Campaign,
    StatusLink,
    User,
    Worker,
)
from ..access.audit import record_action
from ..pages import Page, page_of


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_status_link(worker: Worker, *, by: User | None = None, now: dt.datetime) -> str:
    """Give the worker a new personal link, revoking any earlier one; return its token."""
    revoke_status_links(worker, now=now)
    token = secrets.token_urlsafe(24)
    db.session.add(StatusLink(worker_id=worker.id, token_hash=_token_hash(token),
                              token_encrypted=vault().encrypt(token)))
    db.session.flush()
    if by is not None:
        record_action("status_link.issue", user=by, campaign=worker.campaign, subject=worker.public_id,
                      params={"worker": worker.public_id})
    return token


def current_status_token(worker: Worker) -> str | None:
    """Return the token of the worker's live link, or ``None`` if there is none."""
    link = db.session.scalar(
        sa.select(StatusLink).where(StatusLink.worker_id == worker.id, StatusLink.revoked_at.is_(None))
        .order_by(StatusLink.id.desc()))
    return vault().decrypt(link.token_encrypted) if link is not None else None


def revoke_status_links(worker: Worker, *, by: User | None = None, now: dt.datetime) -> int:
    """Revoke the worker's live links (a lost card); return how many were revoked."""
    revoked = db.session.execute(
        sa.update(StatusLink)
        .where(StatusLink.worker_id == worker.id, StatusLink.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by_id=by.id if by is not None else None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.flush()
    if by is not None and revoked:
        record_action("status_link.revoke", user=by, campaign=worker.campaign, subject=worker.public_id,
                      params={"worker": worker.public_id})
    return revoked


def worker_for_token(token: str) -> Worker | None:
    """Return the worker a live link belongs to, or ``None`` for an unknown or revoked token."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        sa.select(Worker).join(StatusLink, StatusLink.worker_id == Worker.id)
        .where(StatusLink.token_hash == _token_hash(token), StatusLink.revoked_at.is_(None)))


@dataclass
class CardSheet:
    """One page of a campaign's printable status cards."""

    #: (worker, token of their live link), in registration order.
    cards: list[tuple[Worker, str]]
    with_link: int
    registered: int
    #: The page of cards shown (its number is never past the last page).
    page: Page


def card_sheet(campaign: Campaign, *, page: int, per_page: int) -> CardSheet:
    """Return one page of the campaign's workers that have a live status link, with their tokens."""
    live = (sa.select(Worker, StatusLink.token_encrypted)
            .join(StatusLink, StatusLink.worker_id == Worker.id)
            .where(Worker.campaign_id == campaign.id, StatusLink.revoked_at.is_(None)))
    sheet = page_of(live.order_by(Worker.registered_at, Worker.id), page, per_page, scalars=False)
    registered = db.session.scalar(
        sa.select(sa.func.count()).select_from(Worker).where(Worker.campaign_id == campaign.id))
    box = vault()
    return CardSheet([(worker, box.decrypt(token)) for worker, token in sheet], sheet.total, registered,
                     page=sheet)


def issue_missing_status_links(campaign: Campaign, *, by: User | None = None, limit: int = 500) -> int:
    """Give up to ``limit`` of the campaign's workers without a live link one; return how many."""
    has_link = sa.exists().where(StatusLink.worker_id == Worker.id, StatusLink.revoked_at.is_(None))
    workers = db.session.scalars(
        sa.select(Worker).where(Worker.campaign_id == campaign.id, ~has_link)
        .order_by(Worker.registered_at, Worker.id).limit(limit)).all()
    box = vault()
    for worker in workers:
        token = secrets.token_urlsafe(24)
        db.session.add(StatusLink(worker_id=worker.id, token_hash=_token_hash(token),
                                  token_encrypted=box.encrypt(token)))
    db.session.flush()
    if by is not None and workers:
        record_action("status_link.issue", user=by, campaign=campaign, params={"count": len(workers)})
    return len(workers)
