"""Forms, one module per blueprint; validators shared by several live here."""

import datetime as dt

from flask_babel import lazy_gettext
from wtforms.validators import ValidationError

from .. import clock


class DateBetween:
    """Refuse dates outside ``first``..``last`` (``last=None``: today), which are typing errors."""

    def __init__(self, first: dt.date, last: dt.date | None = None):
        self.first = first
        self.last = last

    def __call__(self, form, field):
        last = self.last or clock.today()
        if field.data is not None and not self.first <= field.data <= last:
            raise ValidationError(lazy_gettext("Enter a date between %(first)s and %(last)s.",
                                               first=self.first.isoformat(), last=last.isoformat()))


#: Dates of campaigns, transfers and audit filters.
EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)


def sane_date() -> DateBetween:
    """Return the validator of a date in this century."""
    return DateBetween(EARLIEST, LATEST)
