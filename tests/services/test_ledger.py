"""The double-entry ledger: balanced entries, derived balances, append-only, invariant checks."""

import pytest
import sqlalchemy as sa

from donate import clock
from donate.extensions import db
from donate.models import (
    Account,
    AccountBalance,
    Allocation,
    AllocationKind,
    CoverageMonth,
    Designation,
    DonationKind,
    Journal,
    Payment,
    PaymentState,
    Posting,
)
from donate.months import current_month
from donate.services import ledger
from donate.services.coverage.allocation import allocate_pool
from donate.services.money.donations import create_donation
from donate.services.money.refunds import refund_payment
from tests.conftest import PREMIUM


def _raw_journal(campaign_id: int, *lines: tuple[Account, Designation, int], kind: str = "raw",
                 totals: bool = True) -> int:
    """Insert a journal and its postings with plain SQL, bypassing ``post_entry``'s balance check.

    The running totals follow the postings unless ``totals`` is false.
    """
    journal_id = db.session.execute(
        sa.insert(Journal.__table__).values(campaign_id=campaign_id, kind=kind, memo="",
                                            created_at=sa.func.current_timestamp())
        .returning(Journal.__table__.c.id)
    ).scalar_one()
    for account, designation, amount in lines:
        db.session.execute(sa.insert(Posting.__table__).values(
            journal_id=journal_id, campaign_id=campaign_id, account=account.value,
            designation=designation.value, amount_idr=amount))
    if totals:
        ledger._add_to_balances(campaign_id, list(lines))
    return journal_id


def _raw_payment(campaign, amount: int, *, state: PaymentState = PaymentState.paid, refunded: int = 0,
                 designation: Designation = Designation.infak) -> int:
    """Insert a payment row with plain SQL and no ledger entry."""
    donation = create_donation(campaign, kind=DonationKind.pool, designation=designation, amount_idr=amount)
    return db.session.execute(
        sa.insert(Payment.__table__).values(
            donation_id=donation.id, provider="sandbox", provider_ref=f"raw-{donation.id}",
            amount_idr=amount, refunded_idr=refunded, state=state.value,
            created_at=sa.func.current_timestamp())
        .returning(Payment.__table__.c.id)
    ).scalar_one()


# post_entry and balances


def test_post_entry_refuses_an_unbalanced_entry(app, make):
    campaign = make.campaign()
    with pytest.raises(ledger.UnbalancedEntry, match="jumlah posting 1"):
        ledger.post_entry(campaign.id, "broken", [(Account.received, Designation.infak, -100),
                                                  (Account.pool, Designation.infak, 101)])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Posting)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Journal)) == 0


def test_post_entry_refuses_a_one_sided_entry(app, make):
    campaign = make.campaign()
    with pytest.raises(ledger.UnbalancedEntry):
        ledger.post_entry(campaign.id, "broken", [(Account.pool, Designation.zakat, 5_000)])


def test_post_entry_drops_zero_lines_and_skips_an_all_zero_entry(app, make):
    campaign = make.campaign()
    assert ledger.post_entry(campaign.id, "nothing", [(Account.pool, Designation.csr, 0),
                                                      (Account.allocated, Designation.csr, 0)]) is None
    journal = ledger.post_entry(campaign.id, "gift", [(Account.received, Designation.csr, -7),
                                                      (Account.pool, Designation.csr, 7),
                                                      (Account.refunded, Designation.csr, 0)])
    assert sorted(p.amount_idr for p in journal.postings) == [-7, 7]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Journal)) == 1


def test_balances_are_sums_of_postings(app, make):
    campaign = make.campaign()
    other = make.campaign("other-campaign")
    ledger.post_entry(campaign.id, "gift", [(Account.received, Designation.zakat, -50_000),
                                            (Account.pool, Designation.zakat, 50_000)])
    ledger.post_entry(campaign.id, "gift", [(Account.received, Designation.infak, -30_000),
                                            (Account.pool, Designation.infak, 30_000)])
    ledger.post_entry(campaign.id, "allocation", [(Account.pool, Designation.zakat, -16_800),
                                                  (Account.allocated, Designation.zakat, 16_800)])
    ledger.post_entry(other.id, "gift", [(Account.received, Designation.zakat, -1),
                                         (Account.pool, Designation.zakat, 1)])

    assert ledger.balance(campaign.id, Account.pool, Designation.zakat) == 33_200
    assert ledger.balance(campaign.id, Account.pool, Designation.infak) == 30_000
    assert ledger.balance(campaign.id, Account.pool, Designation.csr) == 0
    assert ledger.balance(campaign.id, Account.pool) == 63_200
    assert ledger.balance(campaign.id, Account.received) == -80_000
    assert ledger.balance(campaign.id, Account.allocated, Designation.zakat) == 16_800
    assert ledger.balance(other.id, Account.pool) == 1

    books = ledger.balances(campaign.id)
    assert books[Account.pool] == {Designation.zakat: 33_200, Designation.infak: 30_000, Designation.csr: 0}
    assert books[Account.allocated][Designation.zakat] == 16_800
    assert books[Account.remitted] == {d: 0 for d in Designation}
    # Every entry balances, so the accounts of a campaign sum to zero.
    assert sum(sum(by_designation.values()) for by_designation in books.values()) == 0


def test_a_paid_gift_and_its_allocation_move_balances(app, make):
    campaign = make.campaign()
    make.workers(campaign, 1)
    make.paid_gift(campaign, 6 * PREMIUM + 1_000, designation=Designation.csr)
    assert ledger.balance(campaign.id, Account.pool, Designation.csr) == 6 * PREMIUM + 1_000
    allocate_pool(campaign, now=clock.now(), today=clock.today())
    assert ledger.balance(campaign.id, Account.pool, Designation.csr) == 1_000
    assert ledger.balance(campaign.id, Account.allocated, Designation.csr) == 6 * PREMIUM
    assert ledger.balance(campaign.id, Account.received, Designation.csr) == -(6 * PREMIUM + 1_000)


# Append-only


def test_the_orm_refuses_to_change_or_delete_postings_and_journals(app, make):
    campaign = make.campaign()
    journal = ledger.post_entry(campaign.id, "gift", [(Account.received, Designation.infak, -100),
                                                      (Account.pool, Designation.infak, 100)])

    with pytest.raises(ValueError, match="append-only"), db.session.begin_nested():
        journal.postings[0].amount_idr = -200
        db.session.flush()
    with pytest.raises(ValueError, match="append-only"), db.session.begin_nested():
        db.session.delete(journal.postings[1])
        db.session.flush()
    with pytest.raises(ValueError, match="append-only"), db.session.begin_nested():
        journal.memo = "rewritten"
        db.session.flush()
    with pytest.raises(ValueError, match="append-only"), db.session.begin_nested():
        db.session.delete(journal)
        db.session.flush()

    db.session.expire_all()
    assert db.session.execute(sa.select(Posting.amount_idr).order_by(Posting.id)).scalars().all() == [-100, 100]
    assert db.session.scalar(sa.select(Journal.memo)) == ""


@pytest.mark.parametrize("statement", [
    "UPDATE postings SET amount_idr = amount_idr * 2",
    "DELETE FROM postings",
    "UPDATE journals SET memo = 'rewritten'",
    "DELETE FROM journals",
])
def test_the_database_refuses_raw_changes_to_the_ledger(app, make, statement):
    campaign = make.campaign()
    make.paid_gift(campaign, 25_000)
    before = db.session.execute(sa.select(Posting.id, Posting.amount_idr).order_by(Posting.id)).all()
    assert before

    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with db.session.begin_nested():
            db.session.execute(sa.text(statement))

    assert db.session.execute(sa.select(Posting.id, Posting.amount_idr).order_by(Posting.id)).all() == before
    assert ledger.check_ledger() == []


# check_ledger


def test_sound_books_pass_the_check(app, make):
    campaign = make.campaign()
    make.workers(campaign, 2)
    make.paid_gift(campaign, 6 * PREMIUM, designation=Designation.zakat)
    gift = make.paid_gift(campaign, 6 * PREMIUM + 5_000, designation=Designation.csr)
    allocate_pool(campaign, now=clock.now(), today=clock.today())
    refund_payment(gift.payments[0], 5_000, today=clock.today())
    assert ledger.check_ledger() == []


def test_an_empty_ledger_is_sound(app):
    assert ledger.check_ledger() == []


def test_check_reports_an_unbalanced_journal(app, make):
    campaign = make.campaign()
    make.paid_gift(campaign, 10_000)
    journal_id = _raw_journal(campaign.id, (Account.pool, Designation.infak, 500),
                              (Account.received, Designation.infak, -400))
    problems = ledger.check_ledger()
    assert f"journal {journal_id} does not balance (sums to 100)" in problems


def test_check_reports_a_negative_pool(app, make):
    campaign = make.campaign()
    make.paid_gift(campaign, 10_000, designation=Designation.zakat)
    # Balanced, but it takes more out of the zakat pool than there is.
    _raw_journal(campaign.id, (Account.pool, Designation.zakat, -12_000),
                 (Account.refunded, Designation.zakat, 12_000))
    problems = ledger.check_ledger()
    assert f"campaign {campaign.id}: pool (zakat) is negative: -2000" in problems
    assert all("does not balance" not in p for p in problems)


def test_balances_are_the_running_totals_of_the_postings(app, make):
    campaign = make.campaign()
    make.paid_gift(campaign, 50_000, designation=Designation.csr)
    make.paid_gift(campaign, 20_000, designation=Designation.zakat)
    stored = dict(((a, d), b) for a, d, b in db.session.execute(
        sa.select(AccountBalance.account, AccountBalance.designation, AccountBalance.balance_idr)
        .where(AccountBalance.campaign_id == campaign.id)))
    summed = dict(((a, d), int(t)) for a, d, t in db.session.execute(
        sa.select(Posting.account, Posting.designation, sa.func.sum(Posting.amount_idr))
        .group_by(Posting.account, Posting.designation)))
    assert stored == summed
    assert ledger.balance(campaign.id, Account.pool) == 70_000
    assert ledger.balance(campaign.id, Account.pool, Designation.zakat) == 20_000


def test_check_reports_a_running_total_that_differs_from_its_postings(app, make):
    campaign = make.campaign()
    make.paid_gift(campaign, 50_000, designation=Designation.csr)
    _raw_journal(campaign.id, (Account.pool, Designation.csr, -PREMIUM),
                 (Account.refunded, Designation.csr, PREMIUM), totals=False)
    problems = ledger.check_ledger()
    assert f"campaign {campaign.id}: the running total of pool (csr) is 50000 but its postings sum to " \
           f"{50_000 - PREMIUM}" in problems
    assert f"campaign {campaign.id}: the running total of refunded (csr) is 0 but its postings sum to " \
           f"{PREMIUM}" in problems


def test_check_reports_allocated_without_coverage(app, make):
    campaign = make.campaign()
    make.paid_gift(campaign, 50_000, designation=Designation.csr)
    _raw_journal(campaign.id, (Account.pool, Designation.csr, -PREMIUM),
                 (Account.allocated, Designation.csr, PREMIUM))
    problems = ledger.check_ledger()
    assert problems == [
        f"campaign {campaign.id}: allocated (csr) is {PREMIUM} but its coverage months' premiums are 0"
    ]


def test_check_reports_coverage_without_allocation(app, make):
    campaign = make.campaign()
    worker = make.worker(campaign)
    run = Allocation(campaign_id=campaign.id, kind=AllocationKind.new, designation=Designation.infak)
    db.session.add(run)
    db.session.flush()
    db.session.add(CoverageMonth(worker_id=worker.id, month=current_month(clock.today()), campaign_id=campaign.id,
                                 premium_idr=PREMIUM, designation=Designation.infak, allocation_id=run.id))
    db.session.flush()
    problems = ledger.check_ledger()
    assert problems == [
        f"campaign {campaign.id}: allocated (infak) is 0 but its coverage months' premiums are {PREMIUM}"
    ]


def test_check_reports_remitted_that_does_not_match_remitted_months(app, make):
    campaign = make.campaign()
    make.workers(campaign, 1)
    make.paid_gift(campaign, 6 * PREMIUM)
    allocate_pool(campaign, now=clock.now(), today=clock.today())
    # Months marked as sent to BPJS without the money moving in the books.
    db.session.execute(sa.update(CoverageMonth).values(state="remitted"))
    problems = ledger.check_ledger()
    assert f"campaign {campaign.id}: allocated (infak) is {6 * PREMIUM} but its coverage months' premiums are 0" \
        in problems
    assert f"campaign {campaign.id}: remitted (infak) is 0 but its coverage months' premiums are {6 * PREMIUM}" \
        in problems


def test_check_reports_received_without_a_paid_payment(app, make):
    campaign = make.campaign()
    _raw_journal(campaign.id, (Account.received, Designation.infak, -30_000),
                 (Account.pool, Designation.infak, 30_000))
    problems = ledger.check_ledger()
    assert problems == [f"campaign {campaign.id}: received (infak) is 30000 but paid payments total 0"]


def test_check_reports_a_paid_payment_missing_from_the_books(app, make):
    campaign = make.campaign()
    make.paid_gift(campaign, 10_000, designation=Designation.zakat)
    _raw_payment(campaign, 7_000, designation=Designation.zakat)
    problems = ledger.check_ledger()
    assert problems == [f"campaign {campaign.id}: received (zakat) is 10000 but paid payments total 17000"]


def test_unpaid_payments_are_not_expected_in_the_books(app, make):
    campaign = make.campaign()
    for state in (PaymentState.created, PaymentState.pending, PaymentState.failed, PaymentState.expired):
        _raw_payment(campaign, 7_000, state=state)
    assert ledger.check_ledger() == []


def test_check_reports_a_refund_the_books_do_not_show(app, make):
    campaign = make.campaign()
    gift = make.paid_gift(campaign, 10_000)
    db.session.execute(sa.update(Payment).where(Payment.id == gift.payments[0].id).values(refunded_idr=4_000))
    problems = ledger.check_ledger()
    assert problems == [f"campaign {campaign.id}: refunded (infak) is 0 but payments record 4000 refunded"]


def test_check_reports_a_booked_refund_no_payment_records(app, make):
    campaign = make.campaign()
    make.paid_gift(campaign, 10_000)
    _raw_journal(campaign.id, (Account.pool, Designation.infak, -3_000),
                 (Account.refunded, Designation.infak, 3_000))
    problems = ledger.check_ledger()
    assert problems == [f"campaign {campaign.id}: refunded (infak) is 3000 but payments record 0 refunded"]


def test_check_reports_every_breach_at_once(app, make):
    campaign = make.campaign()
    make.paid_gift(campaign, 10_000)
    _raw_journal(campaign.id, (Account.pool, Designation.csr, 1))
    _raw_journal(campaign.id, (Account.pool, Designation.zakat, -5), (Account.allocated, Designation.zakat, 5))
    problems = ledger.check_ledger()
    assert any("does not balance" in p for p in problems)
    assert any("pool (zakat) is negative" in p for p in problems)
    assert any("allocated (zakat) is 5" in p for p in problems)
    assert len(problems) == 3


# The CLI


def test_cli_check_ledger_passes_sound_books(app, make, runner):
    campaign = make.campaign()
    make.workers(campaign, 1)
    make.paid_gift(campaign, 7 * PREMIUM)
    allocate_pool(campaign, now=clock.now(), today=clock.today())
    db.session.commit()
    result = runner.invoke(args=["check-ledger"])
    assert result.exit_code == 0, result.output
    assert "Ledger OK" in result.stdout
    assert result.stderr == ""


def test_cli_check_ledger_fails_with_the_reason(app, make, runner):
    campaign = make.campaign()
    make.paid_gift(campaign, 10_000)
    journal_id = _raw_journal(campaign.id, (Account.pool, Designation.infak, 99))
    db.session.commit()
    result = runner.invoke(args=["check-ledger"])
    assert result.exit_code == 1
    assert f"journal {journal_id} does not balance (sums to 99)" in result.stderr
    assert "Ledger OK" not in result.output
