"""The manager pages do what they say: forms, masking, refusals, exports, the audit log."""

import datetime as dt

import sqlalchemy as sa

from donate import clock
from donate.extensions import db
from donate.models import (
    AuditEvent,
    Campaign,
    CampaignStatus,
    Designation,
    Role,
    User,
    Verification,
    Worker,
)
from donate.months import current_month, month_start
from donate.services.access.staff import assign_staff, can_register, change_role
from donate.services.coverage.preview import run_allocation
from donate.services.money.donations import record_institutional_funding
from donate.services.remittance.batches import create_batch
from donate.services.workers.imports import upload_workers
from donate.services.workers.registry import worker_nik
from tests.manage_helpers import login, staff_user, user


def test_a_manager_creates_edits_and_opens_a_campaign(app, client):
    manager = user("amil@example.org", Role.manager)
    db.session.commit()
    login(client, manager)
    response = client.post("/manage/campaigns/new", data={
        "slug": "baznas-kalbar", "name": "BAZNAS Kalbar", "target_workers": "3533", "term_months": "6",
        "designations": ["zakat", "infak"], "mustahik_only": "y", "eligible_occupations": "nelayan, petani",
        "region_lines": "6171: 2000\n6172"})
    assert response.status_code == 302
    campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == "baznas-kalbar"))
    assert campaign.status == CampaignStatus.draft
    assert [(r.code, r.target_workers) for r in campaign.regions] == [("6171", 2000), ("6172", None)]

    page = client.get("/manage/campaigns/baznas-kalbar/edit").get_data(as_text=True)
    assert "6171: 2000" in page and "Pontianak" in page
    bad = client.post("/manage/campaigns/baznas-kalbar/edit", data={
        "name": "BAZNAS Kalbar", "target_workers": "3533", "term_months": "6", "designations": ["zakat"],
        "region_lines": "9999"})
    assert bad.status_code == 200 and "9999" in bad.get_data(as_text=True)
    client.post("/manage/campaigns/baznas-kalbar/status", data={"status": "open"})
    db.session.refresh(campaign)
    assert campaign.status == CampaignStatus.open


def test_registry_search_finds_by_nik_and_masks_it(app, client, make):
    campaign = make.campaign()
    workers = make.workers(campaign, 3)
    verifier = staff_user("v@example.org", Role.verifier, campaign)
    db.session.commit()
    login(client, verifier)
    nik = worker_nik(workers[1])
    found = client.post("/manage/campaigns/test-campaign/workers/find", data={"nik": nik[:6] + " " + nik[6:]})
    assert found.status_code == 302 and nik not in found.location
    detail = client.get(found.location).get_data(as_text=True)
    assert workers[1].full_name in detail
    assert nik not in detail and "••••••••••••" + nik[-4:] in detail
    listing = client.get("/manage/campaigns/test-campaign/workers?name=uji").get_data(as_text=True)
    assert all(w.full_name in listing for w in workers)
    assert nik not in listing and nik[-4:] in listing
    missing = client.post("/manage/campaigns/test-campaign/workers/find", data={"nik": "1471010101010001"},
                          follow_redirects=True)
    assert "Tidak ada pekerja" in missing.get_data(as_text=True)


def test_registering_and_rejecting_by_form(app, client, make):
    campaign = make.campaign()
    verifier = staff_user("v@example.org", Role.verifier, campaign)
    db.session.commit()
    login(client, verifier)
    row = make.csv_row()
    bad = client.post("/manage/campaigns/test-campaign/workers/new", data={**row, "nik": "1234567890123456"})
    assert bad.status_code == 200 and "bukan NIK yang sah" in bad.get_data(as_text=True)
    good = client.post("/manage/campaigns/test-campaign/workers/new",
                       data={**row, "mustahik": "y", "consent": "y"})
    assert good.status_code == 302
    url = good.location
    refused = client.post(url, data={"verification": "rejected", "reason": "", "priority": "0"})
    assert "reason" in refused.get_data(as_text=True)
    client.post(url, data={"verification": "rejected", "reason": "KTP palsu", "priority": "0", "consent": "y"})
    worker = db.session.scalars(sa.select(Worker)).one()
    assert worker.verification == Verification.rejected and worker.flag_reason == "KTP palsu"
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["worker.register", "worker.reject"]


def test_refund_refused_is_explained(app, client, make):
    campaign = make.campaign()
    make.worker(campaign)
    gift = make.paid_gift(campaign, 6 * 16_800, designation=Designation.infak)
    manager = staff_user("m@example.org", Role.manager, campaign)
    run_allocation(campaign, user=manager, today=clock.today(), now=clock.now())
    create_batch(campaign, current_month(clock.today()), current_month(clock.today()) + 11, user=manager)
    db.session.commit()
    login(client, manager)
    page = client.post(f"/manage/campaigns/test-campaign/gifts/{gift.payments[0].id}/refund",
                       data={"amount_idr": "", "reason": "donor asked"})
    assert page.status_code == 200 and "sudah dikirim ke BPJS" in page.get_data(as_text=True)


def test_dashboard_exports_and_audit_scope(app, client, make):
    campaign, other = make.campaign(regions=(("1402", 10),)), make.campaign("other")
    make.workers(campaign, 2, regency_code="1402")
    manager = staff_user("m@example.org", Role.manager, campaign)
    record_institutional_funding(campaign, 2 * 6 * 16_800, user=manager, funder="DBH Sawit Riau",
                                       designation=Designation.csr, reference="DBH-1", source="DBH Sawit",
                                       now=clock.now(), today=clock.today())
    # Six months that end with this month, so both workers lapse within 30 days whatever today is.
    run_allocation(campaign, user=manager, today=month_start(current_month(clock.today()) - 5), now=clock.now())
    admin = user("admin@example.org", Role.admin)
    change_role(user("x@example.org", Role.donor), Role.verifier, actor=admin)
    assign_staff(other, admin, actor=admin)
    db.session.commit()
    login(client, manager)
    regions = client.get("/manage/campaigns/test-campaign/export/regions.csv").get_data(as_text=True)
    assert "1402,Indragiri Hulu,10,2,0,2,0" in regions
    funders = client.get("/manage/campaigns/test-campaign/export/funders.csv").get_data(as_text=True)
    assert "DBH Sawit Riau,csr,1,201600,0,201600,2" in funders
    lapsing = client.get("/manage/campaigns/test-campaign/export/lapsing.csv").get_data(as_text=True)
    assert len(lapsing.strip().splitlines()) == 3
    assert client.get("/manage/campaigns/test-campaign/export/secrets.csv").status_code == 404
    dashboard = client.get("/manage/campaigns/test-campaign").get_data(as_text=True)
    assert "Pendanaan dicatat" in dashboard and "funding.record" not in dashboard and "DBH Sawit Riau" in dashboard

    log = client.get("/manage/audit").get_data(as_text=True)
    assert "<td>Tabel dasbor diunduh</td>" in log
    assert "<td>Peran diubah</td>" not in log and "ditugaskan ke other" not in log
    login(client, admin)
    log = client.get("/manage/audit?action=user.role").get_data(as_text=True)
    assert "x@example.org: donatur → verifikator" in log and "<td>Pendanaan dicatat</td>" not in log


def test_admin_changes_roles_and_assignments(app, client, make):
    campaign = make.campaign()
    admin = user("admin@example.org", Role.admin)
    person = user("p@example.org", Role.donor)
    db.session.commit()
    login(client, admin)
    client.post(f"/manage/users/{person.id}", data={"role-role": "verifier"})
    client.post(f"/manage/users/{person.id}", data={"assign-campaign": "test-campaign", "assign-assign": "add"})
    db.session.expire_all()
    person = db.session.get(User, person.id)
    assert person.role == Role.verifier and can_register(person, campaign)
    own = client.post(f"/manage/users/{admin.id}", data={"role-role": "donor"}, follow_redirects=True)
    assert "peran admin Anda sendiri" in own.get_data(as_text=True)


def test_funders_appear_on_the_public_page_in_workers(app, client, make):
    campaign = make.campaign()
    manager = staff_user("m@example.org", Role.manager, campaign)
    record_institutional_funding(campaign, 100 * 6 * 16_800 + 5_000, user=manager,
                                       funder="APBD Provinsi Riau", designation=Designation.csr,
                                       reference="SP2D-9", source="APBD", now=clock.now(), today=clock.today())
    make.paid_gift(campaign, 6 * 16_800, donor_name="Budi")
    db.session.commit()
    page = client.get("/campaigns/test-campaign?lang=id").get_data(as_text=True)
    assert "APBD Provinsi Riau: 100 pekerja" in page
    assert "Donatur perorangan: 1 pekerja" in page
    login(client, manager)
    assert 'href="/manage/"' in client.get("/").get_data(as_text=True)


def test_rejected_rows_expire_after_a_week(app, client, make):
    from donate.models import RejectedRowsFile

    campaign = make.campaign()
    verifier = staff_user("v@example.org", Role.verifier, campaign)
    upload = upload_workers(campaign, make.worker_csv([{**make.csv_row(), "nik": "1"}]), user=verifier,
                                  verified=True, skip_invalid=False, today=clock.today(), now=clock.now())
    db.session.commit()
    login(client, verifier)
    url = f"/manage/campaigns/test-campaign/workers/rejected/{upload.rejected_token}.csv"
    assert "NIK: bukan NIK yang sah" in client.get(url).get_data(as_text=True)
    stored = db.session.scalars(sa.select(RejectedRowsFile)).one()
    stored.created_at -= dt.timedelta(days=8)
    db.session.commit()
    assert client.get(url).status_code == 404
