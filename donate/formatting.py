"""Rupiah, numbers and dates for templates, formatted by Babel in the request's locale."""

import datetime as dt

from flask_babel import (
    format_currency,
    format_date,
    format_datetime,
    format_decimal,
    format_percent,
    format_timedelta,
    get_locale,
)

from .models.base import utcnow
from .months import month_start

#: Babel locale used for each interface language.
REGIONAL_LOCALES = {"en": "en_ID"}


def babel_locale(language: str) -> str:
    """Return the Babel locale of an interface language (English as used in Indonesia: "Rp 16.800")."""
    return REGIONAL_LOCALES.get(language, language)


def rupiah(amount: int) -> str:
    """Format whole rupiah: "Rp 16.800" in Indonesian."""
    return format_currency(amount, "IDR", format="¤ #,##0", currency_digits=False)


def number(value: int) -> str:
    """Format a whole number with the locale's grouping."""
    return format_decimal(value)


def percent(part: int, whole: int) -> str:
    """Format ``part / whole`` as a percentage with one decimal."""
    return format_percent(part / whole if whole else 0, format="#,##0.0%")


def month_name(month: int) -> str:
    """Format a month number as "Desember 2026"."""
    return format_date(month_start(month), format="MMMM yyyy")


def day(value: dt.date) -> str:
    """Format a date as "31 Desember 2018"."""
    return format_date(value, format="long")


def relative(value: dt.datetime, now: dt.datetime | None = None) -> str:
    """Format a stored UTC time relative to now: "3 jam yang lalu", "dalam 25 menit"."""
    return format_timedelta(value - (now or utcnow()), add_direction=True)


#: The smallest share of a progress bar drawn once anything is raised, so 0.4 % is still seen (per mille).
MIN_VISIBLE_PERMILLE = 15


def bar_permille(part: int, whole: int) -> int:
    """Return how much of a progress bar to fill, in per mille: at most full, visible once above zero."""
    if part <= 0 or whole <= 0:
        return 0
    return max(MIN_VISIBLE_PERMILLE, min(1000, part * 1000 // whole))


def moment(value: dt.datetime) -> str:
    """Format a stored (UTC) time in the site's time zone: "1 Desember 2026 23.30 WIB"."""
    return format_datetime(value, format="d MMMM yyyy HH:mm z")


def init_app(app) -> None:
    """Register the formatters as template filters."""
    for fn in (rupiah, number, month_name, day, relative, moment):
        app.add_template_filter(fn)
    app.add_template_global(percent)
    app.add_template_global(bar_permille)
    app.add_template_global(get_locale)
