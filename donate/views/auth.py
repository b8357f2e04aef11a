"""Accounts: register, log in, log out, reset a forgotten password, confirm an email."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user, login_required, login_user, logout_user

from .. import clock
from ..extensions import db, limiter, login_manager
from ..forms.auth import ForgotPasswordForm, LoginForm, RegisterForm, ResetPasswordForm
from ..security import safe_next
from ..services.access import accounts
from ..services.mail import send_mail

bp = Blueprint("auth", __name__, url_prefix="/auth")

login_manager.login_view = "auth.login"
login_manager.login_message = lazy_gettext("Please log in to see this page.")
login_manager.localize_callback = str


def home() -> str:
    """Return where a donor lands after logging in."""
    return url_for("donor.home")


def send_confirmation(user) -> None:
    """Email the link that proves the address and claims earlier gifts."""
    link = url_for("auth.confirm", token=accounts.email_confirmation_token(user), _external=True)
    send_mail(user.email, _("Confirm your email for Lindungi"), "confirm_email", user=user, link=link)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def register():
    """Create a donor account and log it in."""
    if current_user.is_authenticated:
        return redirect(home())
    form = RegisterForm(email=request.args.get("email", ""))
    if form.validate_on_submit():
        try:
            user = accounts.create_user(form.email.data, form.password.data, name=form.name.data or "",
                                        locale=get_locale().language)
        except accounts.AccountRefused:
            form.email.errors.append(_("This email already has an account: log in or reset the password."))
        else:
            send_confirmation(user)
            db.session.commit()
            login_user(user)
            flash(_("Welcome! We sent you an email: open its link to see gifts you made earlier with this address."))
            return redirect(safe_next(home()))
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def login():
    """Log in with email and password."""
    if current_user.is_authenticated:
        return redirect(safe_next(home()))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Wrong email or password."))
        else:
            accounts.remember_language(user, get_locale().language)
            db.session.commit()
            login_user(user)
            return redirect(safe_next(home()))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    """Log out everywhere (a POST with a CSRF token, so no link can log anyone out)."""
    if current_user.is_authenticated:
        current_user.end_sessions()  # a copied cookie dies with this one
        db.session.commit()
    logout_user()
    flash(_("You are logged out."))
    return redirect(url_for("public.index"))


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit("5 per minute", methods=["POST"])
def forgot():
    """Email a password-reset link; say the same whether or not the account exists."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = accounts.find_user(form.email.data)
        if user is not None:
            link = url_for("auth.reset", token=accounts.password_reset_token(user), _external=True)
            send_mail(user.email, _("Reset your Lindungi password"), "password_reset", user=user, link=link,
                      minutes=accounts.RESET_TOKEN_MINUTES)
            db.session.commit()
        flash(_("If an account uses that email, a link to set a new password is on its way."))
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token):
    """Set a new password from an emailed link."""
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.reset_password(token, form.password.data)
        except accounts.InvalidToken:
            flash(_("This link is invalid or has expired. Ask for a new one."))
            return redirect(url_for("auth.forgot"))
        db.session.commit()
        login_user(user)
        flash(_("Your new password is set."))
        return redirect(home())
    return render_template("auth/reset.html", form=form)


@bp.get("/confirm/<token>")
def confirm(token):
    """Confirm an email address and attach the gifts given with it; log nobody in."""
    try:
        user, claimed = accounts.confirm_email(token, now=clock.now())
    except accounts.InvalidToken:
        flash(_("This link is invalid or has expired."))
        return redirect(url_for("public.index"))
    db.session.commit()
    flash(_("Email confirmed. %(count)s earlier gifts were added to your page.", count=claimed)
          if claimed else _("Email confirmed."))
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(home())
    return redirect(url_for("auth.login"))


@bp.post("/confirm")
@login_required
@limiter.limit("3 per minute")
def resend_confirmation():
    """Send the confirmation link again."""
    send_confirmation(current_user)
    db.session.commit()
    flash(_("We sent the link again to %(email)s.", email=current_user.email))
    return redirect(home())
