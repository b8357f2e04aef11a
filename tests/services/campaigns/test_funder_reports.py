"""Reports for funders: money in by period, coverage direct and pooled per regency, BPJS's answers, lapses, claims."""

import csv
import datetime as dt
import io

import pytest
import sqlalchemy as sa

from donate.extensions import db
from donate.models import ClaimKind, ClaimProgramme, Designation, Role, Verification, Worker
from donate.months import current_month
from donate.services.campaigns.funder_reports import funder_names, funder_report, funder_report_csv
from donate.services.coverage.allocation import allocate_pool
from donate.services.coverage.claims import record_claim
from donate.services.donors.companies import register_company, upload_company_workers
from donate.services.money.checkout import Donor, fund_own_workers
from donate.services.money.donations import confirm_payment, record_funding
from donate.services.remittance.batches import acknowledge_batch, create_batch, record_transfer
from donate.services.workers.registry import update_worker, worker_nik
from tests.conftest import NOW, PREMIUM, TODAY
from tests.manage_helpers import login, staff_user, user

TERM = 6
M = current_month(TODAY)
APBD = "APBD Provinsi Riau"


@pytest.fixture
def funded(app, make, books_stay_sound):
    """APBD funds three of four pooled workers' terms, online donors the fourth; a company pays for its two.

    BPJS accepts everyone but one pooled worker in Pekanbaru; one of the company's workers has a JKK claim.
    """
    campaign = make.campaign("riau")
    pooled = [make.worker(campaign, regency_code=code) for code in ("1402", "1402", "1471", "1471")]
    company = register_company(user("csr@sawit.example", Role.donor), name="PT Sawit Makmur",
                               npwp="01.300.066.6-091.000", contact_name="Ibu Rina", now=NOW)
    upload_company_workers(company, campaign, make.worker_csv([make.csv_row(regency_code="1402") for _ in range(2)]),
                           today=TODAY, now=NOW)
    own = db.session.scalars(sa.select(Worker).where(Worker.company_id == company.id)).all()
    for worker in own:
        update_worker(worker, user=None, verification=Verification.verified, is_mustahik=True, consent=True,
                      priority=0, now=NOW)
    record_funding(campaign, 3 * TERM * PREMIUM, funder=APBD, designation=Designation.csr, reference="SP2D-1",
                   today=TODAY, now=NOW)
    make.paid_gift(campaign, TERM * PREMIUM, designation=Designation.infak, donor_email="siti@example.org")
    allocate_pool(campaign, today=TODAY, now=NOW)
    payment, _ = fund_own_workers(campaign, company, TERM, Designation.csr,
                                  Donor(name=company.name, email="csr@sawit.example", user_id=company.user_id),
                                  lambda p: ("/ok", "/no"), today=TODAY, now=NOW, method="qris")
    confirm_payment(payment.id, today=TODAY, now=NOW)
    batch = create_batch(campaign, M - 3, M + 11, user=None)
    record_transfer(batch, "TRF-1", transferred_on=TODAY, user=None)
    refused = pooled[3]
    answers = "".join(f"{worker_nik(w)};{i + 1:011d};diterima;\n" for i, w in enumerate(pooled[:3] + own))
    acknowledge_batch(batch, f"nik;kpj;status;reason\n{answers}{worker_nik(refused)};;ditolak;data salah\n", user=None)
    record_claim(own[0], programme=ClaimProgramme.jkk, kind=ClaimKind.medical, event_date=TODAY,
                 amount_idr=5_000_000, user=None, today=TODAY, now=NOW)
    db.session.commit()
    return campaign, company


def test_an_institutions_report_shows_its_money_and_the_pool_it_shares(funded):
    campaign, _ = funded
    assert funder_names(campaign) == [APBD, "PT Sawit Makmur", ""]
    report = funder_report(campaign, APBD, first_month=M, last_month=M + TERM - 1, today=TODAY)
    assert (report.gifts, report.received_idr, report.refunded_idr) == (1, 3 * TERM * PREMIUM, 0)
    assert report.pool_share_permille == 750
    assert report.direct == []
    by_region = {line.code: (line.workers, line.worker_months, line.months_accepted, line.lapsed)
                 for line in report.pooled}
    assert by_region == {"1402": (2, 12, 12, 0), "1471": (1, 6, 6, 0)}
    # A period before any gift: no money in, nothing covered.
    earlier = funder_report(campaign, APBD, first_month=M - 12, last_month=M - 1, today=TODAY)
    assert (earlier.gifts, earlier.received_idr, earlier.pooled) == (0, 0, [])


def test_a_companys_report_counts_its_own_workers_claims_and_later_lapses(funded):
    campaign, _ = funded
    report = funder_report(campaign, "PT Sawit Makmur", first_month=M, last_month=M + TERM - 1, today=TODAY)
    assert report.received_idr == 2 * TERM * PREMIUM and report.pool_share_permille == 0
    [line] = report.direct
    assert (line.code, line.name, line.workers, line.worker_months, line.months_accepted) == \
        ("1402", "Indragiri Hulu", 2, 12, 12)
    assert (line.claims, line.claims_idr) == (1, 5_000_000)
    # A year on, with no renewal, the cover is over and the arrears window past: both lapsed.
    later = funder_report(campaign, "PT Sawit Makmur", first_month=M, last_month=M + TERM - 1,
                          today=TODAY + dt.timedelta(days=365))
    assert later.direct[0].lapsed == 2
    rows = list(csv.DictReader(io.StringIO(funder_report_csv(report))))
    assert [(r["attribution"], r["regency_code"], r["workers"], r["claims_idr"]) for r in rows] == [
        ("direct", "1402", "2", "5000000"), ("pooled", "1402", "2", "0"), ("pooled", "1471", "1", "0")]
    assert rows[0]["received_idr"] == str(2 * TERM * PREMIUM) and rows[0]["period_from"] == "2018-03"


def test_the_printable_page_and_the_csv_for_a_manager(funded, client):
    campaign, _ = funded
    manager = staff_user("amil@baznas.example", Role.manager, campaign)
    verifier = staff_user("verif@baznas.example", Role.verifier, campaign)
    db.session.commit()
    query = {"funder": APBD, "first_month": "2018-03", "last_month": "2018-08"}
    login(client, verifier)
    assert client.get("/manage/campaigns/riau/funders", query_string=query).status_code == 403
    login(client, manager)
    page = client.get("/manage/campaigns/riau/funders", query_string=query).get_data(as_text=True)
    assert "Laporan pemberi dana" in page and "75.0%" in page
    assert '<td class="workers">3</td>' in page and '<td class="worker-months">18</td>' in page
    download = client.get("/manage/campaigns/riau/funders/report.csv", query_string=query)
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert len(download.get_data(as_text=True).lstrip("\ufeff").splitlines()) == 3
    bad = client.get("/manage/campaigns/riau/funders", query_string={**query, "last_month": "2018-01"})
    assert bad.status_code == 422 and "Periode berakhir sebelum dimulai" in bad.get_data(as_text=True)
