"""Money under concurrency: threads, each with its own session, racing on the same rows.

On SQLite the threads serialise on the database write lock (30 s busy
timeout); on PostgreSQL they race for real and the row locks and conditional
updates in the services are what keep the books right.
"""

import itertools
import threading

import sqlalchemy as sa

from donate.extensions import db
from donate.models import (
    LIVE_STATES,
    RECEIVED_STATES,
    Account,
    Allocation,
    AllocationKind,
    Campaign,
    CoverageMonth,
    Designation,
    DonationKind,
    Hold,
    Journal,
    Payment,
    PaymentState,
)
from donate.months import month_index
from donate.services import ledger
from donate.services.coverage.allocation import allocate_pool
from donate.services.coverage.holds import WorkerUnavailable, hold_worker
from donate.services.money.donations import (
    confirm_payment,
    create_donation,
    start_payment,
)
from donate.services.money.refunds import RefundRefused, refund_payment
from tests.conftest import NOW, PREMIUM, TODAY

THREADS = 20
TERM = 6
M = month_index(TODAY)
_refs = itertools.count(1)


def race(app, work, count: int = THREADS) -> list:
    """Run ``work(i)`` in ``count`` threads released together; return each result or exception.

    Each thread has its own app context (so its own session) and commits what
    it did; a thread that fails rolls back and reports the exception.
    """
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(i: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                results[i] = work(i)
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 (reported to the test)
                db.session.rollback()
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,), name=f"race-{i}") for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(thread.is_alive() for thread in threads), "a racing thread hung"
    db.session.expire_all()
    return results


def unpaid(campaign, amount: int, **fields) -> int:
    """Create a gift and an unpaid payment for it; return the payment's id."""
    fields.setdefault("kind", DonationKind.pool)
    fields.setdefault("designation", Designation.infak)
    donation = create_donation(campaign, amount_idr=amount, **fields)
    return start_payment(donation, "sandbox", f"sbx_race_{next(_refs)}").id


def count(model, *where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def assert_no_month_twice() -> None:
    assert db.session.execute(
        sa.select(CoverageMonth.worker_id, CoverageMonth.month)
        .where(CoverageMonth.state.in_(LIVE_STATES))
        .group_by(CoverageMonth.worker_id, CoverageMonth.month)
        .having(sa.func.count() > 1)
    ).all() == []


def assert_money_accounted_for(campaign_id: int) -> None:
    """Every paid payment is received in the books and sits in the pool, with workers or refunded."""
    paid = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Payment.amount_idr), 0)).where(Payment.state.in_(RECEIVED_STATES)))
    books = ledger.balances(campaign_id)
    assert -sum(books[Account.received].values()) == paid
    assert paid == sum(sum(books[a].values())
                       for a in (Account.pool, Account.allocated, Account.remitted, Account.refunded))
    assert all(amount >= 0 for amount in books[Account.pool].values())
    assert ledger.check_ledger() == []


def months_of(worker_id: int) -> list[int]:
    return db.session.scalars(
        sa.select(CoverageMonth.month)
        .where(CoverageMonth.worker_id == worker_id, CoverageMonth.state.in_(LIVE_STATES))
        .order_by(CoverageMonth.month)
    ).all()


def errors(results) -> list[Exception]:
    return [r for r in results if isinstance(r, Exception)]


def test_one_payment_confirmed_by_twenty_callers_is_booked_once(app, make):
    campaign = make.campaign(term_months=TERM)
    worker = make.worker(campaign)
    payment_id = unpaid(campaign, 3 * PREMIUM, kind=DonationKind.worker, worker=worker, months=3)
    db.session.commit()
    campaign_id, worker_id = campaign.id, worker.id

    results = race(app, lambda i: confirm_payment(payment_id, today=TODAY, now=NOW))

    assert errors(results) == []
    assert sorted(results) == [False] * (THREADS - 1) + [True]
    assert count(Journal, Journal.kind == "payment_received") == 1
    assert count(Allocation) == 1
    assert months_of(worker_id) == [M, M + 1, M + 2]
    assert db.session.get(Payment, payment_id).state == PaymentState.paid
    assert ledger.balance(campaign_id, Account.pool) == 0
    assert_no_month_twice()
    assert_money_accounted_for(campaign_id)


def test_twenty_sponsors_of_one_worker_paying_at_once_fund_twelve_consecutive_months_and_pool_the_rest(app, make):
    campaign = make.campaign(term_months=TERM)
    worker = make.worker(campaign)
    designations = itertools.cycle([Designation.zakat, Designation.infak, Designation.csr])
    # Holds bypassed: every donation was created (and its checkout opened) before any was paid.
    payment_ids = [unpaid(campaign, 3 * PREMIUM, kind=DonationKind.worker, designation=next(designations),
                          worker=worker, months=3) for _ in range(THREADS)]
    db.session.commit()
    campaign_id, worker_id = campaign.id, worker.id

    results = race(app, lambda i: confirm_payment(payment_ids[i], today=TODAY, now=NOW))

    assert errors(results) == []
    assert results == [True] * THREADS
    # At most MAX_MONTHS_AHEAD (12) months ahead: four gifts buy them, the other sixteen wait in the pool.
    assert months_of(worker_id) == list(range(M, M + 12))
    runs = db.session.scalars(sa.select(Allocation)).all()
    assert len(runs) == 4 and {run.donation_id for run in runs} <= set(
        db.session.scalars(sa.select(Payment.donation_id).where(Payment.id.in_(payment_ids))).all())
    assert {(run.kind, run.workers, run.months, run.amount_idr) for run in runs} == {
        (AllocationKind.sponsorship, 1, 3, 3 * PREMIUM)}
    # Each gift bought three consecutive months of its own.
    for run in runs:
        months = db.session.scalars(sa.select(CoverageMonth.month).where(CoverageMonth.allocation_id == run.id)
                                    .order_by(CoverageMonth.month)).all()
        assert months == list(range(months[0], months[0] + 3))
    assert ledger.balance(campaign_id, Account.pool) == (THREADS - 4) * 3 * PREMIUM
    assert_no_month_twice()
    assert_money_accounted_for(campaign_id)


def test_allocations_racing_with_gifts_fund_exactly_the_queue_the_money_buys(app, make):
    campaign = make.campaign(term_months=TERM)
    workers = make.workers(campaign, 40, mustahik=True)
    term_cost = TERM * PREMIUM
    # Ten gifts of 1.5 terms each, in three designations; ten threads allocate meanwhile.
    gifts = [(Designation.zakat, Designation.infak, Designation.csr)[i % 3] for i in range(THREADS // 2)]
    payment_ids = [unpaid(campaign, term_cost * 3 // 2, designation=d) for d in gifts]
    db.session.commit()
    campaign_id, worker_ids = campaign.id, [w.id for w in workers]

    def work(i: int):
        if i % 2:
            return confirm_payment(payment_ids[i // 2], today=TODAY, now=NOW)
        return len(allocate_pool(db.session.get(Campaign, campaign_id), today=TODAY, now=NOW))

    results = race(app, work)
    assert errors(results) == []
    assert [results[i] for i in range(1, THREADS, 2)] == [True] * (THREADS // 2)
    assert_no_month_twice()
    assert_money_accounted_for(campaign_id)

    # Whatever the interleaving, one more run leaves the books where a single run would.
    allocate_pool(db.session.get(Campaign, campaign_id), today=TODAY, now=NOW)
    raised = {d: gifts.count(d) * (term_cost * 3 // 2) for d in Designation}
    funded_count = sum(amount // term_cost for amount in raised.values())
    assert [len(months_of(w)) for w in worker_ids] == [TERM] * funded_count + [0] * (40 - funded_count)
    assert {tuple(months_of(w)) for w in worker_ids[:funded_count]} == {tuple(range(M, M + TERM))}
    for designation, amount in raised.items():
        assert ledger.balance(campaign_id, Account.pool, designation) == amount % term_cost
    assert_no_month_twice()
    assert_money_accounted_for(campaign_id)


def test_twenty_refunds_of_one_payment_refund_it_once(app, make):
    campaign = make.campaign(term_months=TERM)
    payment_id = unpaid(campaign, 100_000)
    confirm_payment(payment_id, today=TODAY, now=NOW)
    # Other money in the same pool, so the pool alone would not stop a second refund.
    make.paid_gift(campaign, 5_000_000)
    db.session.commit()
    campaign_id = campaign.id

    results = race(app, lambda i: refund_payment(db.session.get(Payment, payment_id), today=TODAY))

    refused = [r for r in results if isinstance(r, RefundRefused)]
    assert [r for r in results if not isinstance(r, RefundRefused)] == [100_000]
    assert len(refused) == THREADS - 1
    payment = db.session.get(Payment, payment_id)
    assert (payment.refunded_idr, payment.state) == (100_000, PaymentState.refunded)
    assert count(Journal, Journal.kind == "refund") == 1
    assert ledger.balance(campaign_id, Account.pool) == 5_000_000
    assert_money_accounted_for(campaign_id)


def test_partial_refunds_racing_never_exceed_the_payment(app, make):
    campaign = make.campaign(term_months=TERM)
    payment_id = unpaid(campaign, 100_000)
    confirm_payment(payment_id, today=TODAY, now=NOW)
    make.paid_gift(campaign, 5_000_000)
    db.session.commit()
    campaign_id = campaign.id

    results = race(app, lambda i: refund_payment(db.session.get(Payment, payment_id), 30_000, today=TODAY))

    assert [r for r in results if not isinstance(r, RefundRefused)] == [30_000] * 3
    payment = db.session.get(Payment, payment_id)
    assert (payment.refunded_idr, payment.state) == (90_000, PaymentState.paid)
    assert ledger.balance(campaign_id, Account.refunded) == 90_000
    assert_money_accounted_for(campaign_id)


def test_twenty_donors_holding_one_worker_get_one_hold(app, make):
    campaign = make.campaign(term_months=TERM)
    worker = make.worker(campaign)
    donation_ids = [
        create_donation(campaign, kind=DonationKind.worker, designation=Designation.infak,
                        amount_idr=3 * PREMIUM, worker=worker, months=3).id
        for _ in range(THREADS)
    ]
    db.session.commit()
    worker_id = worker.id

    def work(i: int):
        from donate.models import Donation

        return hold_worker(db.session.get(Donation, donation_ids[i]), now=NOW, today=TODAY).donation_id

    results = race(app, work)
    held = [r for r in results if isinstance(r, int)]
    assert len(held) == 1
    assert all(isinstance(r, WorkerUnavailable) for r in results if not isinstance(r, int))
    assert db.session.execute(sa.select(Hold.worker_id, Hold.donation_id)).all() == [(worker_id, held[0])]
