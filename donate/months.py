"""Calendar months as integers: ``year * 12 + (month - 1)``.

Coverage is bought in whole calendar months. Storing a month as one integer
makes "the next six months" plain addition in SQL on SQLite and PostgreSQL
alike, with no date functions that differ between them.
"""

import datetime as dt


def month_index(day: dt.date) -> int:
    """Return the month number of the month containing ``day``."""
    return day.year * 12 + day.month - 1


def month_start(index: int) -> dt.date:
    """Return the first day of month ``index``."""
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(index: int) -> dt.date:
    """Return the last day of month ``index``."""
    return month_start(index + 1) - dt.timedelta(days=1)


def current_month(today: dt.date) -> int:
    """Return the month number of today (in the server's local date)."""
    return month_index(today)


def month_code(index: int) -> str:
    """Return month ``index`` as "YYYY-MM", the form files and month inputs use."""
    return month_start(index).strftime("%Y-%m")
