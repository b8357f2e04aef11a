"""Create users."""

import datetime as dt

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ...extensions import db
from ...models import Donation, Role, Subscription, User
from ..errors import DomainError

MIN_PASSWORD_LENGTH = 8


class AccountRefused(DomainError):
    """The account cannot be created as asked (the message says why)."""


def create_user(email: str, password: str, *, role: Role = Role.donor, name: str = "",
                locale: str = "id") -> User:
    """Create a user with a hashed password; emails are unique, case-insensitively."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise AccountRefused(lazy_gettext("%(email)s is not an email address"), email=repr(email))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountRefused(lazy_gettext("the password needs at least %(count)s characters"), count=MIN_PASSWORD_LENGTH)
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise AccountRefused(lazy_gettext("%(email)s already has an account"), email=email)
    user = User(email=email, name=name.strip(), role=role, locale=locale)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


#: Minutes a password-reset link stays valid.
RESET_TOKEN_MINUTES = 60
#: Days an email-confirmation link stays valid.
CONFIRM_TOKEN_DAYS = 7


class InvalidToken(DomainError):
    """A reset or confirmation link that is forged, expired or already used."""


def _serializer(salt: str):

    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _password_fingerprint(user: User) -> str:
    """Return a piece of the password hash, so a reset link dies once the password changes."""
    return user.password_hash[-16:]


def find_user(email: str) -> User | None:
    """Return the user with this email (any case), if any."""
    return db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))


def authenticate(email: str, password: str) -> User | None:
    """Return the user if the password is right, else ``None`` (same cost either way)."""
    user = find_user(email)
    if user is None:
        # Hash anyway so a missing account takes as long as a wrong password.
        User(password_hash="").set_password(password)
        return None
    return user if user.check_password(password) else None


def password_reset_token(user: User) -> str:
    """Return a signed, single-use token that lets the email's owner set a new password."""
    return _serializer("password-reset").dumps([user.id, _password_fingerprint(user)])


def reset_password(token: str, password: str) -> User:
    """Set a new password from a reset token; the emailed link proves the address, so gifts are claimed."""

    try:
        user_id, fingerprint = _serializer("password-reset").loads(token, max_age=RESET_TOKEN_MINUTES * 60)
    except (BadSignature, ValueError, TypeError):
        raise InvalidToken(lazy_gettext("this link is invalid or has expired")) from None
    user = db.session.get(User, user_id)
    if user is None or fingerprint != _password_fingerprint(user):
        raise InvalidToken(lazy_gettext("this link is invalid or has expired"))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountRefused(lazy_gettext("the password needs at least %(count)s characters"), count=MIN_PASSWORD_LENGTH)
    user.set_password(password)  # ends every other session of the account
    claim_donations(user)
    db.session.flush()
    return user


def _confirmation_fingerprint(user: User) -> str:
    """Return what a confirmation link is bound to: once the address is confirmed again, the link is spent."""
    return user.email_confirmed_at.isoformat() if user.email_confirmed_at else ""


def email_confirmation_token(user: User) -> str:
    """Return a signed, single-use token proving that whoever opens it reads ``user.email``."""
    return _serializer("confirm-email").dumps([user.id, user.email, _confirmation_fingerprint(user)])


def confirm_email(token: str, *, now: dt.datetime) -> tuple[User, int]:
    """Mark the address proven and claim the gifts given with it; return the user and the count.

    The link proves the address, nothing more: it logs nobody in (so an
    attacker's link cannot make a victim give as the attacker), and it works once.
    """
    try:
        user_id, email, fingerprint = _serializer("confirm-email").loads(token, max_age=CONFIRM_TOKEN_DAYS * 86400)
    except (BadSignature, ValueError, TypeError):
        raise InvalidToken(lazy_gettext("this link is invalid or has expired")) from None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or user.email != email or fingerprint != _confirmation_fingerprint(user):
        raise InvalidToken(lazy_gettext("this link is invalid, has expired or was already used"))
    user.email_confirmed_at = now
    return user, claim_donations(user)


def claim_donations(user: User) -> int:
    """Attach gifts given without an account under ``user.email`` to the user; return how many.

    Only called once the email is proven (confirmation or reset link), so
    registering with someone else's address shows none of their gifts.
    """
    donation_ids = sa.select(Donation.id).where(Donation.donor_email == user.email, Donation.donor_id.is_(None))
    db.session.execute(
        sa.update(Subscription).where(Subscription.donation_id.in_(donation_ids), Subscription.donor_id.is_(None))
        .values(donor_id=user.id).execution_options(synchronize_session=False)
    )
    claimed = db.session.execute(
        sa.update(Donation).where(Donation.donor_email == user.email, Donation.donor_id.is_(None))
        .values(donor_id=user.id).execution_options(synchronize_session=False)
    ).rowcount
    return claimed


def remember_language(user: User, locale: str) -> None:
    """Store the interface language the account uses: mail to it goes out in that language."""
    if user.locale != locale:
        user.locale = locale
        db.session.flush()
