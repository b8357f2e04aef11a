"""The audit log: what is recorded, and how it is filtered."""

import datetime as dt

import pytest

from donate.extensions import db
from donate.models import AuditEvent, Role
from donate.services.access import audit
from donate.services.access.staff import (
    AccessDenied,
    assign_staff,
    change_role,
    unassign_staff,
)
from tests.manage_helpers import user


def test_unknown_actions_are_refused(app):
    with pytest.raises(ValueError):
        audit.record_action("worker.delete_everything", user=None)


def test_filters_by_campaign_action_user_and_date(app, make):
    riau, kalbar = make.campaign("riau"), make.campaign("kalbar")
    amil = user("amil@example.org", Role.manager)
    admin = user("admin@example.org", Role.admin)
    audit.record_action("worker.import", user=amil, campaign=riau, subject="3 rows")
    audit.record_action("remittance.export", user=amil, campaign=riau, subject="batch 1")
    audit.record_action("worker.import", user=admin, campaign=kalbar)
    old = audit.record_action("user.role", user=admin, subject="amil@example.org")
    old.at = dt.datetime(2020, 1, 1)
    db.session.flush()

    def actions(**filters):
        return [e.action for e in db.session.scalars(audit.audit_query(**filters))]

    assert actions(campaign_ids=[riau.id]) == ["remittance.export", "worker.import"]
    assert actions(action="worker") == ["worker.import", "worker.import"]
    assert actions(user_id=admin.id) == ["worker.import", "user.role"]
    assert actions(until=dt.date(2020, 1, 1)) == ["user.role"]
    assert actions(since=dt.date.today(), campaign_id=kalbar.id) == ["worker.import"]


def test_role_changes_and_assignments_are_recorded(app, make):
    campaign = make.campaign()
    admin = user("admin@example.org", Role.admin)
    person = user("new@example.org", Role.donor)
    change_role(person, Role.verifier, actor=admin)
    assign_staff(campaign, person, actor=admin)
    unassign_staff(campaign, person, actor=admin)
    details = [(e.action, e.detail) for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert details == [("user.role", "donor -> verifier"), ("user.assign", "assigned to test-campaign"),
                       ("user.assign", "removed from test-campaign")]
    with pytest.raises(AccessDenied):
        change_role(admin, Role.manager, actor=admin)
