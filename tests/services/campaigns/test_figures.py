"""Money a manager moves: institutional funding, the allocation preview, refunds."""

import datetime as dt

import pytest
import sqlalchemy as sa

from donate import clock
from donate.extensions import db
from donate.models import (
    Account,
    Allocation,
    AuditEvent,
    CoverageMonth,
    Designation,
    PaymentState,
    Role,
)
from donate.months import current_month, month_start
from donate.services import ledger, tallies
from donate.services.campaigns.books import money_by_designation, money_by_funder
from donate.services.campaigns.figures import (
    coverage_over_time,
    lapsing_workers,
    recent_activity,
    region_table,
    worker_equivalent,
)
from donate.services.coverage.preview import preview_allocation, run_allocation
from donate.services.money.donations import record_institutional_funding
from donate.services.money.refunds import RefundRefused, refund_gift
from donate.services.remittance.batches import create_batch
from donate.views.manage.charts import charts
from tests.manage_helpers import user

TERM_COST = 6 * 16_800


@pytest.fixture
def manager(app):
    return user("amil@example.org", Role.manager)


def test_preview_shows_the_run_and_changes_nothing(app, make, manager):
    campaign = make.campaign(regions=(("1402", None), ("1471", None)))
    renewing = make.worker(campaign, regency_code="1402")
    make.paid_gift(campaign, TERM_COST)
    today = dt.date.today()
    # Six months ending this month, whatever day of the month it is.
    run_allocation(campaign, user=manager, today=month_start(current_month(today) - 5), now=clock.now())
    make.workers(campaign, 2, regency_code="1471")
    make.paid_gift(campaign, 3 * TERM_COST + 5_000)
    before = ledger.balances(campaign.id)
    months = db.session.scalar(sa.select(sa.func.count()).select_from(CoverageMonth))

    preview = preview_allocation(campaign, today=clock.today(), now=clock.now())
    assert (preview.renewals, preview.new_workers) == (1, 2)
    assert preview.regions == {"1402": [1, 0, TERM_COST], "1471": [0, 2, 2 * TERM_COST]}
    assert preview.pool_before[Designation.infak] == 3 * TERM_COST + 5_000
    assert preview.pool_after[Designation.infak] == 5_000
    assert ledger.balances(campaign.id) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CoverageMonth)) == months
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Allocation)) == 1

    runs = run_allocation(campaign, user=manager, today=clock.today(), now=clock.now())
    assert sorted((r.kind.value, r.workers) for r in runs) == [("new", 2), ("renewal", 1)]
    assert renewing.id in db.session.scalars(sa.select(CoverageMonth.worker_id).where(
        CoverageMonth.month == current_month(clock.today()) + 1)).all()
    assert ledger.check_ledger() == []


def test_funding_is_recorded_once_per_reference_and_shows_by_funder(app, make, manager):
    campaign = make.campaign()
    for _ in range(2):
        record_institutional_funding(campaign, 100 * TERM_COST, user=manager, funder="APBD Provinsi Riau",
                                           designation=Designation.csr, reference="SP2D-1", source="APBD",
                                           now=clock.now(), today=clock.today())
    make.paid_gift(campaign, 50_000, donor_name="Budi")
    rows = money_by_funder(campaign)
    assert [(r.funder, r.net_idr) for r in rows] == [("APBD Provinsi Riau", 100 * TERM_COST), ("", 50_000)]
    assert worker_equivalent(campaign, rows[0].net_idr, today=dt.date.today()) == 100
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "funding.record")) == 2
    assert ledger.check_ledger() == []


def test_refund_comes_out_of_the_pool_and_through_the_provider(app, make, manager, monkeypatch):
    from donate import payments

    calls = []
    sandbox = type(payments.provider("sandbox"))
    real_refund = sandbox.refund
    monkeypatch.setattr(sandbox, "refund", lambda self, refund: calls.append((refund.payment_id, refund.amount_idr))
                        or real_refund(self, refund))
    campaign = make.campaign()
    gift = make.paid_gift(campaign, 100_000)
    payment = gift.payments[0]
    assert refund_gift(payment, 40_000, user=manager, reason="double transfer",
                       today=clock.today()).amount_idr == 40_000
    assert refund_gift(payment, None, user=manager, today=clock.today()).amount_idr == 60_000
    assert payment.state == PaymentState.refunded
    assert calls == [(payment.id, 40_000), (payment.id, 60_000)]
    assert ledger.balance(campaign.id, Account.refunded) == 100_000
    assert ledger.check_ledger() == []


def test_money_sent_to_bpjs_cannot_be_refunded(app, make, manager):
    campaign = make.campaign()
    make.worker(campaign)
    gift = make.paid_gift(campaign, TERM_COST)
    run_allocation(campaign, user=manager, today=clock.today(), now=clock.now())
    create_batch(campaign, current_month(clock.today()), current_month(clock.today()) + 11, user=manager)
    with pytest.raises(RefundRefused, match="sudah dikirim ke BPJS"):
        refund_gift(gift.payments[0], None, user=manager, today=clock.today())
    assert gift.payments[0].refunded_idr == 0


def test_manual_funding_refund_calls_no_provider(app, make, manager):
    campaign = make.campaign()
    donation = record_institutional_funding(campaign, 1_000_000, user=manager, funder="PT Sawit",
                                                  designation=Designation.csr, reference=None, source="CSR",
                                                  now=clock.now(), today=clock.today())
    assert refund_gift(donation.payments[0], 400_000, user=manager, today=clock.today()).amount_idr == 400_000
    assert money_by_funder(campaign)[0].net_idr == 600_000


def test_a_disputed_gift_is_not_refunded_twice(app, make, manager):
    from donate.models import PaymentState

    campaign = make.campaign()
    payment = make.paid_gift(campaign, 100_000).payments[0]
    payment.state = PaymentState.disputed
    with pytest.raises(RefundRefused, match="disengketakan"):
        refund_gift(payment, None, user=manager, today=clock.today())
    assert payment.refunded_idr == 0


def test_dashboard_figures_come_from_coverage_and_the_ledger(app, make, manager):
    from donate.models import CoverageState

    campaign = make.campaign(regions=(("1402", 5),))
    make.workers(campaign, 2, regency_code="1402")
    make.worker(campaign, regency_code="1471", verified=False)
    make.paid_gift(campaign, 2 * TERM_COST + 1_000, designation=Designation.zakat)
    today = dt.date.today()
    # Six months ending this month, whatever day of the month it is.
    run_allocation(campaign, user=manager, today=month_start(current_month(today) - 5), now=clock.now())
    # As BPJS's answer would, through the one function that keeps the figures.
    tallies.move_months((CoverageMonth.month == current_month(clock.today()),), CoverageState.accepted)

    lapsing = lapsing_workers(campaign, today=today)
    assert (lapsing.workers, lapsing.renewal_idr) == (2, 2 * TERM_COST)
    series = dict((m, (f, p)) for m, f, p in coverage_over_time(campaign, today=today))
    assert series[current_month(clock.today())] == (2, 2) and series[current_month(clock.today()) - 1] == (2, 0)
    assert series[current_month(clock.today()) + 1] == (0, 0)
    rows = {r.code: r for r in region_table(campaign, today=today)}
    assert (rows["1402"].target, rows["1402"].registered, rows["1402"].funded, rows["1402"].protected) == (5, 2, 2, 2)
    assert rows["1471"].registered == 1 and rows["1471"].waiting == 0
    money = money_by_designation(campaign)
    assert money[Designation.zakat] == {"received": 2 * TERM_COST + 1_000, "refunded": 0, "pool": 1_000,
                                        "allocated": 2 * TERM_COST, "remitted": 0, "shortfall": 0, "suspense": 0}
    activity = recent_activity(campaign)
    kinds = [a.kind for a in activity]
    assert "Dana bersama dialokasikan" in kinds and "Dialokasikan ke pekerja" in kinds and "Donasi diterima" in kinds
    allocated = next(a for a in activity if a.kind == "Dialokasikan ke pekerja")
    assert allocated.text == "pekerja baru · 2 pekerja · 12 bulan-pekerja"
    with app.test_request_context():
        svgs = charts(campaign, today=today)
    assert svgs["progress"].startswith("<svg") and "<script" not in svgs["progress"]
    assert "Indragiri Hulu" in svgs["regions"]
