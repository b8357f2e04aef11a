"""Properties of money movement under any sequence of gifts, allocations, expiries and refunds.

Each example runs inside one transaction on the test's database and is rolled
back afterwards, so examples do not see each other's rows.
"""

import datetime as dt
import itertools

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from donate import clock
from donate.extensions import db
from donate.models import (
    LIVE_STATES,
    Account,
    CoverageMonth,
    CoverageState,
    Designation,
    DonationKind,
    Payment,
    PaymentState,
    Worker,
)
from donate.months import month_index
from donate.services import ledger
from donate.services.coverage.allocation import allocate_pool
from donate.services.coverage.holds import WorkerUnavailable, expire_holds, hold_worker
from donate.services.money.donations import (
    DonationRefused,
    confirm_payment,
    create_donation,
    fail_payment,
    record_funding,
    start_payment,
)
from donate.services.money.refunds import RefundRefused, refund_payment
from tests import factories
from tests.conftest import PREMIUM

_refs = itertools.count(1)

designations = st.sampled_from(list(Designation))


def rupiah(most_months: int) -> st.SearchStrategy[int]:
    """Amounts from Rp 1 to about ``most_months`` base premiums, in half-month steps plus change."""
    return st.builds(lambda halves, change: max(1, halves * PREMIUM // 2 + change),
                     st.integers(0, 2 * most_months), st.integers(0, 999))


class MoneyMachine(RuleBasedStateMachine):
    """Random gifts, sponsorships, allocations, expiries, remittances and refunds on one campaign."""

    def __init__(self):
        super().__init__()
        self.campaign = factories.campaign(f"prop-{next(_refs)}", term_months=3, regions=(("1402", 2),))
        self.workers = [
            factories.worker(self.campaign, mustahik=True),
            factories.worker(self.campaign, mustahik=False),
            factories.worker(self.campaign, mustahik=True, income=2_550_050),
            factories.worker(self.campaign, mustahik=False, regency_code="1402"),
            factories.worker(self.campaign, mustahik=True, regency_code="1402"),
            factories.worker(self.campaign, mustahik=True, regency_code="1402"),
            factories.worker(self.campaign, verified=False),
        ]
        self.now = dt.datetime(2018, 3, 15, 9, 0)
        #: Payments not yet paid (created, or failed/expired: money may still arrive for them).
        self.unpaid: list[int] = []
        #: Payments that were paid.
        self.paid: list[int] = []

    @property
    def today(self) -> dt.date:
        return self.now.date()

    @property
    def month(self) -> int:
        return month_index(self.today)

    def _open(self, donation, pay_now: bool) -> None:
        payment = start_payment(donation, "sandbox", f"sbx_prop_{next(_refs)}")
        self.unpaid.append(payment.id)
        if pay_now:
            self._pay(payment.id)

    def _pay(self, payment_id: int) -> None:
        assert confirm_payment(payment_id, today=self.today, now=self.now)
        self.unpaid.remove(payment_id)
        self.paid.append(payment_id)

    @rule(designation=designations, amount=rupiah(24), pay_now=st.booleans())
    def pool_gift(self, designation, amount, pay_now):
        donation = create_donation(self.campaign, kind=DonationKind.pool, designation=designation,
                                   amount_idr=amount)
        self._open(donation, pay_now)

    @rule(index=st.integers(0, 6), months=st.sampled_from([1, 3, 6, 12]), designation=designations,
          extra=st.sampled_from([0, 0, -PREMIUM // 2, 5_000, 3 * PREMIUM]), hold=st.booleans(),
          pay_now=st.booleans())
    def sponsorship(self, index, months, designation, extra, hold, pay_now):
        worker = self.workers[index]
        donation = create_donation(self.campaign, kind=DonationKind.worker, designation=designation,
                                   amount_idr=max(1, months * PREMIUM + extra), worker=worker, months=months)
        if hold:
            try:
                hold_worker(donation, now=self.now, today=self.today)
            except WorkerUnavailable:
                pass
        self._open(donation, pay_now)

    @rule(count=st.integers(1, 4), months=st.integers(1, 6), designation=designations,
          amount=rupiah(30), pay_now=st.booleans())
    def bulk_gift(self, count, months, designation, amount, pay_now):
        donation = create_donation(self.campaign, kind=DonationKind.bulk, designation=designation,
                                   amount_idr=amount, workers_count=count, months=months)
        self._open(donation, pay_now)

    @rule(amount=rupiah(18), reference=st.sampled_from([None, "TRF-1", "TRF-2"]),
          designation=designations)
    def institutional_funding(self, amount, reference, designation):
        try:
            donation = record_funding(self.campaign, amount, funder="APBD", designation=designation,
                                      reference=reference, now=self.now, today=clock.today())
        except DonationRefused:
            return  # the same reference with other details
        payment_id = donation.payments[0].id
        if payment_id not in self.paid:
            self.paid.append(payment_id)

    @precondition(lambda self: self.unpaid or self.paid)
    @rule(data=st.data(), outcome=st.sampled_from(["paid", "failed", "expired"]))
    def provider_reports(self, data, outcome):
        """The provider settles a payment, possibly again, possibly after we gave up on it."""
        payment = db.session.get(Payment, data.draw(st.sampled_from(self.unpaid + self.paid)))
        if payment.id in self.paid:
            assert not confirm_payment(payment.id, today=self.today, now=self.now)
            assert not fail_payment(payment)
        elif outcome in ("failed", "expired"):
            fail_payment(payment, PaymentState(outcome))
        else:
            self._pay(payment.id)

    @rule()
    def allocate(self):
        allocate_pool(self.campaign, today=self.today, now=self.now)

    @rule(minutes=st.sampled_from([5, 31, 60 * 24 * 30, 60 * 24 * 61, 60 * 24 * 122]))
    def time_passes(self, minutes):
        self.now += dt.timedelta(minutes=minutes)
        expire_holds(now=self.now)

    @rule()
    def remit_due_months(self):
        """Send this month's and earlier funded months to BPJS (as a remittance batch would)."""
        due = db.session.scalars(
            sa.select(CoverageMonth).where(CoverageMonth.campaign_id == self.campaign.id,
                                           CoverageMonth.state == CoverageState.funded,
                                           CoverageMonth.month <= self.month)
        ).all()
        totals: dict[Designation, int] = {}
        for month in due:
            month.state = CoverageState.remitted
            totals[month.designation] = totals.get(month.designation, 0) + month.premium_idr
        db.session.flush()
        for designation, total in totals.items():
            ledger.post_entry(self.campaign.id, "remittance", [(Account.allocated, designation, -total),
                                                               (Account.remitted, designation, total)])

    @precondition(lambda self: self.paid)
    @rule(data=st.data(), share=st.sampled_from([None, 1, 2, 3]))
    def refund(self, data, share):
        payment = db.session.get(Payment, data.draw(st.sampled_from(self.paid)))
        if payment.state not in (PaymentState.paid, PaymentState.disputed):
            return
        remaining = payment.amount_idr - payment.refunded_idr
        amount = None if share is None else max(1, remaining // share)
        pool_before = ledger.balance(self.campaign.id, Account.pool, payment.donation.designation)
        refunded_before = payment.refunded_idr
        try:
            refunded = refund_payment(payment, amount, today=self.today)
        except RefundRefused:
            assert payment.refunded_idr == refunded_before
            assert ledger.balance(self.campaign.id, Account.pool, payment.donation.designation) == pool_before
            return
        assert refunded == (remaining if amount is None else amount)
        assert payment.refunded_idr == refunded_before + refunded
        assert (payment.state == PaymentState.refunded) == (payment.refunded_idr == payment.amount_idr)

    @invariant()
    def books_are_sound(self):
        assert ledger.check_ledger() == []

        books = ledger.balances(self.campaign.id)
        assert all(amount >= 0 for amount in books[Account.pool].values()), books[Account.pool]

        # Every paid rupiah is in the books, and is in the pool, with workers or back with the donor.
        received = -sum(books[Account.received].values())
        paid = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Payment.amount_idr), 0)).where(Payment.id.in_(self.paid or [0]))
        )
        assert received == paid
        held = sum(sum(books[a].values()) for a in (Account.pool, Account.allocated, Account.remitted))
        assert received == held + sum(books[Account.refunded].values())

        assert db.session.execute(
            sa.select(CoverageMonth.worker_id, CoverageMonth.month)
            .where(CoverageMonth.state.in_(LIVE_STATES))
            .group_by(CoverageMonth.worker_id, CoverageMonth.month)
            .having(sa.func.count() > 1)
        ).all() == []

        assert db.session.scalar(
            sa.select(sa.func.count()).select_from(CoverageMonth).join(Worker)
            .where(CoverageMonth.designation == Designation.zakat, Worker.is_mustahik.is_(False))
        ) == 0

    def teardown(self):
        db.session.rollback()


def test_money_is_never_lost_or_doubled(app):
    run_state_machine_as_test(
        MoneyMachine,
        settings=settings(max_examples=30, stateful_step_count=25, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]),
    )
