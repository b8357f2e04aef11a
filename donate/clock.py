"""The real clock, read once at the edge (views, commands) and handed to the services as ``today``/``now``."""

import datetime as dt

from .models.base import utcnow


def today() -> dt.date:
    """Return today's date (the server's local date, as months are counted)."""
    return dt.date.today()


def now() -> dt.datetime:
    """Return the current time as a naive UTC datetime, as timestamps are stored."""
    return utcnow()
