"""Forms of the ``status`` blueprint: look a worker up by NIK and name, or by KPJ and birth date."""

import datetime as dt

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from . import DateBetween
from ..services.coverage.lookup import StatusQueryInvalid, compact_kpj, compact_nik


class NikStatusForm(FlaskForm):
    nik = StringField(lazy_gettext("NIK (16 digits on the KTP)"), validators=[DataRequired(), Length(max=40)])
    full_name = StringField(lazy_gettext("Full name as on the KTP"), validators=[DataRequired(), Length(max=200)])

    def validate_nik(self, field):
        """Refuse what cannot be a NIK (the check digits are public, so this reveals nothing)."""
        try:
            compact_nik(field.data)
        except StatusQueryInvalid:
            raise ValidationError(lazy_gettext("This is not a valid NIK: it has 16 digits, as on the KTP.")) from None


class KpjStatusForm(FlaskForm):
    kpj = StringField(lazy_gettext("KPJ number (11 digits on the BPJS Ketenagakerjaan card)"),
                      validators=[DataRequired(), Length(max=20)])
    birth_date = DateField(lazy_gettext("Birth date"), validators=[DataRequired(), DateBetween(dt.date(1900, 1, 1))])

    def validate_kpj(self, field):
        """Refuse what cannot be a KPJ number."""
        try:
            compact_kpj(field.data)
        except StatusQueryInvalid:
            raise ValidationError(lazy_gettext("A KPJ number has 11 digits.")) from None
