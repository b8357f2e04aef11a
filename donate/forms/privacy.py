"""Forms of the ``privacy`` blueprint: download one's data, erase one's account."""

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired


class ExportForm(FlaskForm):
    """Only the CSRF token: the download is a POST so that it is audited and cannot be triggered by a link."""


class EraseForm(FlaskForm):
    password = PasswordField(lazy_gettext("Your password"), validators=[DataRequired()])
    confirm = BooleanField(lazy_gettext("I understand that my account is erased for good and cannot be restored."),
                           validators=[DataRequired()])
