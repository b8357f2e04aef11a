"""Remittance batches: booking, export, transfer, acknowledgement, cancellation."""

import datetime as dt

import pytest
import sqlalchemy as sa

from donate import clock
from donate.extensions import db
from donate.models import (
    Account,
    AuditEvent,
    BatchState,
    CoverageMonth,
    CoverageState,
    Designation,
    Role,
    Verification,
)
from donate.months import current_month
from donate.services import ledger
from donate.services.coverage.allocation import allocate_pool
from donate.services.remittance.batches import (
    BatchEmpty,
    BatchStateInvalid,
    acknowledge_batch,
    cancel_batch,
    create_batch,
    export_batch,
    record_transfer,
)
from donate.services.workers.registry import update_worker, worker_nik
from tests.manage_helpers import user

TERM_COST = 6 * 16_800


@pytest.fixture
def funded(app, make):
    """A campaign with three workers funded for six months each."""
    campaign = make.campaign()
    workers = make.workers(campaign, 3)
    make.paid_gift(campaign, 3 * TERM_COST, designation=Designation.infak)
    allocate_pool(campaign, now=clock.now(), today=clock.today())
    return campaign, workers


def period():
    return current_month(clock.today()) - 3, current_month(clock.today()) + 11


def ack(rows):
    return "nik;kpj;status;reason\n" + "\n".join(";".join(r) for r in rows) + "\n"


def test_batch_books_funded_months_as_remitted_once(funded):
    campaign, workers = funded
    batch = create_batch(campaign, *period(), user=None)
    assert (batch.workers, batch.months, batch.amount_idr) == (3, 18, 3 * TERM_COST)
    assert ledger.balance(campaign.id, Account.allocated) == 0
    assert ledger.balance(campaign.id, Account.remitted) == 3 * TERM_COST
    assert ledger.check_ledger() == []
    with pytest.raises(BatchEmpty):
        create_batch(campaign, *period(), user=None)


def test_batch_takes_only_its_period(funded):
    campaign, _ = funded
    batch = create_batch(campaign, current_month(clock.today()), current_month(clock.today()) + 1, user=None)
    assert batch.months == 6
    rest = create_batch(campaign, *period(), user=None)
    assert rest.months == 12
    assert ledger.check_ledger() == []


def test_export_holds_full_niks_and_is_audited(funded):
    campaign, workers = funded
    manager = user("m@example.org", Role.manager)
    batch = create_batch(campaign, *period(), user=manager)
    text = export_batch(batch, user=manager)
    header, *rows = text.strip().splitlines()
    assert header.startswith("nik,full_name,birth_date,sex,occupation,regency_code")
    assert sorted(r.split(",")[0] for r in rows) == sorted(worker_nik(w) for w in workers)
    assert rows[0].endswith(f",6,{TERM_COST},jkk+jkm")
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "remittance.export"))
    assert event.user_id == manager.id and event.params == {"batch": batch.id, "workers": len(workers)}
    assert all(worker_nik(w) not in repr(event.params) + event.subject for w in workers)


def test_acknowledgement_needs_the_transfer_first(funded):
    campaign, workers = funded
    batch = create_batch(campaign, *period(), user=None)
    with pytest.raises(BatchStateInvalid):
        acknowledge_batch(batch, ack([(worker_nik(workers[0]), "12345678901", "accepted", "")]), user=None)


def test_acknowledgement_accepts_rejects_and_counts_once(funded):
    campaign, workers = funded
    batch = create_batch(campaign, *period(), user=None)
    record_transfer(batch, "TRF-1", transferred_on=dt.date.today(), user=None)
    assert batch.state == BatchState.sent
    first = acknowledge_batch(batch, ack([(worker_nik(workers[0]), "12345678901", "diterima", "")]), user=None)
    assert (first.months_accepted, first.months_rejected, first.errors) == (6, 0, [])
    rows = [(worker_nik(workers[0]), "12345678901", "diterima", ""),
            (worker_nik(workers[1]), "", "ditolak", "data tidak cocok"),
            (worker_nik(workers[2]), "1234.5678.902", "accepted", "")]
    second = acknowledge_batch(batch, ack(rows), user=None)
    assert (second.months_accepted, second.months_rejected, second.already) == (6, 6, 1)
    assert second.returned_idr == TERM_COST
    again = acknowledge_batch(batch, ack(rows), user=None)
    assert (again.months_accepted, again.months_rejected, again.already, again.errors) == (0, 0, 3, [])
    db.session.refresh(workers[1])
    assert workers[1].flag_reason == "data tidak cocok"
    assert workers[2].kpj == "12345678902"
    assert batch.state == BatchState.reconciled
    assert ledger.balance(campaign.id, Account.pool) == TERM_COST
    assert ledger.balance(campaign.id, Account.remitted) == 2 * TERM_COST
    assert ledger.check_ledger() == []


def test_bad_answers_are_reported_and_nothing_applied(funded, make):
    campaign, workers = funded
    outsider = make.worker(campaign)
    batch = create_batch(campaign, *period(), user=None)
    record_transfer(batch, "TRF-1", transferred_on=dt.date.today(), user=None)
    rows = [(worker_nik(workers[0]), "12345678901", "accepted", ""),
            (worker_nik(outsider), "12345678909", "accepted", ""),
            (worker_nik(workers[1]), "123", "accepted", ""),
            (worker_nik(workers[2]), "", "maybe", ""),
            (worker_nik(workers[0]), "12345678901", "accepted", "")]
    report = acknowledge_batch(batch, ack(rows), user=None)
    assert not report.applied
    assert report.errors == [(3, "nik: not in this batch"),
                             (4, "kpj: an accepted worker needs the 11-digit KPJ"),
                             (5, "status: use accepted/diterima or rejected/ditolak"),
                             (6, "nik: duplicate of line 2")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CoverageMonth)
                             .where(CoverageMonth.state == CoverageState.accepted)) == 0
    skipped = acknowledge_batch(batch, ack(rows), user=None, skip_invalid=True)
    assert skipped.applied and skipped.months_accepted == 6


def test_contradicting_an_earlier_answer_is_an_error(funded):
    campaign, workers = funded
    batch = create_batch(campaign, *period(), user=None)
    record_transfer(batch, "TRF-1", transferred_on=dt.date.today(), user=None)
    acknowledge_batch(batch, ack([(worker_nik(workers[0]), "", "rejected", "x")]), user=None)
    report = acknowledge_batch(batch, ack([(worker_nik(workers[0]), "12345678901", "accepted", "")]), user=None)
    assert report.errors == [(2, "status: already recorded as rejected")]


def test_a_kpj_belongs_to_one_worker(funded):
    campaign, workers = funded
    workers[2].kpj = "12345678901"
    batch = create_batch(campaign, *period(), user=None)
    record_transfer(batch, "TRF-1", transferred_on=dt.date.today(), user=None)
    report = acknowledge_batch(batch, ack([(worker_nik(workers[0]), "12345678901", "accepted", "")]), user=None)
    assert report.errors == [(2, "kpj: already belongs to another worker")]


def test_cancel_returns_months_to_funded_until_the_transfer(funded):
    campaign, _ = funded
    batch = create_batch(campaign, *period(), user=None)
    cancel_batch(batch, user=None)
    assert batch.state == BatchState.cancelled
    assert ledger.balance(campaign.id, Account.remitted) == 0
    assert ledger.check_ledger() == []
    again = create_batch(campaign, *period(), user=None)
    record_transfer(again, "TRF-2", transferred_on=dt.date.today(), user=None)
    with pytest.raises(BatchStateInvalid):
        cancel_batch(again, user=None)
    with pytest.raises(BatchStateInvalid):
        export_batch(batch, user=None)


def test_a_cleared_rejection_lets_the_worker_be_funded_again(funded, make):
    campaign, workers = funded
    batch = create_batch(campaign, *period(), user=None)
    record_transfer(batch, "TRF-1", transferred_on=dt.date.today(), user=None)
    acknowledge_batch(batch, ack([(worker_nik(workers[0]), "", "rejected", "nama beda")]), user=None)
    verifier = user("v@example.org", Role.verifier)
    db.session.refresh(workers[0])
    update_worker(workers[0], user=verifier, verification=Verification.verified, is_mustahik=True,
                        consent=True, priority=0, clear_flag=True, now=clock.now())
    assert workers[0].flag_reason is None
    runs = allocate_pool(campaign, now=clock.now(), today=clock.today())
    assert [(r.kind.value, r.workers) for r in runs] == [("new", 1)]
    assert ledger.check_ledger() == []


def _answer_queries(app, make, count_queries, workers: int) -> int:
    """Return the statements ``acknowledge_batch`` runs to accept ``workers`` workers."""
    campaign = make.campaign(slug=f"ack-{workers}")
    funded_workers = make.workers(campaign, workers)
    make.paid_gift(campaign, workers * TERM_COST, designation=Designation.infak)
    allocate_pool(campaign, now=clock.now(), today=clock.today())
    batch = create_batch(campaign, *period(), user=None)
    record_transfer(batch, "TRF-1", transferred_on=dt.date.today(), user=None)
    rows = [(worker_nik(w), f"{workers:02d}{i:09d}", "diterima", "") for i, w in enumerate(funded_workers)]
    with count_queries() as counted:
        report = acknowledge_batch(batch, ack(rows), user=None)
    assert report.months_accepted == 6 * workers and not report.errors, (report.months_accepted, report.errors[:3])
    return counted.count


def test_an_acknowledgement_costs_the_same_queries_for_more_rows(app, make, count_queries):
    assert _answer_queries(app, make, count_queries, 3) == _answer_queries(app, make, count_queries, 30)
    assert ledger.check_ledger() == []


def test_a_kpj_given_twice_in_one_file_and_a_blank_nik_are_errors_with_their_lines(funded):
    campaign, workers = funded
    batch = create_batch(campaign, *period(), user=None)
    record_transfer(batch, "TRF-1", transferred_on=dt.date.today(), user=None)
    rows = [(worker_nik(workers[0]), "12345678901", "accepted", ""),
            ("", "12345678902", "accepted", ""),
            (worker_nik(workers[1]), "1234-5678-901", "accepted", ""),
            (worker_nik(workers[2]), "", "rejected", "  nama   beda ")]
    report = acknowledge_batch(batch, ack(rows), user=None, skip_invalid=True)
    assert report.errors == [(3, "nik: not in this batch"), (4, "kpj: also given on line 2")]
    assert (report.months_accepted, report.months_rejected, report.returned_idr) == (6, 6, TERM_COST)
    db.session.refresh(workers[2])
    assert workers[2].flag_reason == "nama beda" and workers[1].kpj is None
    assert batch.state == BatchState.sent
    assert ledger.check_ledger() == []
