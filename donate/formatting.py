"""Rupiah, numbers and dates for templates, formatted by Babel in the request's locale."""

import datetime as dt

from flask_babel import (
    format_currency,
    format_date,
    format_decimal,
    format_percent,
    get_locale,
)

from .months import month_start


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


def init_app(app) -> None:
    """Register the formatters as template filters."""
    for fn in (rupiah, number, month_name, day):
        app.add_template_filter(fn)
    app.add_template_global(percent)
    app.add_template_global(get_locale)
