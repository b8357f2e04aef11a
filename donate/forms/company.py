"""Forms of the ``company`` blueprint: register the company, upload its list, pay for its workers."""

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from .donor import DESIGNATION_LABELS, PaymentMethodField


class CompanyForm(FlaskForm):
    name = StringField(lazy_gettext("Company name"), validators=[DataRequired(), Length(max=200)],
                       description=lazy_gettext('As it should appear publicly, e.g. "PT Sawit Makmur".'))
    npwp = StringField(lazy_gettext("NPWP"), validators=[DataRequired(), Length(max=30)],
                       description=lazy_gettext("15 digits (dots and dashes allowed), or 16 for a NIK-based NPWP."))
    contact_name = StringField(lazy_gettext("Contact person"), validators=[DataRequired(), Length(max=200)])
    contact_phone = StringField(lazy_gettext("Contact phone"), validators=[Optional(), Length(max=20)])


class CompanyUploadForm(FlaskForm):
    campaign = SelectField(lazy_gettext("Campaign"), validators=[DataRequired()])
    file = FileField(lazy_gettext("Worker list (CSV, the campaign's worker format)"), validators=[FileRequired()])
    skip_invalid = BooleanField(lazy_gettext("Register the good rows even if some rows are invalid"))


class OwnWorkersForm(PaymentMethodField, FlaskForm):
    """Pay for every verified worker of the company's list not yet covered, for some months."""

    months = IntegerField(lazy_gettext("Months for each worker"), validators=[DataRequired(), NumberRange(min=1, max=12)])
    designation = RadioField(lazy_gettext("This gift is"), validators=[
        InputRequired(message=lazy_gettext("Choose what this gift is: zakat, infak/sedekah or CSR."))])

    def set_designations(self, designations) -> None:
        """Offer only what the campaign accepts."""
        self.designation.choices = [(d.value, DESIGNATION_LABELS[d]) for d in designations]
