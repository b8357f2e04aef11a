"""Row locks that work the same way on SQLite and PostgreSQL.

An UPDATE of a ``lock_version`` column takes PostgreSQL's row lock and
SQLite's database write lock, and holds it until the transaction ends, so
whatever the caller reads afterwards cannot change under it.
"""

import sqlalchemy as sa

from ..extensions import db
from ..models import Campaign, Worker


def lock_campaign(campaign_id: int) -> None:
    """Serialise money moves within a campaign until the transaction ends."""
    db.session.execute(
        sa.update(Campaign).where(Campaign.id == campaign_id)
        .values(lock_version=Campaign.lock_version + 1)
        .execution_options(synchronize_session=False)
    )


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
