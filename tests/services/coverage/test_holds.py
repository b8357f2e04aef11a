"""Holds: a named worker reserved for one donor while they pay."""

import datetime as dt
import itertools

import pytest
import sqlalchemy as sa

from donate.extensions import db
from donate.models import CoverageMonth, Designation, DonationKind, Hold, PaymentState
from donate.months import month_index
from donate.services.coverage.allocation import fund_sponsorship
from donate.services.coverage.holds import (
    WorkerUnavailable,
    expire_holds,
    hold_worker,
    release_hold,
)
from donate.services.money.donations import (
    confirm_payment,
    create_donation,
    fail_payment,
    start_payment,
)
from tests.conftest import NOW, PREMIUM, TODAY

M = month_index(TODAY)
_refs = itertools.count(1)


pytestmark = pytest.mark.usefixtures("books_stay_sound")


@pytest.fixture
def campaign(make):
    return make.campaign()


def sponsor(campaign, worker, months: int = 3, designation: Designation = Designation.infak):
    """Return an unpaid sponsorship of ``worker`` (donation and its payment)."""
    donation = create_donation(campaign, kind=DonationKind.worker, designation=designation,
                               amount_idr=months * PREMIUM, worker=worker, months=months)
    return donation, start_payment(donation, "sandbox", f"sbx_hold_{next(_refs)}")


def holds() -> list[tuple[int, int]]:
    return db.session.execute(sa.select(Hold.worker_id, Hold.donation_id).order_by(Hold.id)).all()


def test_a_hold_reserves_the_worker_for_the_donation(app, campaign, make):
    worker = make.worker(campaign)
    donation, _ = sponsor(campaign, worker, 6)
    hold = hold_worker(donation, now=NOW, today=TODAY)
    assert (hold.worker_id, hold.donation_id, hold.first_month, hold.months) == (worker.id, donation.id, M, 6)
    assert hold.expires_at == NOW + dt.timedelta(minutes=app.config["HOLD_MINUTES"])
    assert holds() == [(worker.id, donation.id)]


def test_a_hold_starts_after_existing_coverage(campaign, make):
    worker = make.worker(campaign)
    gift = make.paid_gift(campaign, 4 * PREMIUM)
    fund_sponsorship(campaign, worker, Designation.infak, months=4, budget=4 * PREMIUM, donation_id=gift.id,
                     today=TODAY, now=NOW)
    donation, _ = sponsor(campaign, worker)
    assert hold_worker(donation, now=NOW, today=TODAY).first_month == M + 4


def test_a_second_donor_cannot_hold_a_held_worker(app, campaign, make):
    worker = make.worker(campaign)
    first, _ = sponsor(campaign, worker)
    second, _ = sponsor(campaign, worker)
    hold_worker(first, now=NOW, today=TODAY)
    almost = NOW + dt.timedelta(minutes=app.config["HOLD_MINUTES"]) - dt.timedelta(seconds=1)
    with pytest.raises(WorkerUnavailable, match="donatur lain"):
        hold_worker(second, now=almost, today=TODAY)
    assert holds() == [(worker.id, first.id)]


def test_other_workers_can_be_held_at_the_same_time(campaign, make):
    one, two = make.workers(campaign, 2)
    first, _ = sponsor(campaign, one)
    second, _ = sponsor(campaign, two)
    hold_worker(first, now=NOW, today=TODAY)
    hold_worker(second, now=NOW, today=TODAY)
    assert holds() == [(one.id, first.id), (two.id, second.id)]


def test_an_expired_hold_is_replaced(app, campaign, make):
    worker = make.worker(campaign)
    first, _ = sponsor(campaign, worker)
    second, _ = sponsor(campaign, worker)
    hold_worker(first, now=NOW, today=TODAY)
    at_expiry = NOW + dt.timedelta(minutes=app.config["HOLD_MINUTES"])
    hold = hold_worker(second, now=at_expiry, today=TODAY)
    assert hold.donation_id == second.id
    assert holds() == [(worker.id, second.id)]


@pytest.mark.parametrize(("mustahik", "designation", "verified"), [
    (False, Designation.zakat, True),
    (True, Designation.infak, False),
])
def test_an_ineligible_worker_cannot_be_held(campaign, make, mustahik, designation, verified):
    worker = make.worker(campaign, mustahik=mustahik, verified=verified)
    donation, _ = sponsor(campaign, worker, designation=designation)
    with pytest.raises(WorkerUnavailable, match="tidak dapat didanai"):
        hold_worker(donation, now=NOW, today=TODAY)
    assert holds() == []


def test_expire_holds_removes_only_expired_holds(app, campaign, make):
    early, late, fresh = make.workers(campaign, 3)
    minutes = app.config["HOLD_MINUTES"]
    for worker, at in ((early, NOW), (late, NOW + dt.timedelta(minutes=10)),
                       (fresh, NOW + dt.timedelta(minutes=minutes))):
        donation, _ = sponsor(campaign, worker)
        hold_worker(donation, now=at, today=TODAY)

    assert expire_holds(now=NOW + dt.timedelta(minutes=minutes - 1)) == 0
    assert expire_holds(now=NOW + dt.timedelta(minutes=minutes + 10)) == 2
    assert [worker_id for worker_id, _ in holds()] == [fresh.id]
    assert expire_holds(now=NOW + dt.timedelta(minutes=minutes + 10)) == 0


def test_paying_releases_the_hold(campaign, make):
    worker = make.worker(campaign)
    donation, payment = sponsor(campaign, worker)
    hold_worker(donation, now=NOW, today=TODAY)
    assert confirm_payment(payment.id, today=TODAY, now=NOW + dt.timedelta(minutes=5))
    assert holds() == []
    assert db.session.scalars(sa.select(CoverageMonth.month).order_by(CoverageMonth.month)).all() == [
        M, M + 1, M + 2]

    # The worker is free for the next donor, whose months follow the paid ones.
    donation, _ = sponsor(campaign, worker)
    assert hold_worker(donation, now=NOW + dt.timedelta(minutes=6), today=TODAY).first_month == M + 3


@pytest.mark.parametrize("state", [PaymentState.failed, PaymentState.expired])
def test_a_failed_payment_releases_the_hold(campaign, make, state):
    worker = make.worker(campaign)
    donation, payment = sponsor(campaign, worker)
    hold_worker(donation, now=NOW, today=TODAY)
    assert fail_payment(payment, state)
    assert holds() == []
    other, _ = sponsor(campaign, worker)
    hold_worker(other, now=NOW + dt.timedelta(minutes=1), today=TODAY)


def test_release_hold_frees_only_its_own_donation(campaign, make):
    one, two = make.workers(campaign, 2)
    first, _ = sponsor(campaign, one)
    second, _ = sponsor(campaign, two)
    hold_worker(first, now=NOW, today=TODAY)
    hold_worker(second, now=NOW, today=TODAY)
    release_hold(first.id)
    assert holds() == [(two.id, second.id)]
