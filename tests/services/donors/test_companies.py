"""A company brings its own workers: registered once, verified by the campaign, reserved to the company's gift."""

import pytest
import sqlalchemy as sa

from donate.extensions import db
from donate.models import Account, CoverageMonth, Designation, DonationKind, Role, Verification, Worker
from donate.months import current_month
from donate.services import ledger
from donate.services.coverage.allocation import allocate_pool
from donate.services.coverage.waitlist import waiting_count
from donate.services.donors.companies import (
    CompanyInvalid,
    company_coverage,
    company_report_csv,
    register_company,
    upload_company_workers,
)
from donate.services.money.checkout import Donor, fund_own_workers, own_workers_quote
from donate.services.money.donations import DonationRefused, confirm_payment
from donate.services.workers.registry import update_worker, worker_nik
from tests.conftest import NOW, PREMIUM, TODAY
from tests.manage_helpers import user
from tests.services.test_concurrency import race

NPWP = "01.300.066.6-091.000"


def _urls(payment):
    return "/ok", "/cancel"


@pytest.fixture
def company(app):
    account = user("csr@sawit.example", Role.donor)
    return register_company(account, name="PT Sawit Makmur", npwp=NPWP, contact_name="Ibu Rina", now=NOW)


def _verify(workers, verifier):
    for worker in workers:
        update_worker(worker, user=verifier, verification=Verification.verified, reason="",
                      is_mustahik=worker.is_mustahik, consent=True, priority=0, clear_flag=False, now=NOW)


def test_a_company_needs_a_valid_npwp_and_registers_once(app):
    account = user("pt@example.org", Role.donor)
    with pytest.raises(CompanyInvalid) as refused:
        register_company(account, name="PT Contoh", npwp="01.300.066.7-091.000", contact_name="Budi", now=NOW)
    assert refused.value.field == "npwp"
    company = register_company(account, name="PT Contoh", npwp=NPWP, contact_name="Budi", now=NOW)
    assert company.npwp == "013000666091000"
    other = user("lain@example.org", Role.donor)
    with pytest.raises(CompanyInvalid) as refused:
        register_company(other, name="PT Lain", npwp=NPWP, contact_name="Sari", now=NOW)
    assert refused.value.field == "npwp"
    with pytest.raises(CompanyInvalid):
        register_company(account, name="PT Kedua", npwp="3171011501900001", contact_name="Budi", now=NOW)


def test_the_list_waits_for_verifiers_and_stays_off_the_general_waitlist(app, make, company, books_stay_sound):
    campaign = make.campaign()
    general = make.workers(campaign, 2)
    rows = [make.csv_row(regency_code="1402") for _ in range(5)]
    result = upload_company_workers(company, campaign, make.worker_csv(rows), today=TODAY, now=NOW)
    assert result.report.ok and result.report.imported == 5
    listed = db.session.scalars(sa.select(Worker).where(Worker.company_id == company.id)).all()
    assert {w.verification for w in listed} == {Verification.pending}
    verifier = user("verif@baznas.example", Role.verifier)
    _verify(listed[:4], verifier)
    assert waiting_count(campaign, today=TODAY) == 2
    assert waiting_count(campaign, today=TODAY, company_id=company.id) == 4

    # Pool money funds the general list only.
    make.paid_gift(campaign, 10 * 6 * PREMIUM, designation=Designation.csr)
    allocate_pool(campaign, today=TODAY, now=NOW)
    funded = set(db.session.scalars(sa.select(CoverageMonth.worker_id).distinct()))
    assert funded == {w.id for w in general}


def test_the_company_pays_for_exactly_its_verified_workers(app, make, company, books_stay_sound):
    campaign = make.campaign()
    make.workers(campaign, 3)
    rows = [make.csv_row(monthly_income_idr="1000000") for _ in range(3)] + [make.csv_row(monthly_income_idr="2000000")]
    upload_company_workers(company, campaign, make.worker_csv(rows), today=TODAY, now=NOW)
    listed = db.session.scalars(sa.select(Worker).where(Worker.company_id == company.id).order_by(Worker.id)).all()
    _verify(listed[1:], user("verif@baznas.example", Role.verifier))
    workers, price = own_workers_quote(campaign, company.id, 6, Designation.csr, today=TODAY)
    # Two at the minimum income and one at Rp 2.000.000 (JKK 1% = Rp 20.000 + JKM Rp 6.800).
    assert (workers, price) == (3, 6 * (2 * PREMIUM + 26_800))
    donor = Donor(name=company.name, email="csr@sawit.example", user_id=company.user_id)
    payment, _url = fund_own_workers(campaign, company, 6, Designation.csr, donor, _urls, today=TODAY,
                                     method="qris", now=NOW)
    assert payment.donation.funder == "PT Sawit Makmur" and payment.donation.kind == DonationKind.bulk
    with pytest.raises(DonationRefused):  # one open payment at a time
        fund_own_workers(campaign, company, 6, Designation.csr, donor, _urls, today=TODAY, method="qris", now=NOW)
    confirm_payment(payment.id, today=TODAY, now=NOW)
    funded = set(db.session.scalars(sa.select(CoverageMonth.worker_id).distinct()))
    assert funded == {w.id for w in listed[1:]}
    assert ledger.balance(campaign.id, Account.pool) == 0
    coverage = company_coverage(company, campaign, today=TODAY)
    assert (coverage.registered, coverage.pending, coverage.verified, coverage.waiting) == (4, 1, 3, 0)
    assert (coverage.funded, coverage.worker_months) == (3, 18)
    with pytest.raises(DonationRefused):  # nobody left to pay for
        fund_own_workers(campaign, company, 6, Designation.csr, donor, _urls, today=TODAY, method="qris", now=NOW)
    report = company_report_csv(company, campaign, today=TODAY).splitlines()
    assert len(report) == 5 and report[0].startswith("nik_masked,full_name")
    assert sum(1 for line in report[1:] if f",{current_month(TODAY) // 12}-" in line) == 3


def test_a_worker_on_another_list_or_already_covered_is_reported_on_its_line(app, make, company, books_stay_sound):
    campaign = make.campaign()
    covered = make.worker(campaign)
    make.paid_gift(campaign, 6 * PREMIUM, designation=Designation.csr)
    allocate_pool(campaign, today=TODAY, now=NOW)
    other = register_company(user("lain@example.org", Role.donor), name="PT Lain", npwp="3171011501900001",
                             contact_name="Sari", now=NOW)
    theirs = make.csv_row()
    upload_company_workers(other, campaign, make.worker_csv([theirs]), today=TODAY, now=NOW)
    covered_row = make.csv_row(nik=worker_nik(covered), birth_date=covered.birth_date, sex=covered.sex,
                               regency_code=covered.regency_code)
    result = upload_company_workers(company, campaign, make.worker_csv([make.csv_row(), theirs, covered_row]),
                                    today=TODAY, now=NOW)
    assert not result.imported
    assert [(r.line, str(r.reason)) for r in result.report.rejected] == [
        (3, "NIK: sudah terdaftar"), (4, "NIK: sudah terdaftar dan ditanggung")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Worker).where(Worker.company_id == company.id)) == 0


def test_two_lists_racing_for_one_nik_register_it_once(app, make):
    campaign = make.campaign()
    accounts = [user(f"pt{i}@example.org", Role.donor) for i in range(2)]
    companies = [register_company(accounts[0], name="PT Satu", npwp=NPWP, contact_name="A", now=NOW),
                 register_company(accounts[1], name="PT Dua", npwp="3171011501900001", contact_name="B", now=NOW)]
    data = make.worker_csv([make.csv_row()])
    ids = [c.id for c in companies]
    campaign_id = campaign.id
    db.session.commit()

    def upload(i):
        from donate.models import Campaign, Company
        return upload_company_workers(db.session.get(Company, ids[i]), db.session.get(Campaign, campaign_id), data,
                                      today=TODAY, now=NOW)

    results = race(app, upload, count=2)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Worker)) == 1
    reports = sorted((r.report.imported, [x.line for x in r.report.rejected]) for r in results)
    assert reports == [(0, [2]), (1, [])]
