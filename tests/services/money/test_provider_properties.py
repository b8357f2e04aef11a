"""Ledger = provider: any interleaving of a provider's events with allocations and remittance.

A model provider keeps its own book (what it collected, each refund, each
dispute) and sends an event for every change. Events are delivered in any
order, some twice, some again under a new id, some too early (and retried);
meanwhile the pool is allocated and months are sent to BPJS. After each step
the books are sound; once every event has arrived, each payment's money in
the ledger is what the provider says.
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
    RECEIVED_STATES,
    Account,
    CoverageMonth,
    CoverageState,
    Designation,
    Dispute,
    DonationKind,
    Payment,
    PaymentState,
    Refund,
)
from donate.months import month_index
from donate.payments.base import DisputeRecord, ProviderEvent, RefundRecord
from donate.services import ledger
from donate.services.coverage.allocation import allocate_pool
from donate.services.money.donations import create_donation, start_payment
from donate.services.money.events import EventTooEarly, handle_event
from tests import factories
from tests.conftest import PREMIUM

_ids = itertools.count(1)


class ProviderMachine(RuleBasedStateMachine):
    """Gifts paid, refunded and disputed at a model provider whose events arrive in any order."""

    def __init__(self):
        super().__init__()
        self.campaign = factories.campaign(f"ledger-provider-{next(_ids)}", term_months=2)
        self.workers = [factories.worker(self.campaign, mustahik=i % 2 == 0) for i in range(4)]
        self.now = dt.datetime(2018, 3, 15, 9, 0)
        #: The provider's own book: ref -> {"paid", "refunds": {ref: [amount, status]}, "disputes": {ref: [...]}}.
        self.books: dict[str, dict] = {}
        #: Events sent and not yet delivered (and the ones delivered once, for duplicates).
        self.outbox: list[ProviderEvent] = []
        self.sent: list[ProviderEvent] = []

    @property
    def today(self) -> dt.date:
        return self.now.date()

    def _send(self, **fields) -> None:
        event = ProviderEvent(id=f"evt_{next(_ids)}", **fields)
        self.outbox.append(event)

    # -- the provider's side -----------------------------------------------

    @rule(designation=st.sampled_from(list(Designation)), months=st.sampled_from([1, 3, 6]), sponsor=st.booleans(),
          index=st.integers(0, 3))
    def open_gift(self, designation, months, sponsor, index):
        worker = self.workers[index]
        kind = DonationKind.worker if sponsor else DonationKind.pool
        donation = create_donation(self.campaign, kind=kind, designation=designation, amount_idr=months * PREMIUM,
                                   worker=worker if sponsor else None, months=months if sponsor else None)
        payment = start_payment(donation, "sandbox", f"sbx_pp_{next(_ids)}")
        self.books[payment.provider_ref] = {"amount": payment.amount_idr, "paid": 0, "refunds": {}, "disputes": {}}

    def _remaining(self, book) -> int:
        refunded = sum(a for a, status in book["refunds"].values() if status in ("pending", "succeeded"))
        return book["paid"] - refunded - sum(d["withdrawn"] for d in book["disputes"].values())

    @precondition(lambda self: any(not b["paid"] for b in self.books.values()))
    @rule(data=st.data())
    def provider_collects(self, data):
        ref = data.draw(st.sampled_from(sorted(r for r, b in self.books.items() if not b["paid"])))
        book = self.books[ref]
        book["paid"] = book["amount"]
        self._send(type="payment.paid", payment_ref=ref, state=PaymentState.paid, amount_idr=book["amount"],
                   currency="idr")

    @precondition(lambda self: any(self._remaining(b) > 0 for b in self.books.values()))
    @rule(data=st.data(), share=st.sampled_from([1, 2, 3]), pending=st.booleans())
    def provider_refunds(self, data, share, pending):
        ref = data.draw(st.sampled_from(sorted(r for r, b in self.books.items() if self._remaining(b) > 0)))
        book = self.books[ref]
        amount = max(1, self._remaining(book) // share)
        refund_ref = f"re_{next(_ids)}"
        book["refunds"][refund_ref] = [amount, "pending" if pending else "succeeded"]
        self._send_refund(ref, refund_ref)

    def _send_refund(self, ref, refund_ref):
        amount, status = self.books[ref]["refunds"][refund_ref]
        self._send(type=f"refund.{status}", payment_ref=ref, state=PaymentState.refunded,
                   refunds=(RefundRecord(ref=refund_ref, amount_idr=amount, status=status),))

    @precondition(lambda self: any(s == "pending" for b in self.books.values() for _, s in b["refunds"].values()))
    @rule(data=st.data(), outcome=st.sampled_from(["succeeded", "failed"]))
    def pending_refund_settles(self, data, outcome):
        pending = sorted((ref, r) for ref, b in self.books.items() for r, (_, s) in b["refunds"].items()
                         if s == "pending")
        ref, refund_ref = data.draw(st.sampled_from(pending))
        self.books[ref]["refunds"][refund_ref][1] = outcome
        self._send_refund(ref, refund_ref)

    @precondition(lambda self: any(self._remaining(b) > 0 and not b["disputes"] for b in self.books.values()))
    @rule(data=st.data(), inquiry=st.booleans())
    def provider_disputes(self, data, inquiry):
        refs = sorted(r for r, b in self.books.items() if self._remaining(b) > 0 and not b["disputes"])
        ref = data.draw(st.sampled_from(refs))
        book = self.books[ref]
        dispute = {"amount": self._remaining(book), "withdrawn": 0, "transactions": 0,
                   "status": "warning_needs_response" if inquiry else "needs_response"}
        book["disputes"][f"dp_{next(_ids)}"] = dispute
        if not inquiry:
            dispute["withdrawn"], dispute["transactions"] = dispute["amount"], 1
        self._send_dispute(ref)

    def _send_dispute(self, ref):
        ((dispute_ref, d),) = self.books[ref]["disputes"].items()
        record = DisputeRecord(ref=dispute_ref, amount_idr=d["amount"], status=d["status"],
                               inquiry=d["status"].startswith("warning"), withdrawn_idr=d["withdrawn"],
                               transactions=d["transactions"])
        self._send(type="charge.dispute.updated", payment_ref=ref, state=PaymentState.disputed, dispute=record)

    @precondition(lambda self: any(d["status"] == "needs_response" for b in self.books.values()
                                   for d in b["disputes"].values()))
    @rule(data=st.data(), won=st.booleans())
    def dispute_closes(self, data, won):
        refs = sorted(r for r, b in self.books.items() if any(d["status"] == "needs_response"
                                                               for d in b["disputes"].values()))
        ref = data.draw(st.sampled_from(refs))
        ((_, d),) = self.books[ref]["disputes"].items()
        d["status"] = "won" if won else "lost"
        if won:
            d["withdrawn"], d["transactions"] = 0, 2
        self._send_dispute(ref)

    # -- delivery, in any order, more than once ------------------------------

    @precondition(lambda self: self.outbox or self.sent)
    @rule(data=st.data(), how=st.sampled_from(["once", "once", "twice", "again_new_id"]))
    def deliver(self, data, how):
        pool = self.outbox or self.sent
        event = pool[data.draw(st.integers(0, len(pool) - 1))]
        if how == "again_new_id" or pool is self.sent:
            event = ProviderEvent(**{**event.__dict__, "id": f"evt_{next(_ids)}"})
        self._deliver(event)
        if how == "twice":
            assert self._deliver(event) in ("duplicate", None)

    def _deliver(self, event) -> str | None:
        """Deliver one event as the webhook does: applied, or rolled back and kept for the retry."""
        try:
            with db.session.begin_nested():
                outcome = handle_event("sandbox", event, now=clock.now(), today=clock.today())
        except EventTooEarly:
            return None
        if event in self.outbox:
            self.outbox.remove(event)
            self.sent.append(event)
        return outcome

    # -- the campaign's side --------------------------------------------------

    @rule()
    def allocate(self):
        allocate_pool(self.campaign, today=self.today, now=self.now)

    @rule()
    def remit_due_months(self):
        due = db.session.scalars(sa.select(CoverageMonth).where(
            CoverageMonth.campaign_id == self.campaign.id, CoverageMonth.state == CoverageState.funded,
            CoverageMonth.month <= month_index(self.today) + 1)).all()
        totals: dict[Designation, int] = {}
        for month in due:
            month.state = CoverageState.remitted
            totals[month.designation] = totals.get(month.designation, 0) + month.premium_idr
        db.session.flush()
        for designation, total in totals.items():
            ledger.post_entry(self.campaign.id, "remittance", [(Account.allocated, designation, -total),
                                                               (Account.remitted, designation, total)])

    @rule(days=st.sampled_from([1, 40]))
    def time_passes(self, days):
        self.now += dt.timedelta(days=days)

    # -- what must hold ------------------------------------------------------

    @invariant()
    def books_are_sound(self):
        assert ledger.check_ledger() == []
        books = ledger.balances(self.campaign.id)
        assert all(amount >= 0 for amount in books[Account.pool].values())

    def teardown(self):
        try:
            for _ in range(3 * len(self.outbox) + 3):  # every event arrives in the end; too-early ones again
                if not self.outbox:
                    break
                self._deliver(self.outbox[0]) or self.outbox.append(self.outbox.pop(0))
            assert self.outbox == []
            assert ledger.check_ledger() == []
            for ref, book in self.books.items():
                payment = db.session.scalar(sa.select(Payment).where(Payment.provider_ref == ref))
                received = payment.amount_idr if payment.state in RECEIVED_STATES else 0
                refunded = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Refund.booked_idr), 0))
                                             .where(Refund.payment_id == payment.id))
                disputed = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Dispute.withdrawn_idr), 0))
                                             .where(Dispute.payment_id == payment.id))
                provider_refunded = sum(a for a, s in book["refunds"].values() if s in ("pending", "succeeded"))
                provider_disputed = sum(d["withdrawn"] for d in book["disputes"].values())
                assert (received, refunded, disputed) == (book["paid"], provider_refunded, provider_disputed), ref
                assert payment.refunded_idr == refunded + disputed
        finally:
            db.session.rollback()


def test_the_ledger_equals_the_provider_whatever_order_its_events_arrive_in(app):
    run_state_machine_as_test(
        ProviderMachine,
        settings=settings(max_examples=40, stateful_step_count=30, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]),
    )
