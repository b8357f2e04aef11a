"""Allocation: pooled money to workers in whole months, renewals first, then the waitlist."""

import datetime as dt

import pytest
import sqlalchemy as sa

from donate.extensions import db
from donate.models import (
    LIVE_STATES,
    Account,
    Allocation,
    AllocationKind,
    CoverageMonth,
    Designation,
    DonationKind,
    Hold,
    Journal,
    PremiumRate,
)
from donate.months import month_index, month_start
from donate.services import ledger
from donate.services.coverage.allocation import (
    allocate_pool,
    fund_new_workers,
    fund_sponsorship,
)
from donate.services.money.donations import create_donation
from tests.conftest import NOW, PREMIUM, TODAY

TERM = 6
M = month_index(TODAY)


def on(month: int) -> dt.date:
    """Return a day inside month number ``month``."""
    return month_start(month) + dt.timedelta(days=14)


def months_of(worker) -> list[int]:
    """Return the worker's live coverage months, in order."""
    return db.session.scalars(
        sa.select(CoverageMonth.month)
        .where(CoverageMonth.worker_id == worker.id, CoverageMonth.state.in_(LIVE_STATES))
        .order_by(CoverageMonth.month)
    ).all()


def funded(workers) -> list[bool]:
    """Return, for each worker, whether it has any live coverage."""
    return [bool(months_of(w)) for w in workers]


def pool(campaign, designation: Designation = Designation.infak) -> int:
    return ledger.balance(campaign.id, Account.pool, designation)


def fund_months(make, campaign, worker, first: int, count: int, designation=Designation.infak):
    """Give the worker ``count`` funded months from ``first`` (a paid sponsorship for exactly that)."""
    donation = make.paid_gift(campaign, count * PREMIUM, designation=designation)
    run = fund_sponsorship(campaign, worker, designation, months=count, budget=count * PREMIUM,
                           donation_id=donation.id, today=on(first), now=NOW)
    assert months_of(worker)[-count:] == list(range(first, first + count))
    return run


pytestmark = pytest.mark.usefixtures("books_stay_sound")


@pytest.fixture
def campaign(make):
    return make.campaign(term_months=TERM)




# The waitlist


def test_a_new_worker_gets_a_full_term_from_this_month(campaign, make):
    worker = make.worker(campaign)
    make.paid_gift(campaign, TERM * PREMIUM)
    runs = allocate_pool(campaign, today=TODAY, now=NOW)
    assert [(r.kind, r.designation, r.workers, r.months, r.amount_idr) for r in runs] == [
        (AllocationKind.new, Designation.infak, 1, TERM, TERM * PREMIUM)]
    assert months_of(worker) == list(range(M, M + TERM))
    assert pool(campaign) == 0
    assert ledger.balance(campaign.id, Account.allocated, Designation.infak) == TERM * PREMIUM


def test_new_workers_go_by_priority_then_registration(campaign, make):
    first, urgent, third, urgent_later = (
        make.worker(campaign, priority=0), make.worker(campaign, priority=5),
        make.worker(campaign, priority=0), make.worker(campaign, priority=5))
    make.paid_gift(campaign, 2 * TERM * PREMIUM)
    allocate_pool(campaign, today=TODAY, now=NOW)
    assert funded([first, urgent, third, urgent_later]) == [False, True, False, True]

    make.paid_gift(campaign, TERM * PREMIUM)
    allocate_pool(campaign, today=TODAY, now=NOW)
    assert funded([first, urgent, third, urgent_later]) == [True, True, False, True]


def test_only_whole_terms_are_bought_and_the_rest_stays_in_the_pool(campaign, make):
    workers = make.workers(campaign, 4)
    make.paid_gift(campaign, 2 * TERM * PREMIUM + 5 * PREMIUM + 123)
    runs = allocate_pool(campaign, today=TODAY, now=NOW)
    assert [(r.workers, r.months) for r in runs] == [(2, 2 * TERM)]
    assert [len(months_of(w)) for w in workers] == [TERM, TERM, 0, 0]
    assert pool(campaign) == 5 * PREMIUM + 123


def test_a_worker_who_does_not_fit_stops_the_queue(campaign, make):
    # The first in line declares Rp 3,000,000: 30,000 + 6,800 a month, 220,800 a term.
    expensive = make.worker(campaign, income=3_000_000)
    cheap = make.worker(campaign)
    make.paid_gift(campaign, TERM * PREMIUM)
    assert allocate_pool(campaign, today=TODAY, now=NOW) == []
    assert funded([expensive, cheap]) == [False, False]
    assert pool(campaign) == TERM * PREMIUM

    make.paid_gift(campaign, TERM * (30_000 + 6_800) - TERM * PREMIUM)
    allocate_pool(campaign, today=TODAY, now=NOW)
    assert funded([expensive, cheap]) == [True, False]
    assert pool(campaign) == 0


def test_a_second_run_with_an_empty_pool_does_nothing(campaign, make):
    make.workers(campaign, 3)
    make.paid_gift(campaign, 2 * TERM * PREMIUM)
    assert len(allocate_pool(campaign, today=TODAY, now=NOW)) == 1
    counts = [db.session.scalar(sa.select(sa.func.count()).select_from(model))
              for model in (Allocation, CoverageMonth, Journal)]

    assert allocate_pool(campaign, today=TODAY, now=NOW) == []
    assert [db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Allocation, CoverageMonth, Journal)] == counts


def test_a_second_run_with_too_little_left_does_nothing(campaign, make):
    make.workers(campaign, 3)
    make.paid_gift(campaign, TERM * PREMIUM + 10_000)
    allocate_pool(campaign, today=TODAY, now=NOW)
    counts = [db.session.scalar(sa.select(sa.func.count()).select_from(model))
              for model in (Allocation, CoverageMonth, Journal)]
    assert allocate_pool(campaign, today=TODAY, now=NOW) == []
    assert [db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Allocation, CoverageMonth, Journal)] == counts
    assert pool(campaign) == 10_000


def test_a_worker_already_covered_is_not_funded_again(campaign, make):
    covered = make.worker(campaign)
    waiting = make.worker(campaign)
    fund_months(make, campaign, covered, M, TERM)
    make.paid_gift(campaign, 3 * TERM * PREMIUM)
    allocate_pool(campaign, today=TODAY, now=NOW)
    assert months_of(covered) == list(range(M, M + TERM))
    assert months_of(waiting) == list(range(M, M + TERM))
    assert pool(campaign) == 2 * TERM * PREMIUM


# Renewals


def test_renewals_come_before_new_workers(campaign, make):
    renewing = make.worker(campaign)
    fund_months(make, campaign, renewing, M - TERM + 1, TERM)  # last funded month: this month
    newcomer = make.worker(campaign, priority=100)
    make.paid_gift(campaign, TERM * PREMIUM)
    runs = allocate_pool(campaign, today=TODAY, now=NOW)
    assert [(r.kind, r.workers, r.months) for r in runs] == [(AllocationKind.renewal, 1, TERM)]
    assert months_of(renewing) == list(range(M - TERM + 1, M + TERM + 1))
    assert months_of(newcomer) == []


def test_renewal_covers_next_month_ending(campaign, make):
    renewing = make.worker(campaign)
    fund_months(make, campaign, renewing, M + 1 - TERM + 1, TERM)  # ends next month
    make.paid_gift(campaign, TERM * PREMIUM)
    allocate_pool(campaign, today=TODAY, now=NOW)
    assert months_of(renewing) == list(range(M + 2 - TERM, M + 2 + TERM))


def test_coverage_ending_later_is_left_alone(campaign, make):
    covered = make.worker(campaign)
    fund_months(make, campaign, covered, M + 2 - TERM + 1, TERM)  # ends the month after next
    newcomer = make.worker(campaign)
    make.paid_gift(campaign, TERM * PREMIUM)
    runs = allocate_pool(campaign, today=TODAY, now=NOW)
    assert [r.kind for r in runs] == [AllocationKind.new]
    assert months_of(covered)[-1] == M + 2
    assert months_of(newcomer) == list(range(M, M + TERM))


@pytest.mark.parametrize("behind", [1, 2, 3])
def test_renewal_pays_the_arrears_first(campaign, make, behind):
    lapsing = make.worker(campaign)
    fund_months(make, campaign, lapsing, M - behind - TERM + 1, TERM)  # ended ``behind`` months ago
    make.paid_gift(campaign, TERM * PREMIUM)
    runs = allocate_pool(campaign, today=TODAY, now=NOW)
    assert [r.kind for r in runs] == [AllocationKind.renewal]
    # Continuous: the months right after the last funded one, arrears included.
    assert months_of(lapsing) == list(range(M - behind - TERM + 1, M - behind + 1 + TERM))


def test_a_worker_out_for_more_than_three_months_starts_again_as_new(campaign, make):
    lapsed = make.worker(campaign)
    fund_months(make, campaign, lapsed, M - 4 - TERM + 1, TERM)  # ended four months ago
    make.paid_gift(campaign, TERM * PREMIUM)
    runs = allocate_pool(campaign, today=TODAY, now=NOW)
    assert [r.kind for r in runs] == [AllocationKind.new]
    assert months_of(lapsed) == list(range(M - 4 - TERM + 1, M - 3)) + list(range(M, M + TERM))


def test_renewals_go_soonest_ending_first(campaign, make):
    ends_next_month = make.worker(campaign, priority=9)
    in_arrears = make.worker(campaign)
    ends_now = make.worker(campaign)
    fund_months(make, campaign, ends_next_month, M + 1 - TERM + 1, TERM)
    fund_months(make, campaign, in_arrears, M - 2 - TERM + 1, TERM)
    fund_months(make, campaign, ends_now, M - TERM + 1, TERM)
    make.paid_gift(campaign, 2 * TERM * PREMIUM)
    allocate_pool(campaign, today=TODAY, now=NOW)
    assert [months_of(w)[-1] for w in (ends_next_month, in_arrears, ends_now)] == [
        M + 1, M - 2 + TERM, M + TERM]


def test_renewal_is_a_strict_prefix_too(campaign, make):
    expensive = make.worker(campaign, income=2_000_000)
    cheap = make.worker(campaign)
    fund_months(make, campaign, cheap, M - TERM + 1, TERM)
    first = M - 1 - TERM + 1
    donation = make.paid_gift(campaign, TERM * 26_800)
    fund_sponsorship(campaign, expensive, Designation.infak, months=TERM, budget=TERM * 26_800,
                     donation_id=donation.id, today=on(first), now=NOW)
    assert months_of(expensive)[-1] == M - 1
    make.paid_gift(campaign, TERM * PREMIUM)
    assert allocate_pool(campaign, today=TODAY, now=NOW) == []
    assert months_of(cheap)[-1] == M
    assert pool(campaign) == TERM * PREMIUM


def test_renewal_in_a_region_at_its_target(make):
    campaign = make.campaign(term_months=TERM, regions=(("1471", 1),))
    renewing = make.worker(campaign, regency_code="1471")
    fund_months(make, campaign, renewing, M - TERM + 1, TERM)
    newcomer = make.worker(campaign, regency_code="1471")
    make.paid_gift(campaign, 2 * TERM * PREMIUM)
    allocate_pool(campaign, today=TODAY, now=NOW)
    # The target caps new workers; it must not let a worker already counted in it lapse.
    assert months_of(renewing)[-1] == M + TERM
    assert months_of(newcomer) == []
    assert pool(campaign) == TERM * PREMIUM


# Designations


def test_zakat_funds_only_mustahik(campaign, make):
    non_mustahik = make.worker(campaign, mustahik=False)
    make.paid_gift(campaign, 3 * TERM * PREMIUM, designation=Designation.zakat)
    assert allocate_pool(campaign, today=TODAY, now=NOW) == []
    assert months_of(non_mustahik) == []
    assert pool(campaign, Designation.zakat) == 3 * TERM * PREMIUM

    mustahik = make.worker(campaign, mustahik=True)
    allocate_pool(campaign, today=TODAY, now=NOW)
    assert funded([non_mustahik, mustahik]) == [False, True]


def test_zakat_is_spent_before_infak_and_csr(campaign, make):
    mustahik = make.worker(campaign, mustahik=True)
    other = make.worker(campaign, mustahik=False)
    third = make.worker(campaign, mustahik=True)
    make.paid_gift(campaign, TERM * PREMIUM, designation=Designation.csr)
    make.paid_gift(campaign, TERM * PREMIUM, designation=Designation.infak)
    make.paid_gift(campaign, TERM * PREMIUM, designation=Designation.zakat)
    runs = allocate_pool(campaign, today=TODAY, now=NOW)
    assert [r.designation for r in runs] == [Designation.zakat, Designation.infak, Designation.csr]
    designations = dict(db.session.execute(
        sa.select(CoverageMonth.worker_id, CoverageMonth.designation).distinct()).all())
    assert designations == {mustahik.id: Designation.zakat, other.id: Designation.infak,
                            third.id: Designation.csr}


def test_zakat_skips_non_mustahik_in_the_queue(campaign, make):
    first = make.worker(campaign, mustahik=False, priority=3)
    second = make.worker(campaign, mustahik=True)
    make.paid_gift(campaign, TERM * PREMIUM, designation=Designation.zakat)
    allocate_pool(campaign, today=TODAY, now=NOW)
    assert funded([first, second]) == [False, True]


def test_zakat_renewal_only_for_mustahik(campaign, make):
    non_mustahik = make.worker(campaign, mustahik=False)
    fund_months(make, campaign, non_mustahik, M - TERM + 1, TERM)
    make.paid_gift(campaign, TERM * PREMIUM, designation=Designation.zakat)
    assert allocate_pool(campaign, today=TODAY, now=NOW) == []
    assert months_of(non_mustahik)[-1] == M


def test_a_mustahik_only_campaign_funds_no_one_else_with_any_money(make):
    campaign = make.campaign(term_months=TERM, mustahik_only=True)
    non_mustahik = make.worker(campaign, mustahik=False)
    mustahik = make.worker(campaign, mustahik=True)
    make.paid_gift(campaign, 2 * TERM * PREMIUM, designation=Designation.csr)
    allocate_pool(campaign, today=TODAY, now=NOW)
    assert funded([non_mustahik, mustahik]) == [False, True]
    assert pool(campaign, Designation.csr) == TERM * PREMIUM


def test_eligible_occupations_are_respected(make):
    campaign = make.campaign(term_months=TERM, eligible_occupations="nelayan, petani")
    ojek = make.worker(campaign, occupation="ojek")
    nelayan = make.worker(campaign, occupation="nelayan")
    petani = make.worker(campaign, occupation="petani")
    make.paid_gift(campaign, 3 * TERM * PREMIUM)
    allocate_pool(campaign, today=TODAY, now=NOW)
    assert funded([ojek, nelayan, petani]) == [False, True, True]


# Region targets


def test_region_targets_cap_new_workers(make):
    campaign = make.campaign(term_months=TERM, regions=(("1471", 2), ("1402", None)))
    pekanbaru = make.workers(campaign, 3, regency_code="1471")
    inhu = make.workers(campaign, 2, regency_code="1402")
    make.paid_gift(campaign, 10 * TERM * PREMIUM)
    allocate_pool(campaign, today=TODAY, now=NOW)
    assert funded(pekanbaru) == [True, True, False]
    assert funded(inhu) == [True, True]
    assert pool(campaign) == 6 * TERM * PREMIUM

    assert allocate_pool(campaign, today=TODAY, now=NOW) == []


def test_region_targets_count_workers_already_funded(make):
    campaign = make.campaign(term_months=TERM, regions=(("1471", 2),))
    already = make.worker(campaign, regency_code="1471")
    fund_months(make, campaign, already, M + 2, TERM)
    waiting = make.workers(campaign, 2, regency_code="1471")
    make.paid_gift(campaign, 2 * TERM * PREMIUM)
    allocate_pool(campaign, today=TODAY, now=NOW)
    assert funded(waiting) == [True, False]


# Who is skipped


def test_ineligible_and_held_workers_are_skipped(campaign, make):
    unverified = make.worker(campaign, verified=False)
    no_consent = make.worker(campaign, consent=False)
    flagged = make.worker(campaign)
    flagged.flag_reason = "NIK tidak ditemukan di Dukcapil"
    held = make.worker(campaign)
    hold_expired = make.worker(campaign)
    for worker, expires_at in ((held, NOW + dt.timedelta(minutes=5)), (hold_expired, NOW)):
        donation = create_donation(campaign, kind=DonationKind.worker, designation=Designation.infak,
                                   amount_idr=TERM * PREMIUM, worker=worker, months=TERM)
        db.session.add(Hold(worker_id=worker.id, donation_id=donation.id, first_month=M, months=TERM,
                            expires_at=expires_at))
    good = make.worker(campaign)
    db.session.flush()
    make.paid_gift(campaign, 10 * TERM * PREMIUM)
    allocate_pool(campaign, today=TODAY, now=NOW)
    assert funded([unverified, no_consent, flagged, held, hold_expired, good]) == [
        False, False, False, False, True, True]


def test_a_held_worker_is_not_renewed_by_the_pool(campaign, make):
    held = make.worker(campaign)
    fund_months(make, campaign, held, M - TERM + 1, TERM)
    donation = create_donation(campaign, kind=DonationKind.worker, designation=Designation.infak,
                               amount_idr=TERM * PREMIUM, worker=held, months=TERM)
    db.session.add(Hold(worker_id=held.id, donation_id=donation.id, first_month=M + 1, months=TERM,
                        expires_at=NOW + dt.timedelta(minutes=30)))
    db.session.flush()
    make.paid_gift(campaign, TERM * PREMIUM)
    assert allocate_pool(campaign, today=TODAY, now=NOW) == []
    assert months_of(held)[-1] == M


# fund_new_workers (N workers x M months)


def test_fund_new_workers_is_limited_by_the_number_of_workers(campaign, make):
    workers = make.workers(campaign, 5)
    make.paid_gift(campaign, 100 * PREMIUM)
    run = fund_new_workers(campaign, Designation.infak, budget=100 * PREMIUM, workers=3, months=4,
                           today=TODAY, now=NOW)
    assert (run.kind, run.workers, run.months, run.amount_idr) == (AllocationKind.new, 3, 12, 12 * PREMIUM)
    assert [months_of(w) for w in workers] == [list(range(M, M + 4))] * 3 + [[], []]
    assert pool(campaign) == 88 * PREMIUM


def test_fund_new_workers_takes_the_head_of_the_queue_the_pool_would_take(campaign, make):
    later, urgent, covered, lapsed, held, next_in_line, last = (
        make.worker(campaign), make.worker(campaign, priority=5), make.worker(campaign, priority=9),
        make.worker(campaign, priority=1), make.worker(campaign, priority=3), make.worker(campaign),
        make.worker(campaign))
    fund_months(make, campaign, covered, M, 2)
    fund_months(make, campaign, lapsed, M - 4 - TERM + 1, TERM)  # ended four months ago: waiting again
    donation = create_donation(campaign, kind=DonationKind.worker, designation=Designation.infak,
                               amount_idr=TERM * PREMIUM, worker=held, months=TERM)
    db.session.add(Hold(worker_id=held.id, donation_id=donation.id, first_month=M, months=TERM,
                        expires_at=NOW + dt.timedelta(minutes=5)))
    db.session.flush()
    make.paid_gift(campaign, 100 * PREMIUM)
    run = fund_new_workers(campaign, Designation.infak, budget=100 * PREMIUM, workers=3, months=2,
                           today=TODAY, now=NOW)
    assert run.workers == 3
    assert funded([later, urgent, lapsed, held, next_in_line, last]) == [True, True, True, False, False, False]
    assert months_of(lapsed)[-2:] == [M, M + 1]
    run = fund_new_workers(campaign, Designation.infak, budget=100 * PREMIUM, workers=1, months=2,
                           today=TODAY, now=NOW)
    assert funded([next_in_line, last]) == [True, False]


def test_fund_new_workers_is_limited_by_the_budget(campaign, make):
    workers = make.workers(campaign, 5)
    make.paid_gift(campaign, 100 * PREMIUM)
    run = fund_new_workers(campaign, Designation.infak, budget=9 * PREMIUM, workers=5, months=4,
                           today=TODAY, now=NOW)
    assert (run.workers, run.months) == (2, 8)
    assert funded(workers) == [True, True, False, False, False]
    assert pool(campaign) == 92 * PREMIUM


def test_fund_new_workers_never_spends_more_than_the_pool(campaign, make):
    make.workers(campaign, 5)
    make.paid_gift(campaign, 4 * PREMIUM)
    run = fund_new_workers(campaign, Designation.infak, budget=100 * PREMIUM, workers=5, months=3,
                           today=TODAY, now=NOW)
    assert (run.workers, run.months) == (1, 3)
    assert pool(campaign) == PREMIUM


def test_fund_new_workers_records_the_gift_and_returns_none_when_nobody_fits(campaign, make):
    make.workers(campaign, 2)
    gift = make.paid_gift(campaign, 2 * PREMIUM)
    assert fund_new_workers(campaign, Designation.infak, budget=2 * PREMIUM, workers=1, months=3,
                            today=TODAY, now=NOW) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Allocation)) == 0
    run = fund_new_workers(campaign, Designation.infak, budget=2 * PREMIUM, workers=1, months=2,
                           donation_id=gift.id, today=TODAY, now=NOW)
    assert run.donation_id == gift.id


# fund_sponsorship (a named worker)


def test_sponsorship_funds_the_named_worker_from_this_month(campaign, make):
    first_in_line = make.worker(campaign, priority=10)
    named = make.worker(campaign)
    gift = make.paid_gift(campaign, 3 * PREMIUM)
    run = fund_sponsorship(campaign, named, Designation.infak, months=3, budget=3 * PREMIUM,
                           donation_id=gift.id, today=TODAY, now=NOW)
    assert (run.kind, run.workers, run.months, run.amount_idr, run.donation_id) == (
        AllocationKind.sponsorship, 1, 3, 3 * PREMIUM, gift.id)
    assert months_of(named) == [M, M + 1, M + 2]
    assert months_of(first_in_line) == []
    assert pool(campaign) == 0


def test_sponsorship_follows_existing_coverage(campaign, make):
    worker = make.worker(campaign)
    fund_months(make, campaign, worker, M - 2, TERM)
    gift = make.paid_gift(campaign, 3 * PREMIUM)
    fund_sponsorship(campaign, worker, Designation.infak, months=3, budget=3 * PREMIUM,
                     donation_id=gift.id, today=TODAY, now=NOW)
    assert months_of(worker) == list(range(M - 2, M + TERM + 1))


def test_sponsorship_pays_arrears_and_restarts_after_a_lapse(campaign, make):
    in_arrears = make.worker(campaign)
    lapsed = make.worker(campaign)
    fund_months(make, campaign, in_arrears, M - 3 - 2, 3)  # last month: three months ago
    fund_months(make, campaign, lapsed, M - 4 - 2, 3)  # last month: four months ago
    for worker in (in_arrears, lapsed):
        gift = make.paid_gift(campaign, 2 * PREMIUM)
        fund_sponsorship(campaign, worker, Designation.infak, months=2, budget=2 * PREMIUM,
                         donation_id=gift.id, today=TODAY, now=NOW)
    assert months_of(in_arrears)[-2:] == [M - 2, M - 1]
    assert months_of(lapsed)[-2:] == [M, M + 1]


def test_sponsorship_buys_the_whole_months_the_budget_allows(campaign, make):
    worker = make.worker(campaign)
    gift = make.paid_gift(campaign, 2 * PREMIUM + 9_000)
    run = fund_sponsorship(campaign, worker, Designation.infak, months=6, budget=2 * PREMIUM + 9_000,
                           donation_id=gift.id, today=TODAY, now=NOW)
    assert run.months == 2
    assert months_of(worker) == [M, M + 1]
    assert pool(campaign) == 9_000


def test_sponsorship_spends_no_more_than_the_pool(campaign, make):
    worker = make.worker(campaign)
    gift = make.paid_gift(campaign, PREMIUM)
    run = fund_sponsorship(campaign, worker, Designation.infak, months=3, budget=3 * PREMIUM,
                           donation_id=gift.id, today=TODAY, now=NOW)
    assert run.months == 1
    assert pool(campaign) == 0


@pytest.mark.parametrize("problem", ["unverified", "no_consent", "flagged", "zakat_non_mustahik",
                                     "occupation", "other_campaign"])
def test_an_ineligible_sponsored_worker_leaves_the_money_in_the_pool(make, problem):
    campaign = make.campaign(term_months=TERM, eligible_occupations="ojek,nelayan")
    other = make.campaign("other-campaign")
    fields = {"unverified": {"verified": False}, "no_consent": {"consent": False},
              "zakat_non_mustahik": {"mustahik": False}, "occupation": {"occupation": "petani"}}
    worker = make.worker(other if problem == "other_campaign" else campaign, **fields.get(problem, {}))
    if problem == "flagged":
        worker.flag_reason = "ditolak BPJS"
    gift = make.paid_gift(campaign, 3 * PREMIUM, designation=Designation.zakat)
    assert fund_sponsorship(campaign, worker, Designation.zakat, months=3, budget=3 * PREMIUM,
                            donation_id=gift.id, today=TODAY, now=NOW) is None
    assert months_of(worker) == []
    assert pool(campaign, Designation.zakat) == 3 * PREMIUM


# Premiums


def test_declared_income_above_the_minimum_raises_jkk(campaign, make):
    # JKK is 1% of declared income, rounded half up; JKM is a flat 6,800.
    cases = {500_000: 16_800, 1_000_000: 16_800, 1_234_549: 12_345 + 6_800,
             2_550_050: 25_501 + 6_800, 2_550_049: 25_500 + 6_800}
    workers = {income: make.worker(campaign, income=income) for income in cases}
    make.paid_gift(campaign, 100 * sum(cases.values()))
    allocate_pool(campaign, today=TODAY, now=NOW)
    premiums = dict(db.session.execute(
        sa.select(CoverageMonth.worker_id, sa.func.max(CoverageMonth.premium_idr))
        .group_by(CoverageMonth.worker_id)).all())
    assert {income: premiums[w.id] for income, w in workers.items()} == cases
    assert pool(campaign) == 100 * sum(cases.values()) - TERM * sum(cases.values())


def test_sponsorship_premium_matches_the_pool_premium(campaign, make):
    by_pool = make.worker(campaign, income=2_550_050)
    named = make.worker(campaign, income=2_550_050)
    gift = make.paid_gift(campaign, 2 * TERM * 32_301)
    fund_sponsorship(campaign, named, Designation.infak, months=TERM, budget=TERM * 32_301,
                     donation_id=gift.id, today=TODAY, now=NOW)
    allocate_pool(campaign, today=TODAY, now=NOW)
    rows = db.session.execute(sa.select(CoverageMonth.worker_id, CoverageMonth.premium_idr)).all()
    assert sorted(rows) == sorted([(by_pool.id, 32_301)] * TERM + [(named.id, 32_301)] * TERM)
    assert pool(campaign) == 0


def test_premiums_follow_the_rate_schedule(campaign, make):
    # From two months on, a (hypothetical) regulation raises JKK to 1.5% and JKM to 8,000.
    db.session.add(PremiumRate(effective_from=month_start(M + 2), jkk_basis_points=150,
                               min_income_idr=1_000_000, jkm_idr=8_000, regulation="test"))
    db.session.flush()
    cheap, rich = make.worker(campaign), make.worker(campaign, income=2_000_000)
    expected_cheap = [PREMIUM, PREMIUM] + [15_000 + 8_000] * (TERM - 2)
    expected_rich = [26_800, 26_800] + [30_000 + 8_000] * (TERM - 2)
    total = sum(expected_cheap) + sum(expected_rich)
    make.paid_gift(campaign, total)
    runs = allocate_pool(campaign, today=TODAY, now=NOW)
    assert [r.amount_idr for r in runs] == [total]
    for worker, expected in ((cheap, expected_cheap), (rich, expected_rich)):
        assert db.session.scalars(
            sa.select(CoverageMonth.premium_idr).where(CoverageMonth.worker_id == worker.id)
            .order_by(CoverageMonth.month)).all() == expected
    assert pool(campaign) == 0


def test_a_budget_at_the_old_rate_no_longer_buys_a_term(campaign, make):
    db.session.add(PremiumRate(effective_from=month_start(M + 1), jkk_basis_points=100,
                               min_income_idr=1_000_000, jkm_idr=7_000, regulation="test"))
    db.session.flush()
    worker = make.worker(campaign)
    make.paid_gift(campaign, TERM * PREMIUM)
    assert allocate_pool(campaign, today=TODAY, now=NOW) == []
    gift = make.paid_gift(campaign, 3 * PREMIUM)
    fund_sponsorship(campaign, worker, Designation.infak, months=3, budget=3 * PREMIUM,
                     donation_id=gift.id, today=TODAY, now=NOW)
    # The month in force now costs 16,800; the next two cost 17,000 each, so only two fit.
    assert db.session.scalars(sa.select(CoverageMonth.premium_idr).order_by(CoverageMonth.month)).all() == [
        PREMIUM, 17_000]
    assert pool(campaign) == TERM * PREMIUM + 3 * PREMIUM - PREMIUM - 17_000
