"""Every CSV the app writes is safe to open in a spreadsheet (OWASP CSV injection)."""

import csv
import io

import pytest

from donate import clock
from donate.extensions import db
from donate.models import Designation, Role
from donate.months import current_month
from donate.services.coverage.allocation import allocate_pool
from donate.services.csvfiles import neutralise_cell, write_csv
from donate.services.money.donations import record_institutional_funding
from donate.services.remittance.batches import create_batch, export_batch
from donate.services.workers.imports import import_workers, write_rejected
from tests.manage_helpers import login, staff_user

FORMULAS = ['=HYPERLINK("http://evil.example","click")', "+cmd|' /c calc'!a0", "@SUM(1+1)", "-2+3",
            "\t=1+1", "\r=1+1"]


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("value", FORMULAS)
def test_formula_text_gets_an_apostrophe(value):
    assert neutralise_cell(value) == "'" + value


@pytest.mark.parametrize("value", [16800, -16800, "-16800", "+6281234567890", "3174011505800001", "Budi", "",
                                   None, "1+1", "Rp -5"])
def test_numbers_and_plain_text_stay_as_they_are(value):
    assert neutralise_cell(value) == value


def test_write_csv_neutralises_header_and_rows_but_keeps_numbers():
    text = write_csv(("name", "amount"), [("=1+1", -16800), ("Budi", 16800)])
    assert cells(text) == [["name", "amount"], ["'=1+1", "-16800"], ["Budi", "16800"]]


def test_bpjs_batch_export_neutralises_a_partners_formula_names(app, make):
    campaign = make.campaign()
    make.worker(campaign, full_name="=HYPERLINK(\"http://evil.example\",\"click\")")
    make.worker(campaign, full_name="@SUM(1+1)")
    make.paid_gift(campaign, 2 * 6 * 16_800, designation=Designation.infak)
    allocate_pool(campaign, now=clock.now(), today=clock.today())
    batch = create_batch(campaign, current_month(clock.today()) - 3, current_month(clock.today()) + 11, user=None)
    rows = cells(export_batch(batch, user=None))
    names = sorted(row[1] for row in rows[1:])
    assert names == ["'=HYPERLINK(\"http://evil.example\",\"click\")", "'@SUM(1+1)"]
    assert all(row[0].isdigit() and len(row[0]) == 16 for row in rows[1:])  # the NIK stays a plain number
    amount = rows[0].index("amount_idr")
    assert all(int(row[amount]) == 6 * 16_800 for row in rows[1:])


def test_rejected_rows_csv_neutralises_cells(app, make):
    campaign = make.campaign()
    data = make.worker_csv([make.csv_row(full_name="+cmd|' /c calc'!a0", regency_code="0000")])
    report = import_workers(campaign, data, today=clock.today(), now=clock.now())
    out = io.StringIO()
    write_rejected(report, out)
    (header, row) = cells(out.getvalue())
    assert row[header.index("full_name")] == "'+cmd|' /c calc'!a0"


def test_funders_csv_neutralises_a_funder_typed_by_a_manager(app, client, make):
    campaign = make.campaign()
    manager = staff_user("m@example.org", Role.manager, campaign)
    record_institutional_funding(campaign, 201_600, user=manager, funder="=HYPERLINK(\"http://x\",\"y\")",
                                 designation=Designation.csr, reference="REF-1", source="CSR",
                                 now=clock.now(), today=clock.today())
    db.session.commit()
    login(client, manager)
    text = client.get(f"/manage/campaigns/{campaign.slug}/export/funders.csv").get_data(as_text=True)
    funders = [row[0] for row in cells(text)[1:]]
    assert "'=HYPERLINK(\"http://x\",\"y\")" in funders
