"""The audit log: what is recorded, and how it is filtered."""

import datetime as dt

import pytest
from flask_babel import force_locale

from donate.extensions import db
from donate.models import AuditEvent, Role
from donate.services.access import audit
from donate.services.access.audit_details import DESCRIBE, describe
from donate.services.access.staff import (
    AccessDenied,
    assign_staff,
    change_role,
    unassign_staff,
)
from tests.manage_helpers import user

#: The parameters of an import of three rows, all taken as verified.
IMPORTED = {"rows": 3, "imported": 3, "verified": True, "rejected": 0}


def test_unknown_actions_are_refused(app):
    with pytest.raises(ValueError):
        audit.record_action("worker.delete_everything", user=None, params={})


def test_filters_by_campaign_action_user_and_date(app, make):
    riau, kalbar = make.campaign("riau"), make.campaign("kalbar")
    amil = user("amil@example.org", Role.manager)
    admin = user("admin@example.org", Role.admin)
    audit.record_action("worker.import", user=amil, campaign=riau, subject="3 rows", params=IMPORTED)
    audit.record_action("remittance.export", user=amil, campaign=riau, subject="batch 1",
                        params={"batch": 1, "workers": 3})
    audit.record_action("worker.import", user=admin, campaign=kalbar, params=IMPORTED)
    old = audit.record_action("user.role", user=admin, subject="amil@example.org",
                              params={"email": "amil@example.org", "before": "donor", "after": "manager"})
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
    events = db.session.query(AuditEvent).order_by(AuditEvent.id).all()
    assert [(e.action, e.params) for e in events] == [
        ("user.role", {"email": "new@example.org", "before": "donor", "after": "verifier"}),
        ("user.assign", {"email": "new@example.org", "campaign": "test-campaign", "assigned": True}),
        ("user.assign", {"email": "new@example.org", "campaign": "test-campaign", "assigned": False})]
    with force_locale("en_ID"):
        assert [describe(e) for e in events] == ["new@example.org: donor → verifier",
                                                 "new@example.org assigned to test-campaign",
                                                 "new@example.org removed from test-campaign"]
    with force_locale("id"):
        assert describe(events[0]) == "new@example.org: donatur → verifikator"
    with pytest.raises(AccessDenied):
        change_role(admin, Role.manager, actor=admin)


def test_a_nik_typed_into_a_reason_is_masked_before_it_is_stored(app, make):
    campaign = make.campaign()
    nik = make.worker_details().nik
    event = audit.record_action("worker.reject", user=None, campaign=campaign, subject="worker x",
                                params={"worker": "x", "changes": [], "reason": f"NIK {nik} tidak cocok",
                                        "reference": "1234567890123456"})
    assert nik not in repr(event.params)
    assert event.params["reason"] == f"NIK {nik[:4]}{'•' * 12} tidak cocok"
    assert event.params["reference"] == "1234567890123456"  # sixteen digits that are no NIK stay


def test_every_action_has_its_words_and_counts_are_grouped_and_plural(app, make):
    assert set(audit.ACTIONS) == set(DESCRIBE)
    campaign = make.campaign()
    event = audit.record_action("campaign.create", user=None, campaign=campaign, subject="riau",
                                params={"campaign": "riau", "target_workers": 100_000, "term_months": 1})
    with force_locale("id"):
        assert describe(event) == "riau: target 100.000 pekerja, masa 1 bulan"
    with force_locale("en_ID"):
        assert describe(event) == "riau: target 100.000 workers, a term of 1 month"  # English as used in Indonesia


#: The parameters each action's services record (one example of each shape).
SAMPLES = [
    ("campaign.create", {"campaign": "riau", "target_workers": 1000, "term_months": 6}),
    ("campaign.edit", {"campaign": "riau", "target_workers": 1000, "term_months": 6, "regions": 2}),
    ("campaign.edit", {"cover": "a1b2.jpg"}),
    ("campaign.status", {"campaign": "riau", "before": "draft", "after": "open"}),
    ("worker.register", {"worker": "W1", "verified": False}),
    ("worker.import", {"rows": 3, "imported": 2, "verified": True, "rejected": 1}),
    ("worker.rejected_rows", {"rows": 1}),
    ("worker.update", {"worker": "W1", "reason": "", "changes": [
        {"change": "mustahik", "value": True}, {"change": "consent", "value": False},
        {"change": "priority", "before": 0, "after": 5}, {"change": "flag_cleared"}]}),
    ("worker.verify", {"count": 2}),
    ("worker.reject", {"worker": "W1", "reason": "NIK ganda", "changes": [
        {"change": "verification", "before": "pending", "after": "rejected"}, {"change": "reason"}]}),
    ("funding.record", {"donation": 4, "source": "apbd", "funder": "Pemprov Riau", "amount_idr": 201_600,
                        "designation": "csr", "reference": "SP2D-1"}),
    ("allocation.run", {"runs": []}),
    ("remittance.create", {"batch": 1, "workers": 2, "months": 12, "amount_idr": 201_600}),
    ("remittance.export", {"batch": 1, "workers": 2}),
    ("remittance.transfer", {"batch": 1, "reference": "TRF-2", "transferred_on": "2018-03-15", "before": "TRF-1"}),
    ("remittance.acknowledge", {"batch": 1, "rows": 2, "months_accepted": 6, "months_rejected": 6,
                                "returned_idr": 100_800, "already": 0, "skipped": 0}),
    ("remittance.cancel", {"batch": 1}),
    ("payment.refund", {"payment": 3, "amount_idr": 16_800, "paid_idr": 50_000, "refund": 1, "reason": ""}),
    ("payment.flag_resolved", {"flag": 2, "provider": "stripe", "reference": "pi_1", "problem": "amount",
                               "provider_amount": "16000 idr", "note": "dikembalikan"}),
    ("dashboard.export", {"table": "lapsing", "workers": 5}),
    ("bank_statement.upload", {"bank": "bca", "credits": 3, "matched": 1, "unmatched": 1, "ambiguous": 1,
                               "repeated": 0}),
    ("bank_statement.assign", {"payment": 9, "line": 4, "booked_on": "2018-03-14", "amount_idr": 50_123,
                               "description": "TRSF DARI BUDI"}),
    ("user.role", {"email": "a@example.org", "before": "donor", "after": "manager"}),
    ("user.assign", {"email": "a@example.org", "campaign": "riau", "assigned": True}),
    ("status_link.issue", {"count": 3}),
    ("status_link.revoke", {"worker": "W1"}),
    ("campaign.update_post", {"update": 2, "emailed": 1}),
    ("campaign.doa_hide", {"donation": 5, "hidden": True}),
    ("claim.record", {"worker": "W1", "programme": "jkm", "kind": "heirs", "event_date": "2018-03-10",
                      "amount_idr": 42_000_000, "scholarship_idr": 5_000_000}),
    ("funder.report", {"funder": "", "first_month": 2018 * 12 + 2, "last_month": 2018 * 12 + 11}),
    ("mandiri.status_import", {"rows": 4, "updated": 1}),
]


@pytest.mark.parametrize("language", ["id", "en_ID"])
def test_each_action_reads_whole_in_both_languages(app, language):
    assert {action for action, _params in SAMPLES} == set(audit.ACTIONS)
    with force_locale(language):
        texts = [describe(AuditEvent(action=action, params=params)) for action, params in SAMPLES]
    assert all(texts) and not [t for t in texts if "%(" in t]
    assert ("tidak ada yang dialokasikan" if language == "id" else "nothing to allocate") in texts
