"""The kept campaign figures equal a recomputation from scratch after every kind of change."""

import datetime as dt
import random

import pytest
import sqlalchemy as sa

from donate import clock
from donate.extensions import db
from donate.models import (
    LIVE_STATES,
    RECEIVED_STATES,
    CoverageMonth,
    CoverageState,
    Designation,
    Donation,
    DonationKind,
    Payment,
    Verification,
    Worker,
    WorkerTally,
)
from donate.months import current_month
from donate.services import ledger, tallies
from donate.services.campaigns.progress import campaign_progress
from donate.services.coverage.allocation import ARREARS_MONTHS, allocate_pool
from donate.services.errors import DomainError
from donate.services.money.refunds import refund_payment
from donate.services.remittance.batches import (
    acknowledge_batch,
    cancel_batch,
    create_batch,
    record_transfer,
)
from donate.services.campaigns.settings import CampaignSettings, update_campaign
from donate.services.workers.imports import import_workers
from donate.services.workers.registry import update_worker, verify_workers, worker_nik
from tests.conftest import PREMIUM


def scanned_progress(campaign, today: dt.date | None = None) -> dict:
    """Return the progress figures the slow way, scanning workers, coverage and payments."""
    month = current_month(today or clock.today())
    rules = [Worker.company_id.is_(None)]
    if campaign.mustahik_only:
        rules.append(Worker.is_mustahik.is_(True))
    if campaign.occupations:
        rules.append(Worker.occupation.in_(campaign.occupations))
    live = [s.value for s in LIVE_STATES]
    C = CoverageMonth
    counts = dict(db.session.execute(
        sa.select(C.worker_id, sa.func.count()).where(C.campaign_id == campaign.id, C.state.in_(live))
        .group_by(C.worker_id)).all())
    member = sa.exists().where(C.worker_id == Worker.id, C.state.in_(live), C.month >= month - ARREARS_MONTHS)
    return {
        "workers_registered": db.session.scalar(sa.select(sa.func.count()).where(Worker.campaign_id == campaign.id)),
        "workers_waiting": db.session.scalar(sa.select(sa.func.count()).where(
            Worker.campaign_id == campaign.id, Worker.verification == Verification.verified,
            Worker.consent_at.is_not(None), Worker.flag_reason.is_(None), *rules, ~member)),
        "workers_funded": sum(1 for n in counts.values() if n >= campaign.term_months),
        "worker_months_funded": sum(counts.values()),
        "workers_protected": db.session.scalar(sa.select(sa.func.count()).where(
            C.campaign_id == campaign.id, C.month == month, C.state == CoverageState.accepted)),
        "donors": db.session.scalar(sa.select(sa.func.count(sa.distinct(
            sa.func.coalesce(Donation.donor_email, Donation.funder, sa.cast(Donation.id, sa.String)))))
            .join(Payment, Payment.donation_id == Donation.id)
            .where(Donation.campaign_id == campaign.id, Payment.state.in_(RECEIVED_STATES))),
    }


def assert_figures_exact(campaign) -> None:
    db.session.flush()
    assert ledger.check_ledger() == []
    # Today, and months later when covers have lapsed and their workers wait again.
    for today in (clock.today(), clock.today() + dt.timedelta(days=130), clock.today() + dt.timedelta(days=400)):
        progress = campaign_progress(campaign, today=today)
        scanned = scanned_progress(campaign, today)
        assert {key: progress[key] for key in scanned} == scanned, today


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_figures_stay_exact_through_random_changes(app, make, seed):
    rng = random.Random(seed)
    campaign = make.campaign(regions=(("1402", None), ("1471", None)))
    make.workers(campaign, 6, regency_code="1402")
    make.workers(campaign, 4, regency_code="1471", mustahik=False)
    batches = []
    emails = [f"donor{i}@example.org" for i in range(4)] + [None]

    def gift():
        make.paid_gift(campaign, rng.choice((PREMIUM, 3 * PREMIUM, 6 * PREMIUM, 10_000)),
                       designation=rng.choice(list(Designation)), donor_email=rng.choice(emails))

    def sponsor():
        waiting = db.session.scalars(sa.select(Worker).where(Worker.campaign_id == campaign.id)).all()
        worker = rng.choice(waiting)
        months = rng.choice((1, 3))
        make.paid_gift(campaign, months * PREMIUM, kind=DonationKind.worker, worker=worker, months=months,
                       designation=Designation.csr, donor_email=rng.choice(emails))

    def allocate():
        allocate_pool(campaign, now=clock.now(), today=clock.today())

    def register():
        make.worker(campaign, regency_code=rng.choice(("1402", "1471", "1403")))

    def remit():
        try:
            batch = create_batch(campaign, current_month(clock.today()) - 3, current_month(clock.today()) + 12,
                                 user=None)
        except DomainError:
            return
        if rng.random() < 0.3:
            cancel_batch(batch, user=None)
            return
        record_transfer(batch, f"TRF-{batch.id}", transferred_on=dt.date.today(), user=None)
        batches.append(batch)

    def answer():
        if not batches:
            return
        batch = batches.pop(0)
        ids = db.session.scalars(sa.select(CoverageMonth.worker_id).where(CoverageMonth.batch_id == batch.id)
                                 .distinct()).all()
        rows = []
        for worker_id in ids:
            worker = db.session.get(Worker, worker_id)
            if rng.random() < 0.7:
                rows.append(f"{worker_nik(worker)};{worker.kpj or f'{seed}{worker_id:010d}'};diterima;")
            else:
                rows.append(f"{worker_nik(worker)};;ditolak;data tidak cocok")
        acknowledge_batch(batch, "nik;kpj;status;reason\n" + "\n".join(rows) + "\n", user=None)

    def refund():
        payment = db.session.scalar(sa.select(Payment).where(Payment.state == "paid").order_by(sa.func.random())
                                    .limit(1))
        if payment is not None:
            try:
                refund_payment(payment, min(payment.amount_idr, 5_000), today=clock.today())
            except DomainError:
                pass

    def edit():
        worker = rng.choice(db.session.scalars(sa.select(Worker).where(Worker.campaign_id == campaign.id)).all())
        verification = rng.choice((Verification.verified, Verification.verified, Verification.rejected))
        update_worker(worker, user=None, verification=verification, reason="data ganda",
                      is_mustahik=rng.random() < 0.7, consent=rng.random() < 0.8, priority=rng.choice((0, 5)),
                      clear_flag=rng.random() < 0.5, now=clock.now())

    def verify():
        pending = make.worker(campaign, regency_code="1471", verified=False)
        verify_workers(campaign, [pending.public_id], user=None)

    def rules():
        update_campaign(campaign, CampaignSettings(
            name=campaign.name, target_workers=campaign.target_workers, term_months=campaign.term_months,
            mustahik_only=rng.random() < 0.5, occupations=rng.choice(([], ["ojek"], ["nelayan"])),
            regions=[(r.code, r.target_workers) for r in campaign.regions]), user=None)

    steps = [gift, gift, sponsor, allocate, register, remit, answer, refund, edit, verify, rules]
    for _ in range(20):
        step = rng.choice(steps)
        step()
        assert_figures_exact(campaign)


def test_an_import_counts_its_workers(app, make):
    campaign = make.campaign()
    rows = [{"nik": d.nik, "full_name": d.full_name, "birth_date": d.birth_date.isoformat(), "sex": d.sex.value,
             "phone": "", "occupation": "ojek", "regency_code": d.regency_code, "monthly_income_idr": "1000000",
             "mustahik": "ya", "consent": "ya"} for d in (make.worker_details() for _ in range(5))]
    assert import_workers(campaign, make.worker_csv(rows), today=clock.today(), now=clock.now()).imported == 5
    assert campaign_progress(campaign, today=dt.date.today())["workers_registered"] == 5
    assert_figures_exact(campaign)


def test_check_names_a_figure_that_differs_from_its_recomputation(app, make):
    campaign = make.campaign()
    make.workers(campaign, 2)
    db.session.execute(sa.update(WorkerTally).values(workers=WorkerTally.workers + 1))
    problems = ledger.check_ledger()
    assert problems == [f"worker_tallies ({campaign.id}, 1471, 0): kept (3) but recomputed (2)"]


def test_rebuild_recomputes_every_figure(app, make):
    campaign = make.campaign()
    make.workers(campaign, 3)
    make.paid_gift(campaign, 2 * 6 * PREMIUM, donor_email="a@example.org")
    allocate_pool(campaign, now=clock.now(), today=clock.today())
    db.session.execute(sa.delete(WorkerTally))
    db.session.execute(sa.update(Worker).values(live_months=0, last_live_month=None))
    assert ledger.check_ledger() != []
    tallies.rebuild_figures()
    assert_figures_exact(campaign)
    assert campaign_progress(campaign, today=dt.date.today())["workers_funded"] == 2


def test_months_of_one_figure_changed_in_one_flush_are_counted_once_each(app, make):
    """Several coverage months with the same tally key, moved by the ORM together (PostgreSQL refused it)."""
    campaign = make.campaign("one-flush", term_months=3)
    make.workers(campaign, 3)
    today = dt.date(2018, 3, 15)
    make.paid_gift(campaign, 3 * 3 * 16_800, designation=Designation.infak)
    allocate_pool(campaign, today=today, now=dt.datetime(2018, 3, 15, 9))
    due = db.session.scalars(sa.select(CoverageMonth).where(CoverageMonth.campaign_id == campaign.id,
                                                            CoverageMonth.month == current_month(today))).all()
    assert len(due) == 3
    for month in due:
        month.state = CoverageState.remitted
    db.session.flush()
    assert tallies.check_figures() == []
