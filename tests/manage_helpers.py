"""Helpers for the manager pages' tests: staff users, logging in, a campaign with money and a batch."""

from donate.extensions import db
from donate.models import Role, User
from donate.services.access.staff import assign_staff


def user(email: str, role: Role) -> User:
    """Create a user with a role."""
    item = User(email=email, role=role, name=email.split("@")[0])
    item.set_password("correct horse battery")
    db.session.add(item)
    db.session.flush()
    return item


def staff_user(email: str, role: Role, *campaigns) -> User:
    """Create a manager or verifier assigned to ``campaigns``."""
    item = user(email, role)
    for campaign in campaigns:
        assign_staff(campaign, item, actor=None)
    return item


def login(client, who: User | None) -> None:
    """Log ``who`` in on the test client (or stay anonymous)."""
    if who is None:
        return
    with client.session_transaction() as session:
        session["_user_id"] = who.get_id()
        session["_fresh"] = True
