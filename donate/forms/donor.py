"""Forms of the ``donor`` blueprint: sponsor a worker, give to the pool, fund many workers."""

import re

from flask_babel import lazy_gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ..formatting import rupiah
from ..models import Designation
from ..services.money.checkout import MAX_GIFT_IDR, MIN_POOL_GIFT_IDR
from .auth import EMAIL_PATTERN, strip

#: More workers than one gift can fund (at the base premium, 12 months, the most one gift may be).
MAX_WORKERS_PER_GIFT = 100_000

DESIGNATION_LABELS = {
    Designation.zakat: lazy_gettext("Zakat (only for workers verified as mustahik)"),
    Designation.infak: lazy_gettext("Infak / sedekah"),
    Designation.csr: lazy_gettext("CSR / general gift"),
}


METHOD_LABELS = {
    "qris": lazy_gettext("QRIS (any banking or e-wallet app)"),
    "gopay": lazy_gettext("GoPay"),
    "shopeepay": lazy_gettext("ShopeePay"),
    "bca_va": lazy_gettext("BCA virtual account"),
    "bni_va": lazy_gettext("BNI virtual account"),
    "bri_va": lazy_gettext("BRI virtual account"),
    "mandiri_va": lazy_gettext("Mandiri virtual account"),
    "permata_va": lazy_gettext("Permata virtual account"),
    "card": lazy_gettext("Credit or debit card"),
    "bank_transfer": lazy_gettext("Bank transfer (checked by hand)"),
}


class PaymentMethodField:
    """Mixin: the ``method`` radio group every gift form ends with."""

    # DataRequired, not InputRequired: a form posted without the field pays by the first method offered.
    method = RadioField(lazy_gettext("How do you want to pay?"), validators=[DataRequired(
        message=lazy_gettext("Choose how to pay."))])

    def set_methods(self, methods: list[str]) -> None:
        """Offer only the methods the enabled providers take, in their order (QRIS first), the first chosen."""
        self.method.choices = [(m, METHOD_LABELS[m]) for m in methods]
        if not self.method.data and methods:
            self.method.data = methods[0]


def digits(value):
    """Keep only the digits ("Rp 100.800" -> "100800"; NPWP punctuation dropped)."""
    if isinstance(value, str):
        cleaned = "".join(ch for ch in value if "0" <= ch <= "9")  # not str.isdigit: "²" is a digit to it
        return cleaned or None
    return value


class DonorDetails(PaymentMethodField, FlaskForm):
    """Who gives, how they want to be shown and how they pay; shared by every gift form."""

    # Nothing preselected: the donor says what the gift is (zakat may only fund mustahik workers).
    designation = RadioField(lazy_gettext("This gift is"), validators=[
        InputRequired(message=lazy_gettext("Choose what this gift is: zakat, infak/sedekah or CSR."))])
    donor_name = StringField(lazy_gettext("Your name (or company)"), validators=[Length(max=200)])
    donor_email = StringField(lazy_gettext("Email for the receipt"), filters=[strip],
                              validators=[Optional(), Length(max=254),
                                          Regexp(EMAIL_PATTERN, message=lazy_gettext("Enter a valid email address."))])
    npwp = StringField(lazy_gettext("NPWP (optional, printed on the receipt)"), filters=[digits],
                       validators=[Optional(), Regexp(r"^\d{15,16}$", message=lazy_gettext("An NPWP has 15 or 16 digits."))])
    is_anonymous = BooleanField(lazy_gettext('Give anonymously (shown as "Hamba Allah")'))
    message = TextAreaField(lazy_gettext("Message (optional)"), validators=[Length(max=500)])

    def set_designations(self, designations: list[Designation]) -> None:
        """Offer only what the campaign accepts."""
        self.designation.choices = [(d.value, DESIGNATION_LABELS[d]) for d in designations]

    def validate_donor_email(self, field):
        """Ask for an email when nobody is logged in: it is where the receipt goes."""
        if not field.data and not current_user.is_authenticated:
            raise ValidationError(lazy_gettext("Enter your email: we send the receipt there."))

    def validate_donor_name(self, field):
        """A name is needed unless the gift is anonymous or the account has one."""
        if not (field.data or "").strip() and not self.is_anonymous.data and not (
                current_user.is_authenticated and current_user.name):
            raise ValidationError(lazy_gettext("Enter your name, or give anonymously."))


class SponsorForm(DonorDetails):
    months = RadioField(lazy_gettext("For how long"), validators=[InputRequired()])


class PoolGiftForm(DonorDetails):
    preset = RadioField(lazy_gettext("Amount"), validators=[Optional()], validate_choice=False)
    amount = StringField(lazy_gettext("Or another amount (Rp)"), filters=[digits])

    def validate_amount(self, field):
        """Take the free amount, else the chosen preset, within the limits."""
        raw = field.data or self.preset.data
        if not raw or not re.fullmatch(r"[0-9]{1,20}", str(raw)):
            raise ValidationError(lazy_gettext("Choose or enter an amount."))
        value = int(raw)
        if value < MIN_POOL_GIFT_IDR:
            raise ValidationError(lazy_gettext("The amount must be at least Rp 10.000."))
        if value > MAX_GIFT_IDR:
            raise ValidationError(lazy_gettext("One gift is at most %(limit)s.", limit=rupiah(MAX_GIFT_IDR)))
        field.data = value


class FundWorkersForm(DonorDetails):
    workers = IntegerField(lazy_gettext("Number of workers"),
                           validators=[DataRequired(), NumberRange(min=1, max=MAX_WORKERS_PER_GIFT)])
    months = IntegerField(lazy_gettext("Months for each worker"), validators=[DataRequired(), NumberRange(min=1, max=12)])


class RenewForm(PaymentMethodField, FlaskForm):
    """Sponsor a worker again as last time: only the way to pay is asked."""
