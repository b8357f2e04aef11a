"""Staff roles: who may manage, register or verify for which campaign."""

import sqlalchemy as sa
from flask_babel import lazy_gettext

from ...extensions import db
from ...models import (
    Campaign,
    Role,
    User,
    campaign_staff,
)
from ..errors import DomainError
from . import audit

#: Roles that may enter ``/manage`` at all.
STAFF_ROLES = (Role.verifier, Role.manager, Role.admin)


class AccessDenied(DomainError):
    """A user asked for something their role or assignments do not allow."""


def is_staff(user) -> bool:
    """Return whether the user may enter the manager pages."""
    return getattr(user, "is_authenticated", False) and user.role in STAFF_ROLES


def assigned_campaign_ids(user: User) -> list[int]:
    """Return the ids of the campaigns the user is assigned to."""
    return list(db.session.scalars(
        sa.select(campaign_staff.c.campaign_id).where(campaign_staff.c.user_id == user.id)))


def visible_campaigns(user: User) -> list[Campaign]:
    """Return the campaigns the user works on (every campaign for an admin)."""
    query = sa.select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id.desc())
    if user.role != Role.admin:
        query = query.where(Campaign.id.in_(assigned_campaign_ids(user)))
    return list(db.session.scalars(query))


def can_manage(user: User, campaign: Campaign) -> bool:
    """Return whether the user may run the campaign (money, batches, settings)."""
    if user.role == Role.admin:
        return True
    return user.role == Role.manager and campaign.id in assigned_campaign_ids(user)


def can_register(user: User, campaign: Campaign) -> bool:
    """Return whether the user may register and verify the campaign's workers."""
    if user.role == Role.admin:
        return True
    return user.role in (Role.manager, Role.verifier) and campaign.id in assigned_campaign_ids(user)


def assign_staff(campaign: Campaign, user: User, *, actor: User | None) -> bool:
    """Assign a manager or verifier to a campaign; ``False`` if already assigned."""
    if user.role not in (Role.manager, Role.verifier, Role.admin):
        raise AccessDenied(lazy_gettext("only managers and verifiers can be assigned to a campaign"))
    if campaign.id in assigned_campaign_ids(user):
        return False
    db.session.execute(sa.insert(campaign_staff).values(campaign_id=campaign.id, user_id=user.id))
    if actor is not None:
        audit.record_action("user.assign", user=actor, campaign=campaign, subject=user.email,
                            params={"email": user.email, "campaign": campaign.slug, "assigned": True})
    return True


def unassign_staff(campaign: Campaign, user: User, *, actor: User | None) -> bool:
    """Take a user off a campaign; ``False`` if they were not on it."""
    removed = db.session.execute(sa.delete(campaign_staff).where(
        campaign_staff.c.campaign_id == campaign.id, campaign_staff.c.user_id == user.id)).rowcount
    if removed:
        audit.record_action("user.assign", user=actor, campaign=campaign, subject=user.email,
                            params={"email": user.email, "campaign": campaign.slug, "assigned": False})
    return bool(removed)


def change_role(user: User, role: Role, *, actor: User) -> None:
    """Give a user another role; an admin cannot demote themself (someone must stay admin)."""
    if user.id == actor.id and role != Role.admin:
        raise AccessDenied(lazy_gettext("you cannot take away your own admin role"))
    if user.role == role:
        return
    before = user.role
    user.role = role
    db.session.flush()
    audit.record_action("user.role", user=actor, subject=user.email,
                        params={"email": user.email, "before": before.value, "after": role.value})
