"""The audit log and the dashboard's activity feed say what each action did in the visitor's language."""

from donate import clock
from donate.extensions import db
from donate.models import AuditEvent, Designation, Role
from donate.months import current_month
from donate.services.access.audit_details import describe
from donate.services.access.staff import change_role
from donate.services.coverage.preview import run_allocation
from donate.services.remittance.batches import create_batch
from donate.services.workers.imports import upload_workers
from tests.conftest import PREMIUM
from tests.manage_helpers import login, staff_user, user

#: How the events below read in English; none of it may show on an Indonesian page.
ENGLISH = (
    "1 row: 1 imported (verified), 0 rejected", "2 rows: 1 imported (pending verification), 1 rejected",
    "donor → verifier", "new workers, infak/sedekah: 1 worker, 6 worker-months, Rp 100.800",
    "batch 1: 1 worker, 6 worker-months, Rp 100.800",
)
#: The same events in Indonesian, plurals included ("1 baris", "2 baris").
INDONESIAN = (
    "1 baris: 1 diimpor (terverifikasi), 0 ditolak", "2 baris: 1 diimpor (menunggu verifikasi), 1 ditolak",
    "donatur → verifikator", "pekerja baru, infak/sedekah: 1 pekerja, 6 bulan-pekerja, Rp 100.800",
    "batch 1: 1 pekerja, 6 bulan-pekerja, Rp 100.800",
)
#: English plurals that would give away a message built by hand, and the English text events were stored as.
BROKEN_PLURALS = ("1 workers", "1 rows", "1 worker-months", "6 worker-month,", "1 months",
                  "donor -> verifier", "imported 1 (verified), rejected 0", "1 workers, 6 months")


def _events(make):
    """Record an import of one row, one of two (one bad), a role change, an allocation and a batch."""
    campaign = make.campaign("riau")
    manager = staff_user("m@example.org", Role.manager, campaign)
    admin = user("admin@example.org", Role.admin)
    today, now = clock.today(), clock.now()
    upload_workers(campaign, make.worker_csv([make.csv_row()]), user=manager, verified=True,
                   skip_invalid=False, today=today, now=now)
    upload_workers(campaign, make.worker_csv([make.csv_row(), make.csv_row(nik="123")]), user=manager,
                   verified=False, skip_invalid=True, today=today, now=now)
    change_role(user("rina@example.org", Role.donor), Role.verifier, actor=admin)
    make.paid_gift(campaign, 6 * PREMIUM, designation=Designation.infak)
    run_allocation(campaign, user=manager, today=today, now=now)
    month = current_month(today)
    create_batch(campaign, month, month + 11, user=manager)
    db.session.commit()
    return admin, manager


def _shown(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_audit_page_and_activity_feed_in_indonesian_then_in_english(app, client, make):
    admin, manager = _events(make)
    pages = {}
    login(client, admin)
    pages["audit"] = _shown(client, "/manage/audit")
    login(client, manager)
    pages["dashboard"] = _shown(client, "/manage/campaigns/riau")
    for where, html in pages.items():
        assert [s for s in ENGLISH + BROKEN_PLURALS if s in html] == [], where
    assert all(s in pages["audit"] for s in INDONESIAN)
    assert all(s in pages["dashboard"] for s in INDONESIAN if "→" not in s)  # the role change has no campaign

    login(client, admin)
    pages["audit"] = _shown(client, "/manage/audit?lang=en")
    login(client, manager)
    pages["dashboard"] = _shown(client, "/manage/campaigns/riau?lang=en")
    for where, html in pages.items():
        assert [s for s in INDONESIAN + BROKEN_PLURALS if s in html] == [], where
    assert all(s in pages["audit"] for s in ENGLISH)
    assert all(s in pages["dashboard"] for s in ENGLISH if "→" not in s)


def test_events_store_parameters_not_prose(app, make):
    _events(make)
    events = {e.action: e for e in db.session.query(AuditEvent).order_by(AuditEvent.id)}
    assert events["user.role"].params == {"email": "rina@example.org", "before": "donor", "after": "verifier"}
    assert events["allocation.run"].params == {"runs": [{"kind": "new", "designation": "infak", "workers": 1,
                                                         "months": 6, "amount_idr": 6 * PREMIUM}]}
    assert all(e.detail == "" for e in events.values())


def test_an_event_stored_as_text_still_shows_its_text(app, client, make):
    admin = user("admin@example.org", Role.admin)
    old = AuditEvent(action="remittance.create", subject="batch 7", detail="2 workers, 12 months, Rp 403.200")
    db.session.add(old)
    db.session.commit()
    assert describe(old) == "batch 7 — 2 workers, 12 months, Rp 403.200"
    login(client, admin)
    assert "batch 7 — 2 workers, 12 months, Rp 403.200" in _shown(client, "/manage/audit")
