"""Reserve a named worker for one donor while they pay."""

import datetime as dt

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext

from ...extensions import db
from ...models import Donation, Hold, Worker
from ...months import current_month
from ..errors import DomainError
from ..locks import lock_worker
from .waitlist import is_fundable, next_fundable_month


class WorkerUnavailable(DomainError):
    """The worker cannot be sponsored now (held by another donor, or not eligible)."""


def hold_worker(donation: Donation, *, now: dt.datetime, today: dt.date,
                minutes: int | None = None) -> Hold:
    """Reserve ``donation.worker`` for this donation for ``minutes`` (``HOLD_MINUTES`` unless told)."""
    worker = db.session.get(Worker, donation.worker_id)
    lock_worker(worker.id)
    if not is_fundable(worker, donation.designation, donation.campaign):
        raise WorkerUnavailable(lazy_gettext("this worker cannot be funded with this kind of gift"))
    db.session.execute(sa.delete(Hold).where(Hold.worker_id == worker.id, Hold.expires_at <= now))
    if db.session.scalar(sa.select(Hold.id).where(Hold.worker_id == worker.id)) is not None:
        raise WorkerUnavailable(lazy_gettext("another donor is paying for this worker right now"))
    hold = Hold(
        worker_id=worker.id,
        donation_id=donation.id,
        first_month=next_fundable_month(worker.id, current_month(today)),
        months=donation.months,
        expires_at=now + dt.timedelta(minutes=minutes or current_app.config["HOLD_MINUTES"]),
    )
    db.session.add(hold)
    db.session.flush()
    return hold


def held_for_another(worker: Worker, user_id: int | None, *, now: dt.datetime) -> Hold | None:
    """Return the live hold another donor has on ``worker`` (a hold of ``user_id``'s own gift does not count)."""
    hold = db.session.scalar(sa.select(Hold).where(Hold.worker_id == worker.id, Hold.expires_at > now))
    if hold is None or (user_id is not None and db.session.get(Donation, hold.donation_id).donor_id == user_id):
        return None
    return hold


def release_hold(donation_id: int) -> None:
    """Free the worker a donation was holding (after payment, failure or cancel)."""
    db.session.execute(sa.delete(Hold).where(Hold.donation_id == donation_id))


def expire_holds(*, now: dt.datetime) -> int:
    """Remove holds past their expiry; return how many."""
    result = db.session.execute(sa.delete(Hold).where(Hold.expires_at <= now))
    return result.rowcount
