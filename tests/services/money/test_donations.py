"""Gifts and payments: validation, idempotent confirmation, the state machine, funding, refunds."""

import datetime as dt
import itertools

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from donate.extensions import db
from donate.models import (
    LIVE_STATES,
    PAYMENT_TRANSITIONS,
    Account,
    CampaignStatus,
    CoverageMonth,
    CoverageState,
    Designation,
    Donation,
    DonationKind,
    Journal,
    Payment,
    PaymentState,
    ProcessedEvent,
)
from donate.months import month_index
from donate.payments.base import ProviderEvent, Verdict
from donate.services import ledger
from donate.services.coverage.allocation import allocate_pool
from donate.services.coverage.holds import hold_worker
from donate.services.money.donations import (
    DonationRefused,
    InvalidTransition,
    confirm_payment,
    create_donation,
    fail_payment,
    record_funding,
    start_payment,
    transition,
)
from donate.services.money.events import handle_event
from donate.services.money.refunds import RefundRefused, refund_payment
from donate.services.money.settlement import settle_payment
from tests.conftest import NOW, PREMIUM, TODAY

M = month_index(TODAY)
_refs = itertools.count(1)


pytestmark = pytest.mark.usefixtures("books_stay_sound")


@pytest.fixture
def campaign(make):
    return make.campaign(term_months=6)


def pending(campaign, amount: int = 50_000, *, kind: DonationKind = DonationKind.pool,
            designation: Designation = Designation.infak, **fields) -> Payment:
    """Create a gift and an unpaid sandbox payment for it."""
    donation = create_donation(campaign, kind=kind, designation=designation, amount_idr=amount, **fields)
    return start_payment(donation, "sandbox", f"sbx_{next(_refs)}")


def sponsorship(campaign, worker, months: int, *, amount: int | None = None,
                designation: Designation = Designation.infak) -> Payment:
    """Create an unpaid sponsorship of ``worker`` for ``months`` months."""
    return pending(campaign, amount or months * PREMIUM, kind=DonationKind.worker, designation=designation,
                   worker=worker, months=months)


def months_of(worker) -> list[int]:
    return db.session.scalars(
        sa.select(CoverageMonth.month)
        .where(CoverageMonth.worker_id == worker.id, CoverageMonth.state.in_(LIVE_STATES))
        .order_by(CoverageMonth.month)
    ).all()


def pool(campaign, designation: Designation = Designation.infak) -> int:
    return ledger.balance(campaign.id, Account.pool, designation)


def journals(kind: str) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Journal).where(Journal.kind == kind))


def remit(campaign, months: list[CoverageMonth]) -> None:
    """Simulate a remittance batch: mark the months sent to BPJS and move their money in the books."""
    by_designation: dict[Designation, int] = {}
    for month in months:
        month.state = CoverageState.remitted
        by_designation[month.designation] = by_designation.get(month.designation, 0) + month.premium_idr
    db.session.flush()
    for designation, total in by_designation.items():
        ledger.post_entry(campaign.id, "remittance", [(Account.allocated, designation, -total),
                                                      (Account.remitted, designation, total)])


# create_donation


@pytest.mark.parametrize(("change", "fields", "message"), [
    ({"status": CampaignStatus.paused}, {}, "this campaign is not accepting gifts"),
    ({"status": CampaignStatus.closed}, {}, "this campaign is not accepting gifts"),
    ({"status": CampaignStatus.draft}, {}, "this campaign is not accepting gifts"),
    ({"designations_accepted": "infak,csr"}, {"designation": Designation.zakat},
     "this campaign does not accept zakat"),
    ({}, {"amount_idr": 0}, "the amount must be a positive whole number of rupiah"),
    ({}, {"amount_idr": -16_800}, "the amount must be a positive whole number of rupiah"),
    ({}, {"amount_idr": 16_800.0}, "the amount must be a positive whole number of rupiah"),
    ({}, {"amount_idr": "16800"}, "the amount must be a positive whole number of rupiah"),
    ({}, {"kind": DonationKind.worker, "months": 3}, "choose a worker of this campaign"),
    ({}, {"kind": DonationKind.worker, "months": 2, "worker": "own"}, "a sponsorship is for 1, 3, 6 or 12 months"),
    ({}, {"kind": DonationKind.worker, "months": None, "worker": "own"},
     "a sponsorship is for 1, 3, 6 or 12 months"),
    ({}, {"kind": DonationKind.worker, "months": 3, "worker": "other"}, "choose a worker of this campaign"),
    ({}, {"kind": DonationKind.bulk, "months": 6}, "a gift for many workers needs"),
    ({}, {"kind": DonationKind.bulk, "workers_count": 10}, "a gift for many workers needs"),
    ({}, {"kind": DonationKind.bulk, "workers_count": 10, "months": 13}, "a gift for many workers needs"),
    ({}, {"kind": DonationKind.bulk, "workers_count": 10, "months": 0}, "a gift for many workers needs"),
])
def test_create_donation_refuses_what_it_cannot_take(campaign, make, change, fields, message):
    for key, value in change.items():
        setattr(campaign, key, value)
    if fields.get("worker") == "own":
        fields["worker"] = make.worker(campaign)
    elif fields.get("worker") == "other":
        fields["worker"] = make.worker(make.campaign("other-campaign"))
    arguments = {"kind": DonationKind.pool, "designation": Designation.infak, "amount_idr": 100_000} | fields
    with pytest.raises(DonationRefused) as refused:
        create_donation(campaign, **arguments)
    with force_locale("en"):  # the messages as written; the Indonesian ones are checked by the pages
        assert message in str(refused.value)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Donation)) == 0


@pytest.mark.parametrize("months", [1, 3, 6, 12])
def test_create_donation_takes_a_sponsorship_for_allowed_terms(campaign, make, months):
    worker = make.worker(campaign)
    donation = create_donation(campaign, kind=DonationKind.worker, designation=Designation.zakat,
                               amount_idr=months * PREMIUM, worker=worker, months=months)
    assert (donation.worker_id, donation.months) == (worker.id, months)


def test_create_donation_stores_a_tidy_gift(campaign):
    donation = create_donation(campaign, kind=DonationKind.bulk, designation=Designation.csr,
                               amount_idr=10 * 6 * PREMIUM, workers_count=10, months=6,
                               donor_name="  PT Sawit Makmur ", donor_email=" CSR@Sawit.Example ",
                               message="  Semoga berkah  ", is_anonymous=True)
    assert donation.id is not None
    assert (donation.donor_name, donation.donor_email, donation.message) == (
        "PT Sawit Makmur", "csr@sawit.example", "Semoga berkah")
    assert donation.public_name == "Hamba Allah"
    assert donation.payments == []


# confirm_payment


def test_confirm_payment_books_the_money_once(campaign):
    payment = pending(campaign, 75_000)
    assert confirm_payment(payment.id, now=NOW, today=TODAY) is True
    assert confirm_payment(payment.id, now=NOW, today=TODAY) is False
    db.session.refresh(payment)
    assert (payment.state, payment.paid_at, payment.amount_idr) == (PaymentState.paid, NOW, 75_000)
    assert journals("payment_received") == 1
    assert pool(campaign) == 75_000
    assert ledger.balance(campaign.id, Account.received, Designation.infak) == -75_000


def test_a_verdict_for_another_amount_is_flagged_and_books_nothing(campaign):
    """Issue 9: a provider's figure once replaced what was asked (Rp 80,000 booked for a Rp 75,000 gift)."""
    payment = pending(campaign, 75_000)
    verdict = Verdict(state=PaymentState.paid, amount_idr=80_000, payment_ref=payment.provider_ref,
                      provider_amount="80000 idr")
    assert settle_payment(payment, verdict, now=NOW, today=TODAY) == "flagged"
    db.session.refresh(payment)
    assert (payment.state, payment.amount_idr) == (PaymentState.created, 75_000)
    assert pool(campaign) == 0
    assert ledger.balance(campaign.id, Account.suspense, Designation.infak) == 80_000
    assert ledger.check_ledger() == []
    right = Verdict(state=PaymentState.paid, amount_idr=75_000, payment_ref=payment.provider_ref)
    assert settle_payment(payment, right, now=NOW, today=TODAY) == "confirmed"
    assert pool(campaign) == 75_000


def test_a_sponsorship_is_funded_only_once(campaign, make):
    worker = make.worker(campaign)
    payment = sponsorship(campaign, worker, 3)
    assert confirm_payment(payment.id, today=TODAY, now=NOW)
    assert not confirm_payment(payment.id, today=TODAY, now=NOW)
    assert months_of(worker) == [M, M + 1, M + 2]
    assert journals("allocation") == 1
    assert pool(campaign) == 0


def test_a_bulk_gift_funds_workers_on_payment(campaign, make):
    workers = make.workers(campaign, 4)
    payment = pending(campaign, 3 * 2 * PREMIUM + 500, kind=DonationKind.bulk, workers_count=3, months=2)
    assert confirm_payment(payment.id, today=TODAY, now=NOW)
    assert [months_of(w) for w in workers] == [[M, M + 1]] * 3 + [[]]
    assert pool(campaign) == 500


@pytest.mark.parametrize("state", [PaymentState.failed, PaymentState.expired])
def test_money_arriving_for_a_payment_given_up_on_is_taken(campaign, make, state):
    worker = make.worker(campaign)
    payment = sponsorship(campaign, worker, 1)
    assert fail_payment(payment, state)
    assert payment.state == state
    assert confirm_payment(payment.id, today=TODAY, now=NOW)
    db.session.refresh(payment)
    assert payment.state == PaymentState.paid
    assert months_of(worker) == [M]


def test_confirm_payment_leaves_refunded_and_disputed_payments_alone(campaign):
    refunded, disputed = pending(campaign, 10_000), pending(campaign, 20_000)
    for payment in (refunded, disputed):
        confirm_payment(payment.id, now=NOW, today=TODAY)
        db.session.refresh(payment)
    refund_payment(refunded, today=TODAY)
    transition(disputed, PaymentState.disputed)
    assert confirm_payment(refunded.id, now=NOW, today=TODAY) is False
    assert confirm_payment(disputed.id, now=NOW, today=TODAY) is False
    assert (refunded.state, disputed.state) == (PaymentState.refunded, PaymentState.disputed)
    assert journals("payment_received") == 2
    assert pool(campaign) == 20_000


def test_fail_payment_only_fails_unsettled_payments(campaign):
    payment = pending(campaign)
    confirm_payment(payment.id, now=NOW, today=TODAY)
    db.session.refresh(payment)
    assert fail_payment(payment) is False
    assert payment.state == PaymentState.paid


# The payment state machine

ALL_MOVES = [(a, b) for a in PaymentState for b in PaymentState]


@pytest.mark.parametrize(("start", "end"), ALL_MOVES, ids=[f"{a.value}-{b.value}" for a, b in ALL_MOVES])
def test_transition_follows_the_state_machine(campaign, start, end):
    payment = pending(campaign)
    payment.state = start
    db.session.flush()
    if end in PAYMENT_TRANSITIONS[start]:
        transition(payment, end)
        assert payment.state == end
    else:
        with pytest.raises(InvalidTransition, match=f"dari {start.value} menjadi {end.value}"):
            transition(payment, end)
        assert payment.state == start
    db.session.rollback()  # the payment never really received money


def test_the_state_machine_never_refuses_money_and_a_refund_reopens_only_when_it_failed():
    assert PaymentState.paid in PAYMENT_TRANSITIONS[PaymentState.failed]
    assert PaymentState.paid in PAYMENT_TRANSITIONS[PaymentState.expired]
    # A refund the provider reports failed gives the money back: the payment is paid again, nothing else.
    assert PAYMENT_TRANSITIONS[PaymentState.refunded] == {PaymentState.paid}
    assert PaymentState.failed not in PAYMENT_TRANSITIONS[PaymentState.paid]


# record_funding


def test_record_funding_books_institutional_money(campaign):
    donation = record_funding(campaign, 500_000_000, funder=" APBD Provinsi Riau ",
                              designation=Designation.csr, reference="SP2D-001", now=NOW, today=TODAY)
    payment = donation.payments[0]
    assert (donation.kind, donation.funder, donation.public_name) == (
        DonationKind.funding, "APBD Provinsi Riau", "APBD Provinsi Riau")
    assert (payment.provider, payment.provider_ref, payment.state) == ("manual", "SP2D-001", PaymentState.paid)
    assert pool(campaign, Designation.csr) == 500_000_000


def test_record_funding_is_idempotent_by_reference(campaign):
    first = record_funding(campaign, 1_000_000, funder="DBH Sawit", reference="TRF-9", now=NOW, today=TODAY)
    again = record_funding(campaign, 1_000_000, funder="DBH Sawit", reference=" TRF-9 ", now=NOW, today=TODAY)
    assert again.id == first.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 1
    assert pool(campaign, Designation.csr) == 1_000_000


def test_record_funding_refuses_a_reference_with_other_details(campaign, make):
    record_funding(campaign, 1_000_000, funder="DBH Sawit", reference="TRF-9", now=NOW, today=TODAY)
    with pytest.raises(DonationRefused, match="TRF-9 sudah dicatat"):
        record_funding(campaign, 2_000_000, funder="DBH Sawit", reference="TRF-9", now=NOW, today=TODAY)
    with pytest.raises(DonationRefused, match="TRF-9 sudah dicatat"):
        record_funding(make.campaign("other-campaign"), 1_000_000, funder="DBH Sawit", reference="TRF-9", now=NOW,
                       today=TODAY)
    assert pool(campaign, Designation.csr) == 1_000_000


def test_record_funding_without_a_reference_records_each_transfer(campaign):
    record_funding(campaign, 1_000_000, funder="CSR Bank", designation=Designation.infak, now=NOW, today=TODAY)
    record_funding(campaign, 1_000_000, funder="CSR Bank", designation=Designation.infak, reference=" ", now=NOW,
                   today=TODAY)
    assert pool(campaign) == 2_000_000


@pytest.mark.parametrize(("amount", "funder", "message"), [
    (1_000_000, "  ", "sebutkan nama penyandang dana"),
    (0, "APBD", "rupiah bulat positif"),
])
def test_record_funding_refuses_bad_input(campaign, amount, funder, message):
    with pytest.raises(DonationRefused, match=message):
        record_funding(campaign, amount, funder=funder, reference="X-1", now=NOW, today=TODAY)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0


# refund_payment


def test_a_partial_then_full_refund(campaign):
    payment = pending(campaign, 100_000)
    confirm_payment(payment.id, now=NOW, today=TODAY)
    db.session.refresh(payment)

    assert refund_payment(payment, 30_000, today=TODAY) == 30_000
    assert (payment.refunded_idr, payment.state) == (30_000, PaymentState.paid)
    assert pool(campaign) == 70_000
    assert ledger.balance(campaign.id, Account.refunded, Designation.infak) == 30_000

    assert refund_payment(payment, today=TODAY) == 70_000
    assert (payment.refunded_idr, payment.state) == (100_000, PaymentState.refunded)
    assert pool(campaign) == 0
    assert ledger.balance(campaign.id, Account.refunded, Designation.infak) == 100_000
    # The money received stays received; the refund is a separate account.
    assert ledger.balance(campaign.id, Account.received, Designation.infak) == -100_000

    with pytest.raises(RefundRefused, match="hanya pembayaran yang sudah dibayar"):
        refund_payment(payment, 1, today=TODAY)


@pytest.mark.parametrize("amount", [0, -5, 100_001])
def test_a_refund_must_be_within_what_was_paid(campaign, amount):
    payment = pending(campaign, 100_000)
    confirm_payment(payment.id, now=NOW, today=TODAY)
    db.session.refresh(payment)
    with pytest.raises(RefundRefused, match="antara Rp 1 dan Rp 100.000"):
        refund_payment(payment, amount, today=TODAY)
    assert pool(campaign) == 100_000


@pytest.mark.parametrize("state", [PaymentState.created, PaymentState.pending, PaymentState.failed,
                                   PaymentState.expired])
def test_an_unpaid_payment_cannot_be_refunded(campaign, state):
    payment = pending(campaign)
    payment.state = state
    with pytest.raises(RefundRefused, match="hanya pembayaran yang sudah dibayar"):
        refund_payment(payment, today=TODAY)


def test_a_disputed_payment_can_be_refunded(campaign):
    payment = pending(campaign, 40_000)
    confirm_payment(payment.id, now=NOW, today=TODAY)
    db.session.refresh(payment)
    transition(payment, PaymentState.disputed)
    assert refund_payment(payment, today=TODAY) == 40_000
    assert payment.state == PaymentState.refunded


def test_a_refund_spends_the_pool_of_its_own_designation(campaign):
    make_zakat = pending(campaign, 10_000, designation=Designation.zakat)
    confirm_payment(make_zakat.id, now=NOW, today=TODAY)
    infak = pending(campaign, 50_000)
    confirm_payment(infak.id, now=NOW, today=TODAY)
    db.session.refresh(infak)
    refund_payment(infak, 50_000, today=TODAY)
    assert pool(campaign, Designation.zakat) == 10_000
    assert pool(campaign, Designation.infak) == 0


def test_a_refund_releases_a_sponsorships_unremitted_months(campaign, make):
    worker = make.worker(campaign)
    payment = sponsorship(campaign, worker, 6)
    confirm_payment(payment.id, today=TODAY, now=NOW)
    db.session.refresh(payment)
    assert pool(campaign) == 0

    # Rp 20,000 needs two months back (the latest first); what is left of them stays in the pool.
    assert refund_payment(payment, 20_000, today=TODAY) == 20_000
    assert months_of(worker) == [M, M + 1, M + 2, M + 3]
    assert pool(campaign) == 2 * PREMIUM - 20_000
    assert ledger.balance(campaign.id, Account.allocated, Designation.infak) == 4 * PREMIUM

    assert refund_payment(payment, today=TODAY) == 6 * PREMIUM - 20_000
    assert months_of(worker) == []
    assert payment.state == PaymentState.refunded
    assert pool(campaign) == 0


def test_a_refund_takes_pool_money_before_releasing_months(campaign, make):
    worker = make.worker(campaign)
    make.paid_gift(campaign, 50_000)
    payment = sponsorship(campaign, worker, 3)
    confirm_payment(payment.id, today=TODAY, now=NOW)
    db.session.refresh(payment)
    refund_payment(payment, PREMIUM, today=TODAY)
    assert months_of(worker) == [M, M + 1, M + 2]
    assert pool(campaign) == 50_000 - PREMIUM


def test_a_refund_does_not_release_past_months(campaign, make):
    worker = make.worker(campaign)
    payment = sponsorship(campaign, worker, 3)
    confirm_payment(payment.id, today=TODAY, now=NOW)
    db.session.refresh(payment)
    # Three months later the first two are history, only the last one can come back.
    later = dt.date(2018, 5, 20)
    with pytest.raises(RefundRefused, match="hanya Rp 16.800 yang dapat dikembalikan"):
        refund_payment(payment, 2 * PREMIUM, today=later)
    assert refund_payment(payment, PREMIUM, today=later) == PREMIUM
    assert months_of(worker) == [M, M + 1]


def test_a_refund_is_refused_once_the_money_went_to_bpjs(campaign, make):
    worker = make.worker(campaign)
    payment = sponsorship(campaign, worker, 3)
    confirm_payment(payment.id, today=TODAY, now=NOW)
    db.session.refresh(payment)
    remit(campaign, db.session.scalars(sa.select(CoverageMonth)).all())

    with pytest.raises(RefundRefused, match="sudah dikirim ke BPJS"):
        refund_payment(payment, today=TODAY)
    with pytest.raises(RefundRefused, match="sudah dikirim ke BPJS"):
        refund_payment(payment, 1, today=TODAY)
    assert (payment.refunded_idr, payment.state) == (0, PaymentState.paid)
    assert months_of(worker) == [M, M + 1, M + 2]
    assert ledger.balance(campaign.id, Account.remitted, Designation.infak) == 3 * PREMIUM


def test_a_refused_refund_changes_nothing(campaign, make):
    worker = make.worker(campaign)
    payment = sponsorship(campaign, worker, 3)
    confirm_payment(payment.id, today=TODAY, now=NOW)
    db.session.refresh(payment)
    first = db.session.scalar(sa.select(CoverageMonth).where(CoverageMonth.month == M))
    remit(campaign, [first])

    # Two months could come back, but not three: refusing must not drop the two.
    with pytest.raises(RefundRefused, match="hanya Rp 33.600 yang dapat dikembalikan"):
        refund_payment(payment, today=TODAY)
    assert months_of(worker) == [M, M + 1, M + 2]
    assert pool(campaign) == 0
    assert payment.refunded_idr == 0

    assert refund_payment(payment, 2 * PREMIUM, today=TODAY) == 2 * PREMIUM
    assert months_of(worker) == [M]
    assert payment.state == PaymentState.paid


def test_a_pool_gift_already_allocated_cannot_be_refunded(campaign, make):
    make.workers(campaign, 1)
    payment = pending(campaign, 6 * PREMIUM)
    confirm_payment(payment.id, now=NOW, today=TODAY)
    db.session.refresh(payment)
    allocate_pool(campaign, today=TODAY, now=NOW)
    with pytest.raises(RefundRefused, match="hanya Rp 0 yang dapat dikembalikan"):
        refund_payment(payment, today=TODAY)


# Sponsorships whose hold expired


def test_a_late_sponsorship_extends_coverage_someone_else_funded(app, campaign, make):
    worker = make.worker(campaign)
    late = sponsorship(campaign, worker, 3)
    hold = hold_worker(late.donation, now=NOW, today=TODAY)
    assert hold.first_month == M

    # The hold lapses; another donor holds and pays for the same months meanwhile.
    after = NOW + dt.timedelta(minutes=app.config["HOLD_MINUTES"] + 1)
    quick = sponsorship(campaign, worker, 6)
    assert hold_worker(quick.donation, now=after, today=TODAY).first_month == M
    assert confirm_payment(quick.id, today=TODAY, now=after)
    assert months_of(worker) == list(range(M, M + 6))

    assert confirm_payment(late.id, today=TODAY, now=after)
    assert months_of(worker) == list(range(M, M + 9))
    assert pool(campaign) == 0
    db.session.refresh(late)
    assert late.state == PaymentState.paid


def test_a_late_sponsorship_for_a_worker_now_ineligible_stays_in_the_pool(campaign, make):
    worker = make.worker(campaign)
    payment = sponsorship(campaign, worker, 3)
    hold_worker(payment.donation, now=NOW, today=TODAY)
    worker.flag_reason = "meninggal dunia"
    assert confirm_payment(payment.id, today=TODAY, now=NOW)
    assert months_of(worker) == []
    assert pool(campaign) == 3 * PREMIUM


def test_an_underpaid_sponsorship_funds_whole_months_and_pools_the_rest(campaign, make):
    worker = make.worker(campaign)
    payment = sponsorship(campaign, worker, 3, amount=2 * PREMIUM + 100)  # priced before a premium rise
    confirm_payment(payment.id, today=TODAY, now=NOW)
    assert months_of(worker) == [M, M + 1]
    assert pool(campaign) == 100


# Provider events


def test_a_duplicate_event_changes_nothing(campaign, make):
    worker = make.worker(campaign)
    payment = sponsorship(campaign, worker, 1)
    event = ProviderEvent(id="evt_1", type="checkout.session.completed", payment_ref=payment.provider_ref,
                          state=PaymentState.paid, amount_idr=PREMIUM)
    assert handle_event("sandbox", event, now=NOW, today=TODAY) == "confirmed"
    counts = [db.session.scalar(sa.select(sa.func.count()).select_from(model))
              for model in (Journal, CoverageMonth, ProcessedEvent)]

    assert handle_event("sandbox", event, now=NOW, today=TODAY) == "duplicate"
    assert handle_event("sandbox", ProviderEvent(id="evt_1", type="checkout.session.expired",
                                                 payment_ref=payment.provider_ref,
                                                 state=PaymentState.expired), now=NOW, today=TODAY) == "duplicate"
    assert [db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Journal, CoverageMonth, ProcessedEvent)] == counts
    db.session.refresh(payment)
    assert payment.state == PaymentState.paid


def test_events_out_of_order_and_redelivered(campaign):
    payment = pending(campaign, 30_000)
    paid = ProviderEvent(id="evt_paid", type="paid", payment_ref=payment.provider_ref,
                         state=PaymentState.paid, amount_idr=30_000)
    assert handle_event("sandbox", paid, now=NOW, today=TODAY) == "confirmed"
    assert handle_event("sandbox", ProviderEvent(id="evt_paid_again", type="paid",
                                                 payment_ref=payment.provider_ref,
                                                 state=PaymentState.paid, amount_idr=30_000),
                        today=TODAY, now=NOW) == "already paid"
    assert handle_event("sandbox", ProviderEvent(id="evt_late_fail", type="failed",
                                                 payment_ref=payment.provider_ref,
                                                 state=PaymentState.failed), now=NOW, today=TODAY) == "already settled"
    db.session.refresh(payment)
    assert payment.state == PaymentState.paid
    assert pool(campaign) == 30_000


def test_a_failure_then_a_payment_is_still_taken(campaign):
    payment = pending(campaign, 30_000)
    assert handle_event("sandbox", ProviderEvent(id="e1", type="failed", payment_ref=payment.provider_ref,
                                                 state=PaymentState.failed), now=NOW, today=TODAY) == "failed"
    assert handle_event("sandbox", ProviderEvent(id="e2", type="paid", payment_ref=payment.provider_ref,
                                                 state=PaymentState.paid, amount_idr=30_000),
                        today=TODAY, now=NOW) == "confirmed"
    assert pool(campaign) == 30_000


def test_events_for_unknown_payments_book_nothing(campaign):
    payment = pending(campaign, 30_000)
    # Money reported for an object we never opened is flagged for a manager, never booked.
    assert handle_event("sandbox", ProviderEvent(id="e1", type="paid", payment_ref="sbx_nobody",
                                                 state=PaymentState.paid, amount_idr=30_000),
                        today=TODAY, now=NOW) == "flagged"
    assert handle_event("sandbox", ProviderEvent(id="e2", type="ping", payment_ref=None), now=NOW,
                        today=TODAY) == "ignored"
    assert handle_event("sandbox", ProviderEvent(id="e4", type="expired", payment_ref="sbx_nobody",
                                                 state=PaymentState.expired), now=NOW, today=TODAY) == "ignored"
    assert handle_event("stripe", ProviderEvent(id="e3", type="paid", payment_ref=payment.provider_ref,
                                                state=PaymentState.paid, amount_idr=30_000),
                        today=TODAY, now=NOW) == "flagged"
    assert journals("payment_received") == 0
    assert payment.state == PaymentState.created  # untouched
