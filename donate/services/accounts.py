"""Create users."""

import sqlalchemy as sa

from ..extensions import db
from ..models import Role, User

MIN_PASSWORD_LENGTH = 8


class AccountRefused(ValueError):
    """The account cannot be created as asked (the message says why)."""


def create_user(email: str, password: str, *, role: Role = Role.donor, name: str = "") -> User:
    """Create a user with a hashed password; emails are unique, case-insensitively."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 254:
        raise AccountRefused(f"{email!r} is not an email address")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountRefused(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise AccountRefused(f"{email} already has an account")
    user = User(email=email, name=name.strip(), role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user
