"""Forms of the ``auth`` blueprint: register, log in, reset a password."""

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp

from ..services.access.accounts import MIN_PASSWORD_LENGTH

#: Enough to catch typos; the emailed link is what proves an address.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


def email_validators():
    """Return the validators of an email field (no extra dependency for a syntax check)."""
    return [DataRequired(), Length(max=254), Regexp(EMAIL_PATTERN, message=lazy_gettext("Enter a valid email address."))]


def strip(value):
    """Drop surrounding spaces (pasted addresses often carry them)."""
    return value.strip() if isinstance(value, str) else value


def _password(label):
    return PasswordField(label, validators=[
        DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200,
                               message=lazy_gettext("Use at least %(count)s characters.", count=MIN_PASSWORD_LENGTH)),
    ])


class RegisterForm(FlaskForm):
    name = StringField(lazy_gettext("Your name"), validators=[Length(max=200)])
    email = EmailField(lazy_gettext("Email"), validators=email_validators(), filters=[strip])
    password = _password(lazy_gettext("Password"))
    confirm = PasswordField(lazy_gettext("Repeat the password"), validators=[
        DataRequired(), EqualTo("password", message=lazy_gettext("The two passwords differ."))])


class LoginForm(FlaskForm):
    email = EmailField(lazy_gettext("Email"), validators=email_validators(), filters=[strip])
    password = PasswordField(lazy_gettext("Password"), validators=[DataRequired()])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(lazy_gettext("Email"), validators=email_validators(), filters=[strip])


class ResetPasswordForm(FlaskForm):
    password = _password(lazy_gettext("New password"))
    confirm = PasswordField(lazy_gettext("Repeat the password"), validators=[
        DataRequired(), EqualTo("password", message=lazy_gettext("The two passwords differ."))])
