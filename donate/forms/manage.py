"""Forms of the ``manage`` blueprint."""

import datetime as dt
import re

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from .. import labels
from ..models import CampaignStatus, Designation, Role, Verification
from ..months import month_code, month_index
from ..services.campaigns.settings import MAX_TARGET_WORKERS
from ..services.money.donations import MAX_AMOUNT_IDR
from . import sane_date


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes, one per choice (no JavaScript needed on a phone)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def designation_choices():
    return [(Designation.zakat.value, lazy_gettext("Zakat (mustahik only)")), (Designation.infak.value, lazy_gettext("Infak/sedekah")),
            (Designation.csr.value, lazy_gettext("CSR and general"))]


class CampaignForm(FlaskForm):
    slug = StringField(lazy_gettext("Address (slug)"), validators=[Optional(), Length(max=80), Regexp(
        r"^[a-z0-9]+(-[a-z0-9]+)*$", message=lazy_gettext("Use lower-case letters, digits and hyphens."))])
    name = StringField(lazy_gettext("Name"), validators=[DataRequired(), Length(max=200)])
    story = TextAreaField(lazy_gettext("Story"), validators=[Length(max=5000)])
    target_workers = IntegerField(lazy_gettext("Target (workers)"),
                                  validators=[DataRequired(), NumberRange(min=1, max=MAX_TARGET_WORKERS)])
    term_months = IntegerField(lazy_gettext("Term (months per worker)"), default=6,
                               validators=[DataRequired(), NumberRange(min=1, max=12)])
    starts_on = DateField(lazy_gettext("Starts on"), validators=[Optional(), sane_date()])
    ends_on = DateField(lazy_gettext("Ends on"), validators=[Optional(), sane_date()])
    designations = MultiCheckboxField(lazy_gettext("Accepted designations"), choices=designation_choices,
                                      default=[d.value for d in Designation])
    mustahik_only = BooleanField(lazy_gettext("Fund mustahik workers only"))
    includes_jht = BooleanField(lazy_gettext("Include JHT (old-age savings) beside JKK and JKM"),
                                description=lazy_gettext("JHT adds 2 percent of each worker's declared income a month. "
                                                         "Fixed once the campaign has funded months."))
    eligible_occupations = StringField(lazy_gettext("Eligible occupations (comma-separated; empty: any)"),
                              validators=[Length(max=2000)])
    region_lines = TextAreaField(lazy_gettext("Regions"), validators=[Length(max=20000)])


class StatusForm(FlaskForm):
    status = SelectField(choices=[(s.value, s.value) for s in CampaignStatus], validators=[DataRequired()])


class WorkerSearchForm(FlaskForm):
    class Meta:
        csrf = False

    name = StringField(lazy_gettext("Name"), validators=[Optional(), Length(max=200)])
    regency = StringField(lazy_gettext("Regency code"), validators=[Optional(), Length(max=4)])
    state = SelectField(lazy_gettext("State"), choices=[
        ("", lazy_gettext("Any")), ("pending", lazy_gettext("Pending verification")), ("verified", lazy_gettext("Verified")),
        ("rejected", lazy_gettext("Rejected")), ("flagged", lazy_gettext("Flagged")), ("no-consent", lazy_gettext("No consent")),
    ], validators=[Optional()])


class NikLookupForm(FlaskForm):
    """Find a worker by NIK: posted, so the NIK never appears in a URL or a log."""

    nik = StringField(lazy_gettext("NIK (exact)"), validators=[DataRequired(), Length(max=30)])


class WorkerForm(FlaskForm):
    """One worker typed in by staff; the same fields and rules as a CSV row."""

    nik = StringField(lazy_gettext("NIK"), validators=[DataRequired(), Length(max=30)])
    full_name = StringField(lazy_gettext("Name as on the KTP"), validators=[DataRequired(), Length(max=200)])
    birth_date = StringField(lazy_gettext("Birth date (YYYY-MM-DD)"), validators=[DataRequired(), Length(max=10)])
    sex = SelectField(lazy_gettext("Sex"), choices=[("L", lazy_gettext("Male (L)")), ("P", lazy_gettext("Female (P)"))])
    phone = StringField(lazy_gettext("Phone"), validators=[Optional(), Length(max=20)])
    occupation = StringField(lazy_gettext("Occupation"), validators=[DataRequired(), Length(max=80)])
    regency_code = StringField(lazy_gettext("Regency code"), validators=[DataRequired(), Length(max=4)])
    monthly_income_idr = StringField(lazy_gettext("Declared monthly income (Rp)"), validators=[Optional(), Length(max=15)])
    mustahik = BooleanField(lazy_gettext("Mustahik (fakir or miskin)"))
    consent = BooleanField(lazy_gettext("The worker consented to be registered and funded"))
    verified = BooleanField(lazy_gettext("Documents checked: register as verified"))


class UploadForm(FlaskForm):
    file = FileField(lazy_gettext("CSV file"), validators=[FileRequired()])
    skip_invalid = BooleanField(lazy_gettext("Import the good rows even if some rows are invalid"))
    pending = BooleanField(lazy_gettext("Leave the workers for a verifier (do not take them as verified)"))


class WorkerUpdateForm(FlaskForm):
    verification = SelectField(lazy_gettext("Verification"), choices=[
        (Verification.pending.value, lazy_gettext("Pending verification")), (Verification.verified.value, lazy_gettext("Verified")),
        (Verification.rejected.value, lazy_gettext("Rejected"))])
    reason = StringField(lazy_gettext("Reason (required to reject)"), validators=[Length(max=300)])
    mustahik = BooleanField(lazy_gettext("Mustahik (fakir or miskin)"))
    consent = BooleanField(lazy_gettext("Consent recorded"))
    priority = IntegerField(lazy_gettext("Priority (higher is funded first)"), default=0,
                            validators=[NumberRange(min=-100, max=100)])
    clear_flag = BooleanField(lazy_gettext("Clear the flag (the problem is solved)"))


class FundingForm(FlaskForm):
    source = SelectField(lazy_gettext("Source"), choices=list(labels.FUNDING_SOURCES.items()))
    funder = StringField(lazy_gettext("Funder"), validators=[DataRequired(), Length(max=200)],
                         description=lazy_gettext('As it should appear publicly, e.g. "APBD Provinsi Riau".'))
    amount_idr = IntegerField(lazy_gettext("Amount (Rp)"),
                              validators=[DataRequired(), NumberRange(min=1, max=MAX_AMOUNT_IDR)])
    # Nothing preselected: a default once turned an APBD transfer into zakat.
    designation = RadioField(lazy_gettext("Designation"), choices=designation_choices, validators=[
        InputRequired(message=lazy_gettext("Choose what this money is: zakat, infak/sedekah or CSR."))])
    reference = StringField(lazy_gettext("Transfer reference"), validators=[Optional(), Length(max=255)],
                            description=lazy_gettext("Recording the same reference twice counts the money once."))


class AllocateForm(FlaskForm):
    confirm = BooleanField(lazy_gettext("I checked the preview"), validators=[DataRequired()])


def _month(text: str) -> int:
    match = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", text or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValidationError(lazy_gettext("Use the form YYYY-MM."))
    return month_index(dt.date(int(match.group(1)), int(match.group(2)), 1))


class MonthField(StringField):
    """A month as YYYY-MM (``<input type=month>`` where the phone supports it); ``data`` is a month number."""

    def process_formdata(self, valuelist):
        self.raw = valuelist[0] if valuelist else ""
        self.data = None
        if valuelist and valuelist[0].strip():
            try:
                self.data = _month(valuelist[0])
            except ValidationError as exc:
                self.process_errors.append(str(exc))

    def _value(self):
        if isinstance(self.data, int):
            return month_code(self.data)
        return getattr(self, "raw", "") or ""


class BatchForm(FlaskForm):
    first_month = MonthField(lazy_gettext("From month"), validators=[DataRequired()])
    last_month = MonthField(lazy_gettext("To month"), validators=[DataRequired()])


class TransferForm(FlaskForm):
    reference = StringField(lazy_gettext("Transfer reference"), validators=[DataRequired(), Length(max=120)])
    transferred_on = DateField(lazy_gettext("Transferred on"), validators=[DataRequired(), sane_date()],
                               default=dt.date.today)


class AcknowledgementForm(FlaskForm):
    file = FileField(lazy_gettext("BPJS acknowledgement (CSV: nik, kpj, status, reason)"), validators=[FileRequired()])
    skip_invalid = BooleanField(lazy_gettext("Apply the good rows even if some rows cannot be matched"))


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token."""


class RefundForm(FlaskForm):
    amount_idr = IntegerField(lazy_gettext("Amount to refund (Rp; empty: all that is left)"),
                              validators=[Optional(), NumberRange(min=1, max=MAX_AMOUNT_IDR)])
    reason = StringField(lazy_gettext("Reason"), validators=[DataRequired(), Length(max=200)])
    #: One token per form shown: sending the same form again (a retry after a timeout) is the same refund.
    request_key = HiddenField(validators=[Optional(), Length(max=64)])


class ResolveFlagForm(FlaskForm):
    note = StringField(lazy_gettext("What was done at the payment provider"),
                       validators=[DataRequired(), Length(max=200)])


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = SelectField(lazy_gettext("Action"), validators=[Optional()])
    campaign = SelectField(lazy_gettext("Campaign"), validators=[Optional()])
    user = StringField(lazy_gettext("User email"), validators=[Optional(), Length(max=254)])
    since = DateField(lazy_gettext("From"), validators=[Optional(), sane_date()])
    until = DateField(lazy_gettext("Until"), validators=[Optional(), sane_date()])


class UserRoleForm(FlaskForm):
    role = SelectField(lazy_gettext("Role"), choices=[(r.value, r.value) for r in Role])


class AssignForm(FlaskForm):
    campaign = SelectField(lazy_gettext("Campaign"), validators=[DataRequired()])
    assign = SelectField(choices=[("add", lazy_gettext("Assign")), ("remove", lazy_gettext("Remove"))])


class CoverForm(FlaskForm):
    """The campaign page's cover picture."""

    picture = FileField(lazy_gettext("Cover picture (JPEG, PNG or WebP, up to 8 MB)"), validators=[FileRequired()])


class UpdateForm(FlaskForm):
    """A "Kabar terbaru" post."""

    title = StringField(lazy_gettext("Title"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(lazy_gettext("Text"), validators=[DataRequired(), Length(max=10000)],
                         description=lazy_gettext("Markdown: **bold**, *italic*, lists with -, links as [text](https://…)."))
    picture = FileField(lazy_gettext("Picture (optional)"))


class StatementForm(FlaskForm):
    bank = SelectField(lazy_gettext("Statement layout"), choices=list(labels.STATEMENT_LAYOUTS.items()),
                       validators=[DataRequired()])
    file = FileField(lazy_gettext("Bank statement (CSV)"), validators=[FileRequired()])


class AssignLineForm(FlaskForm):
    payment_id = IntegerField(lazy_gettext("Transfer (payment number)"), validators=[DataRequired()])


class ClaimForm(FlaskForm):
    """A claim BPJS paid: JKK (date, kind, amount) or JKM (date of death, amount to the heirs, scholarship)."""

    programme = RadioField(lazy_gettext("Programme"), choices=[
        ("jkk", lazy_gettext("JKK (work accident)")), ("jkm", lazy_gettext("JKM (death)"))],
        validators=[InputRequired(message=lazy_gettext("Choose JKK or JKM."))])
    kind = SelectField(lazy_gettext("Benefit"), choices=[
        ("medical", lazy_gettext("JKK: medical care")), ("income", lazy_gettext("JKK: income while unable to work")),
        ("disability", lazy_gettext("JKK: disability")), ("accident_death", lazy_gettext("JKK: death from a work accident")),
        ("heirs", lazy_gettext("JKM: money to the heirs"))])
    event_date = DateField(lazy_gettext("Date of the accident or of death"), validators=[DataRequired(), sane_date()])
    amount_idr = IntegerField(lazy_gettext("Amount paid (Rp; JKM: to the heirs)"),
                              validators=[DataRequired(), NumberRange(min=1, max=MAX_AMOUNT_IDR)])
    scholarship_idr = IntegerField(lazy_gettext("JKM scholarship for the children (Rp)"), default=0,
                                   validators=[Optional(), NumberRange(min=0, max=MAX_AMOUNT_IDR)])


class FunderReportForm(FlaskForm):
    """Which funder and period a report covers (read from the query string: a report changes nothing)."""

    class Meta:
        csrf = False

    funder = SelectField(lazy_gettext("Funder"), validators=[InputRequired()], validate_choice=True)
    first_month = MonthField(lazy_gettext("From month"), validators=[DataRequired()])
    last_month = MonthField(lazy_gettext("To month"), validators=[DataRequired()])


class MandiriStatusForm(FlaskForm):
    file = FileField(lazy_gettext("BPJS report of own payments (CSV: nik, paid_until as YYYY-MM)"),
                     validators=[FileRequired()])
