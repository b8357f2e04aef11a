"""JHT as an option: rates by effective date per programme, premiums, allocation, export, status, one package per worker."""

import csv
import datetime as dt
import io

import pytest
import sqlalchemy as sa

from donate.extensions import db
from donate.models import Account, CoverageMonth, Designation, DonationKind, PremiumRate
from donate.months import current_month, month_index
from donate.services import ledger
from donate.services.campaigns.settings import CampaignInvalid, CampaignSettings, update_campaign
from donate.services.coverage.allocation import allocate_pool
from donate.services.coverage.lookup import check_status
from donate.services.coverage.rates import base_premium, rates_for_months
from donate.services.money.checkout import sponsorship_quote
from donate.services.remittance.batches import acknowledge_batch, create_batch, export_batch, record_transfer
from donate.services.workers.registry import worker_nik
from tests.conftest import NOW, TODAY

M = month_index(TODAY)
#: A later regulation in this test's schedule: JKM cut to Rp 4.200 from June 2018 (JKK and JHT unchanged).
CUT = dt.date(2018, 6, 1)


@pytest.fixture
def later_rate(app):
    """Add a rate row from June 2018 on, and take it away again (the schedule is kept between tests)."""
    db.session.add(PremiumRate(effective_from=CUT, jkk_basis_points=100, min_income_idr=1_000_000, jkm_idr=4_200,
                               jht_basis_points=200, regulation="test: JKM cut"))
    db.session.commit()
    yield
    db.session.rollback()
    db.session.execute(sa.delete(PremiumRate).where(PremiumRate.effective_from == CUT))
    db.session.commit()


def test_each_programme_has_its_rate_by_effective_date(later_rate):
    rates = rates_for_months(M, M + 5)
    before, after = rates[M], rates[month_index(CUT)]
    # 1 % JKK + Rp 6.800 JKM + 2 % JHT of a declared Rp 2.000.000.
    assert before.premium(2_000_000, jht=True) == 20_000 + 6_800 + 40_000
    assert before.premium(2_000_000) == 26_800
    assert after.premium(2_000_000, jht=True) == 20_000 + 4_200 + 40_000
    # Declared income below the minimum counts as the minimum, for JKK and JHT alike.
    assert before.premium(500_000, jht=True) == 10_000 + 6_800 + 20_000 == base_premium(M, jht=True)
    assert base_premium(M) == 16_800
    # Half a rupiah rounds up: 1 % and 2 % of Rp 1.234.550.
    assert before.premium(1_234_550, jht=True) == 12_346 + 6_800 + 24_691


def test_a_jht_campaign_funds_and_sends_the_whole_package(app, make, later_rate, books_stay_sound):
    campaign = make.campaign(includes_jht=True)
    worker = make.worker(campaign, income=2_000_000)
    months = [66_800, 66_800, 66_800, 64_200, 64_200, 64_200]  # March to August 2018, JKM cut in June
    make.paid_gift(campaign, sum(months), designation=Designation.infak)
    allocate_pool(campaign, today=TODAY, now=NOW)
    paid = db.session.execute(sa.select(CoverageMonth.month, CoverageMonth.premium_idr)
                              .order_by(CoverageMonth.month)).all()
    assert [p for _, p in paid] == months and paid[0][0] == M
    assert ledger.balance(campaign.id, Account.pool) == 0
    assert sponsorship_quote(worker, 3, today=TODAY)[1] == 3 * 64_200  # September on

    batch = create_batch(campaign, M - 3, M + 11, user=None)
    [row] = list(csv.DictReader(io.StringIO(export_batch(batch, user=None))))
    assert (row["programs"], row["amount_idr"]) == ("jkk+jkm+jht", str(sum(months)))
    record_transfer(batch, "TRF-JHT", transferred_on=TODAY, user=None)
    acknowledge_batch(batch, f"nik;kpj;status;reason\n{worker_nik(worker)};12345678901;diterima;\n", user=None)
    answer = check_status(nik=worker_nik(worker), full_name=worker.full_name, today=TODAY)
    assert answer.status == "protected" and answer.programs == ["jkk", "jkm", "jht"]


def test_a_campaign_without_jht_keeps_jkk_and_jkm(app, make, books_stay_sound):
    campaign = make.campaign()
    worker = make.worker(campaign, income=2_000_000)
    make.paid_gift(campaign, 6 * 26_800, designation=Designation.infak)
    allocate_pool(campaign, today=TODAY, now=NOW)
    assert set(db.session.scalars(sa.select(CoverageMonth.premium_idr))) == {26_800}
    batch = create_batch(campaign, M - 3, M + 11, user=None)
    assert list(csv.DictReader(io.StringIO(export_batch(batch, user=None))))[0]["programs"] == "jkk+jkm"
    assert check_status(nik=worker_nik(worker), full_name=worker.full_name, today=TODAY).programs == ["jkk", "jkm"]


def test_the_package_cannot_change_once_months_are_funded(app, make, books_stay_sound):
    campaign = make.campaign()
    settings = CampaignSettings(name=campaign.name, target_workers=campaign.target_workers,
                                term_months=campaign.term_months, includes_jht=True)
    update_campaign(campaign, settings, user=None)  # nothing funded yet: allowed
    assert campaign.includes_jht
    make.worker(campaign)
    make.paid_gift(campaign, 6 * 36_800, designation=Designation.csr, kind=DonationKind.pool)
    allocate_pool(campaign, today=TODAY, now=NOW)
    with pytest.raises(CampaignInvalid) as refused:
        update_campaign(campaign, CampaignSettings(name=campaign.name, target_workers=campaign.target_workers,
                                                   term_months=campaign.term_months, includes_jht=False), user=None)
    assert refused.value.field == "includes_jht"
    assert current_month(TODAY) == M
