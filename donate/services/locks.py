"""Row locks that work the same way on SQLite and PostgreSQL.

An UPDATE of a ``lock_version`` column takes PostgreSQL's row lock and
SQLite's database write lock, and holds it until the transaction ends, so
whatever the caller reads afterwards cannot change under it.

Taking a campaign's lock also gives it a new random ``figures_version``:
every change to a kept figure (``services.tallies``, the ledger's running
totals) and to the campaign's own settings happens in a transaction that
took the campaign lock, which :func:`campaign_locked` makes sure of and the
session hook below does for settings. So a committed ``figures_version``
names one state of everything the campaign's public pages show (the key of
their cache, ``campaigns.progress``), never reused, even by a database
restored from a backup.
"""

import secrets

import sqlalchemy as sa

from ..extensions import db
from ..models import Campaign, CampaignRegion, Claim, Worker

#: ``session.info`` keys: campaigns locked in the current transaction (forgotten at any rollback, a
#: savepoint's too, so a later change locks again) and whether it locked any at all (until it ends).
_LOCKED, _CHANGED = "locked_campaigns", "changed_campaigns"


def lock_campaign(campaign_id: int) -> None:
    """Serialise money moves within a campaign until the transaction ends (and version its figures)."""
    db.session.execute(
        sa.update(Campaign).where(Campaign.id == campaign_id)
        .values(lock_version=Campaign.lock_version + 1, figures_version=secrets.token_hex(8))
        .execution_options(synchronize_session=False)
    )
    db.session.info.setdefault(_LOCKED, set()).add(campaign_id)
    db.session.info[_CHANGED] = True


def campaign_locked(campaign_ids) -> None:
    """Take the lock of each campaign in ``campaign_ids`` this transaction has not taken yet."""
    locked = db.session.info.get(_LOCKED, set())
    for campaign_id in sorted(set(campaign_ids) - locked):
        lock_campaign(campaign_id)


def figures_changed_here() -> bool:
    """Return whether the current transaction changed (or is about to flush changes to) any campaign."""
    session = db.session()
    return bool(session.info.get(_CHANGED) or session.new or session.dirty or session.deleted)


#: Rows of their own that the public figures show (``campaigns.progress``): a change to one versions its campaign.
SHOWN_ROWS = (CampaignRegion, Claim)


@sa.event.listens_for(sa.orm.Session, "before_flush")
def _lock_edited_campaigns(session, flush_context, instances) -> None:
    """Lock (and so version) a campaign whose settings, regions or claims the ORM is about to change."""
    edited = {obj.id for obj in session.dirty if isinstance(obj, Campaign) and session.is_modified(obj)}
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, SHOWN_ROWS):
            owner = getattr(obj, "campaign", None)
            edited.add(obj.campaign_id or (owner.id if owner is not None else None))
    edited.discard(None)
    if edited:
        campaign_locked(edited)


@sa.event.listens_for(sa.orm.Session, "after_soft_rollback")
def _forget_rolled_back_locks(session, previous_transaction) -> None:
    session.info.pop(_LOCKED, None)


@sa.event.listens_for(sa.orm.Session, "after_transaction_end")
def _forget_locks(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_LOCKED, None)
        session.info.pop(_CHANGED, None)


def lock_worker(worker_id: int) -> None:
    """Serialise holds and sponsorships of one worker until the transaction ends."""
    db.session.execute(
        sa.update(Worker).where(Worker.id == worker_id)
        .values(lock_version=Worker.lock_version + 1)
        .execution_options(synchronize_session=False)
    )


def claim_once(model, **key) -> bool:
    """Insert a row keyed by ``key`` unless it exists; return whether this caller inserted it.

    ``INSERT ... ON CONFLICT DO NOTHING`` on both databases: on PostgreSQL a
    concurrent claimant waits for the first to commit and then gets
    ``False``; on SQLite the write lock serialises them. No savepoint is
    involved, so a later rollback takes the claim away too.
    """
    table = model.__table__
    inserted = db.session.execute(
        upsert(table).values(**key).on_conflict_do_nothing().returning(*table.primary_key.columns)
    ).first()
    return inserted is not None


def upsert(table):
    """Return an ``INSERT`` of ``table`` that takes ``ON CONFLICT`` on the session's database."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)
