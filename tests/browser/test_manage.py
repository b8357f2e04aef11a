"""Managers in a real browser: CSV upload with errors, the allocation preview, the remittance round trip."""

import csv
import io
import re

import sqlalchemy as sa
from playwright.sync_api import expect

from donate import clock
from donate.extensions import db
from donate.models import Account, Designation, Role, Worker
from donate.services import ledger
from donate.services.workers.registry import worker_nik
from tests.manage_helpers import staff_user


def log_in(page, live_server, who):
    """Log in through the session cookie the test client would set (the login page is another issue's)."""
    from flask import current_app

    serializer = current_app.session_interface.get_signing_serializer(current_app)
    cookie = serializer.dumps({"_user_id": who.get_id(), "_fresh": True})
    page.context.add_cookies([{"name": current_app.config.get("SESSION_COOKIE_NAME", "session"),
                               "value": cookie, "url": live_server}])


def test_csv_upload_reports_bad_rows_then_imports_the_good(app, make, page, live_server, tmp_path):
    campaign = make.campaign("riau")
    verifier = staff_user("v@example.org", Role.verifier, campaign)
    db.session.commit()
    rows = [make.csv_row() for _ in range(4)]
    rows.insert(2, {**make.csv_row(), "nik": "12345"})
    path = tmp_path / "pekerja.csv"
    path.write_bytes(make.worker_csv(rows))
    log_in(page, live_server, verifier)

    page.goto("/manage/campaigns/riau/workers/upload")
    page.set_input_files("input[type=file]", str(path))
    page.locator("form.stack button[type=submit]").click()
    report = page.locator("section.report")
    assert "<td>4</td>" in report.inner_html()
    assert "NIK:" in report.inner_text()
    with page.expect_download() as download:
        page.locator("section.report a.button").click()
    rejected = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read())))
    assert [r["line"] for r in rejected] == ["4"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Worker)) == 0

    page.set_input_files("input[type=file]", str(path))
    page.locator("input[name=skip_invalid]").check()
    page.locator("form.stack button[type=submit]").click()
    assert "4" in page.locator("section.report").inner_text()
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Worker)) == 4


def test_allocation_preview_then_run(app, make, page, live_server):
    campaign = make.campaign("riau", regions=(("1402", None),))
    make.workers(campaign, 3, regency_code="1402")
    make.paid_gift(campaign, 2 * 6 * 16_800 + 1_000, designation=Designation.csr)
    manager = staff_user("m@example.org", Role.manager, campaign)
    db.session.commit()
    log_in(page, live_server, manager)

    page.goto("/manage/campaigns/riau/allocation")
    assert page.locator("dd.new-workers").inner_text() == "2"
    assert "Indragiri Hulu" in page.locator("table.preview-regions").inner_text()
    assert ledger.balance(campaign.id, Account.pool) == 2 * 6 * 16_800 + 1_000
    page.locator("input[name=confirm]").check()
    page.locator("section.preview button[type=submit]").click()
    # The run is a background job: its page refreshes by itself until the result is there.
    expect(page.locator("section.report strong")).to_have_text(re.compile(r"\b2\b.*\b12\b"), timeout=15_000)
    db.session.expire_all()
    assert ledger.balance(campaign.id, Account.pool) == 1_000
    page.locator("section.report a.button").click()
    assert page.locator("p.nothing").count() == 1
    assert ledger.balance(campaign.id, Account.pool) == 1_000


def test_remittance_round_trip(app, make, page, live_server, tmp_path):
    campaign = make.campaign("riau")
    workers = make.workers(campaign, 2)
    make.paid_gift(campaign, 2 * 6 * 16_800, designation=Designation.infak)
    manager = staff_user("m@example.org", Role.manager, campaign)
    from donate.services.coverage.allocation import allocate_pool

    allocate_pool(campaign, now=clock.now(), today=clock.today())
    db.session.commit()
    log_in(page, live_server, manager)

    page.goto("/manage/campaigns/riau/remittance")
    page.locator("form.stack button[type=submit]").click()
    assert page.locator("dd.batch-state").get_attribute("data-state") == "created"
    with page.expect_download() as download:
        page.locator("a.button[href$='bpjs.csv']").click()
    exported = list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8-sig").read())))
    assert sorted(r["nik"] for r in exported) == sorted(worker_nik(w) for w in workers)

    page.locator("input[name=reference]").fill("BNI-778899")
    page.locator("form[action$='/transfer'] button").click()
    assert page.locator("dd.batch-state").get_attribute("data-state") == "sent"
    ack = tmp_path / "ack.csv"
    ack.write_text("nik,kpj,status,reason\n"
                   f"{exported[0]['nik']},12345678901,diterima,\n"
                   f"{exported[1]['nik']},,ditolak,NIK ganda\n")
    page.set_input_files("form[action$='/acknowledgement'] input[type=file]", str(ack))
    page.locator("form[action$='/acknowledgement'] button").click()
    assert page.locator("dd.accepted").inner_text() == "1"
    assert page.locator("dd.rejected").inner_text() == "1"
    assert page.locator("dd.batch-state").get_attribute("data-state") == "reconciled"
    db.session.expire_all()
    assert ledger.balance(campaign.id, Account.pool) == 6 * 16_800
    assert ledger.check_ledger() == []
