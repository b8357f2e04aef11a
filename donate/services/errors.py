"""The one base class of the services' exceptions: a rule broken, said in the visitor's language.

A service raises a subclass with a lazy (Flask-Babel) message and its
parameters; the message is translated and filled in only when it is shown,
so a page shows it in the visitor's language and the command line in the
default one::

    raise RefundRefused(lazy_gettext("only %(available)s can be refunded now"), available=Rupiah(100_000))

Rupiah parameters are wrapped in :class:`Rupiah` so that Babel formats them
in the locale of the page that shows the message, not the one that raised it.
"""

from flask_babel import lazy_gettext

from ..formatting import rupiah


class Rupiah(int):
    """A whole-rupiah amount that shows itself formatted by Babel ("Rp 100.000")."""

    def __str__(self) -> str:
        return rupiah(int(self))


class DomainError(Exception):
    """A request the rules refuse; :attr:`message` says why, in the current locale.

    ``field`` names the form field or CSV column at fault, when there is one;
    :attr:`fields` gives each field's name in words, for messages shown away
    from the form (an import report, a flash, the command line).
    """

    #: The message when none is given.
    default = lazy_gettext("this cannot be done")
    #: Each field's name in words, by field.
    fields: dict = {}

    def __init__(self, message=None, *, field: str | None = None, **params):
        self.template = self.default if message is None else message
        self.params = params
        self.field = field
        super().__init__(self.template, params)

    @property
    def message(self) -> str:
        """Return the message in the current locale, its parameters filled in."""
        text = str(self.template)
        return text % self.params if self.params else text

    @property
    def field_name(self) -> str | None:
        """Return the field at fault in words (in the current locale), or ``None``."""
        if self.field is None:
            return None
        return str(self.fields.get(self.field, self.field.replace("_", " ")))

    def __str__(self) -> str:
        """Return the message, after the field in words when there is one ("tanggal lahir: ...")."""
        name = self.field_name
        return self.message if name is None else f"{name}: {self.message}"


class FieldError(DomainError):
    """A value that breaks a rule, with the field at fault first: ``FieldError("nik", lazy_gettext("..."))``."""

    def __init__(self, field: str, message=None, **params):
        super().__init__(message, field=field, **params)
