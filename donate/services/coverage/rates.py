"""Look up the premium rate in force for a month."""

import sqlalchemy as sa
from flask import g, has_request_context
from flask_babel import lazy_gettext

from ...extensions import db
from ...models import PremiumRate
from ...months import month_start
from ..errors import DomainError


class NoRateInForce(DomainError):
    """No premium rate schedule row covers the month asked for."""


def _schedule() -> list[PremiumRate]:
    """Return the whole rate schedule (a handful of rows), read once per request."""
    if has_request_context() and "premium_schedule" in g:
        return g.premium_schedule
    schedule = db.session.scalars(sa.select(PremiumRate).order_by(PremiumRate.effective_from)).all()
    if has_request_context():
        g.premium_schedule = schedule
    return schedule


def rates_for_months(first: int, last: int) -> dict[int, PremiumRate]:
    """Return the rate in force for each month from ``first`` to ``last`` inclusive."""
    schedule = [rate for rate in _schedule() if rate.effective_from <= month_start(last)]
    result: dict[int, PremiumRate] = {}
    for month in range(first, last + 1):
        in_force = [rate for rate in schedule if rate.effective_from <= month_start(month)]
        if not in_force:
            raise NoRateInForce(lazy_gettext("no premium rate is in force on %(day)s"), day=month_start(month).isoformat())
        result[month] = in_force[-1]
    return result


def rate_for_month(month: int) -> PremiumRate:
    """Return the rate in force in ``month``."""
    return rates_for_months(month, month)[month]


def base_premium(month: int, *, jht: bool = False) -> int:
    """Return the premium at the lowest income bracket (Rp 16,800 under PP 44/2015; Rp 36,800 with JHT)."""
    rate = rate_for_month(month)
    return rate.premium(rate.min_income_idr, jht=jht)
