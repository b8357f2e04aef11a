"""Benchmark: the write paths at 1k workers and at GN Lingkaran's size, in the same run.

Not part of the test suite (``norecursedirs`` in pyproject). Run it as::

    python tests/benchmarks/bench_writes.py [--workers N] [--small N] [--only sqlite|postgresql]
                                            [--keep DIR] [--statements]

For each database (SQLite always, PostgreSQL when ``DONATE_TEST_DATABASE_URL``
is set, in its ``<name>_bench`` database, see ``bench_import_allocate``) and
for each size (``--small``, default 1,000 workers, then ``--workers``, default
100,000) it builds the dataset ``bench_pages`` builds (workers imported with
``import_workers``, 10.337 paid pool gifts per worker written in bulk as
``confirm_payment`` books them, the figures rebuilt, the pool allocated, one
remittance batch sent) and prints:

* the median time and queries of confirming a named sponsorship, a pool gift
  and a gift for N workers x M months (``settle_payment`` of a paid verdict,
  as a webhook does: booked, fulfilled, receipted; then commit), and the
  ratio of the large size to the small one;
* ``acknowledge_batch`` of a BPJS answer file of up to 60,000 rows (1 in 50
  rejected), in seconds and queries, per row against the small size; it runs
  inside a transaction that is rolled back, so a kept dataset can be reused.

``--keep DIR`` keeps the datasets (SQLite files in DIR, PostgreSQL databases
``<bench>_writes_<workers>``) and reuses them on the next run (a quicker loop
while profiling); ``--statements`` prints the slowest
statements of one confirmation of each kind and of the acknowledgement.
``check_ledger`` must be clean after every build and after the confirmations.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for path in (ROOT, HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import sqlalchemy as sa  # noqa: E402
from bench_import_allocate import PG_URL, Database, bench_pg_url, worker_csv  # noqa: E402
from bench_pages import SLUG, QueryCounter, Timed, analyze, bulk_gifts, rebuild_figures_if_kept  # noqa: E402

from donate import create_app  # noqa: E402
from donate.extensions import db  # noqa: E402
from donate.models import (  # noqa: E402
    Campaign,
    CampaignRegion,
    CoverageMonth,
    Designation,
    DonationKind,
    RemittanceBatch,
    Verification,
    Worker,
)
from donate.services import ledger  # noqa: E402
from donate.services.coverage.allocation import allocate_pool  # noqa: E402
from donate.models import PaymentState  # noqa: E402
from donate.payments.base import Verdict  # noqa: E402
from donate.services.money.donations import create_donation, start_payment  # noqa: E402
from donate.services.money.settlement import settle_payment  # noqa: E402
from donate.services.remittance.batches import (  # noqa: E402
    acknowledge_batch,
    create_batch,
    current_period,
    export_rows,
    record_transfer,
)
from donate.services.workers.imports import import_workers  # noqa: E402

GIFTS_PER_WORKER = 10.337
ACK_ROWS = 60_000
CONFIRMATIONS = 15
TODAY = dt.date.today()


def now() -> dt.datetime:
    """Return the time the services are told it is (naive UTC, as stored)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def build(workers: int) -> None:
    """Build the dataset in the current app: workers, a million-scale pool, the allocation, one sent batch."""
    campaign = Campaign(slug=SLUG, name="GN Lingkaran (benchmark)", target_workers=100_000, term_months=6)
    campaign.regions = [CampaignRegion(code="1402"), CampaignRegion(code="6171")]
    db.session.add(campaign)
    db.session.commit()
    report = import_workers(campaign, worker_csv(workers), today=TODAY, now=now())
    db.session.commit()
    assert report.ok and report.imported == workers, report.rejected[:3]
    bulk_gifts(campaign, round(workers * GIFTS_PER_WORKER))
    rebuild_figures_if_kept()
    analyze()
    allocate_pool(campaign, today=TODAY, now=now())
    db.session.commit()
    batch = create_batch(campaign, *current_period(TODAY), user=None)
    record_transfer(batch, "BENCH-TRF-1", transferred_on=TODAY, user=None)
    db.session.commit()
    analyze()
    problems = ledger.check_ledger()
    assert problems == [], problems[:5]


def _waiting_workers(campaign: Campaign, count: int, offset: int) -> list[Worker]:
    """Return verified, consenting workers with no coverage at all, from the back of the queue."""
    return db.session.scalars(
        sa.select(Worker).where(Worker.campaign_id == campaign.id, Worker.verification == Verification.verified,
                                Worker.consent_at.is_not(None), Worker.flag_reason.is_(None),
                                ~sa.exists().where(CoverageMonth.worker_id == Worker.id))
        .order_by(Worker.id.desc()).offset(offset).limit(count)).all()


def _timed_confirmation(donation, ref: str, show: bool) -> tuple[float, int]:
    """Settle one gift as the provider's webhook does (booked, fulfilled, receipted) and commit; return
    (seconds, queries)."""
    payment = start_payment(donation, "sandbox", ref)
    db.session.commit()
    verdict = Verdict(PaymentState.paid, amount_idr=payment.amount_idr, currency="idr", payment_ref=ref)
    counter = QueryCounter()
    with counter, Timed() as t:
        assert settle_payment(payment, verdict, today=TODAY, now=now()) == "confirmed"
        db.session.commit()
    if show:
        _slowest(counter.statements)
    return t.seconds, counter.count


def time_confirmations(campaign: Campaign, run: int, show: bool) -> dict[str, tuple[float, int]]:
    """Return kind -> (median seconds, queries) of confirming each kind of gift."""
    times: dict[str, list[tuple[float, int]]] = {"named sponsorship": [], "pool gift": [], "N x M gift": []}
    for i, worker in enumerate(_waiting_workers(campaign, CONFIRMATIONS, offset=10)):
        first = show and i == 0
        donation = create_donation(campaign, kind=DonationKind.worker, designation=Designation.csr,
                                   amount_idr=16_800, worker=worker, months=1, donor_email=f"s{run}-{i}@bench.invalid")
        times["named sponsorship"].append(_timed_confirmation(donation, f"bench-named-{run}-{i}", first))
        donation = create_donation(campaign, kind=DonationKind.pool, designation=Designation.infak,
                                   amount_idr=50_000, donor_email=f"p{run}-{i}@bench.invalid")
        times["pool gift"].append(_timed_confirmation(donation, f"bench-pool-{run}-{i}", first))
        donation = create_donation(campaign, kind=DonationKind.bulk, designation=Designation.csr,
                                   amount_idr=2 * 3 * 16_800, workers_count=2, months=3,
                                   donor_email=f"b{run}-{i}@bench.invalid")
        times["N x M gift"].append(_timed_confirmation(donation, f"bench-bulk-{run}-{i}", first))
    return {kind: (statistics.median(s for s, _ in rows), max(q for _, q in rows)) for kind, rows in times.items()}


def ack_file(batch: RemittanceBatch, rows: int) -> tuple[str, int]:
    """Return BPJS's answer for the first ``rows`` workers of the batch (1 in 50 rejected) and its rows."""
    answered = []
    for row in export_rows(batch):
        answered.append(row[0])
        if len(answered) == rows:
            break
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("nik", "kpj", "status", "reason"))
    for i, nik in enumerate(answered):
        if i % 50 == 49:
            writer.writerow((nik, "", "ditolak", "NIK tidak ditemukan di Dukcapil"))
        else:
            writer.writerow((nik, f"9{i:010d}", "diterima", ""))
    return out.getvalue(), len(answered)


def time_acknowledgement(campaign: Campaign, show: bool) -> tuple[int, float, int]:
    """Return (rows, seconds, queries) of acknowledging the batch's answer file, then roll it back."""
    batch = db.session.scalar(sa.select(RemittanceBatch).where(RemittanceBatch.campaign_id == campaign.id))
    text, rows = ack_file(batch, ACK_ROWS)
    db.session.commit()
    counter = QueryCounter()
    with counter, Timed() as t:
        report = acknowledge_batch(batch, text, user=None)
        db.session.flush()
    assert report.applied and not report.errors, report.errors[:3]
    assert report.months_accepted and report.months_rejected, report
    problems = ledger.check_ledger()
    assert problems == [], problems[:5]
    db.session.rollback()
    if show:
        _slowest(counter.statements)
    return rows, t.seconds, counter.count


def _slowest(statements, count: int = 6) -> None:
    for seconds, statement, _ in sorted(statements, key=lambda s: -s[0])[:count]:
        print(f"      {seconds * 1000:8.1f} ms  {' '.join(statement.split())[:220]}")


def _kept_pg_url(workers: int) -> tuple[str, bool]:
    """Return the URL of the kept PostgreSQL dataset of ``workers`` and whether it holds a built campaign."""
    base = sa.engine.make_url(bench_pg_url(PG_URL))
    name = f"{base.database}_writes_{workers}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    url = base.set(database=name).render_as_string(hide_password=False)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            built = bool(conn.scalar(sa.text(
                "SELECT 1 FROM information_schema.tables WHERE table_name = 'remittance_batches'"))) and bool(
                conn.scalar(sa.text("SELECT count(*) FROM remittance_batches")))
    finally:
        engine.dispose()
    return url, built


def app_for(kind: str, tmp: Path, workers: int, keep: Path | None, dbs: Database):
    """Return an app on a built dataset of ``workers`` (kept datasets are reused)."""
    from flask_migrate import upgrade

    instance = tmp / f"kept-{kind}-{workers}"
    instance.mkdir(exist_ok=True)
    if keep is not None:
        if kind == "sqlite":
            kept = keep / f"writes-{workers}.sqlite3"
            url, built = f"sqlite:///{kept}", kept.exists()
        else:
            url, built = _kept_pg_url(workers)
        app = _app(url, instance)
        with app.app_context():
            if built:
                upgrade(directory=app.extensions["migrate"].directory)
                analyze()
                return app, "reused"
            if kind == "postgresql":
                with db.engine.begin() as conn:
                    conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                    conn.execute(sa.text("CREATE SCHEMA public"))
            upgrade(directory=app.extensions["migrate"].directory)
            db.engine.dispose()
    else:
        app = dbs.fresh_app()
    with Timed() as t, app.app_context():
        build(workers)
        db.session.remove()
        db.engine.dispose()
    return app, f"built in {t.seconds:.0f} s"


def _app(url: str, instance: Path):
    from bench_import_allocate import _config

    return create_app(_config(url, instance))


def run(kind: str, tmp: Path, sizes: list[int], keep: Path | None, show: bool) -> None:
    """Measure both sizes on one kind of database and print the figures with their ratios."""
    dbs = Database(kind, tmp)
    figures: dict[int, dict] = {}
    for workers in sizes:
        app, how = app_for(kind, tmp, workers, keep, dbs)
        with app.app_context():
            campaign = db.session.scalar(sa.select(Campaign).where(Campaign.slug == SLUG))
            run_number = int(time.time())  # unique references and donors when a kept dataset is reused
            if show:
                print(f"  {kind} {workers:,} workers: slowest statements of one confirmation of each kind")
            confirmations = time_confirmations(campaign, run_number, show)
            problems = ledger.check_ledger()
            assert problems == [], problems[:5]
            if show:
                print(f"  {kind} {workers:,} workers: slowest statements of the acknowledgement")
            ack = time_acknowledgement(campaign, show)
            figures[workers] = {"confirmations": confirmations, "ack": ack, "how": how}
            db.session.remove()
            db.engine.dispose()
    small, large = sizes[0], sizes[-1]
    print(f"\n{kind}: {small:,} workers ({figures[small]['how']}) vs {large:,} workers ({figures[large]['how']}); "
          f"{GIFTS_PER_WORKER} paid gifts per worker; check_ledger() == [] after each")
    print(f"  {'operation':<36} {'small ms':>9} {'q':>4} {'large ms':>9} {'q':>4} {'ratio':>6}")
    for label in figures[small]["confirmations"]:
        (s_sec, s_q), (l_sec, l_q) = figures[small]["confirmations"][label], figures[large]["confirmations"][label]
        print(f"  {'confirm a ' + label:<36} {s_sec * 1000:9.1f} {s_q:>4} {l_sec * 1000:9.1f} {l_q:>4} "
              f"{l_sec / s_sec:5.2f}x")
    (s_rows, s_sec, s_q), (l_rows, l_sec, l_q) = figures[small]["ack"], figures[large]["ack"]
    print(f"  acknowledge_batch: {s_rows:,} rows {s_sec:.2f} s ({s_q} queries); {l_rows:,} rows {l_sec:.2f} s "
          f"({l_q} queries); per row {(l_sec / l_rows) / (s_sec / s_rows):.2f}x", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--keep", type=Path, help="keep (and reuse) the SQLite datasets in this directory")
    parser.add_argument("--statements", action="store_true", help="print the slowest statements")
    args = parser.parse_args(argv)
    kinds = ["sqlite"] + (["postgresql"] if PG_URL.startswith("postgresql") else [])
    if args.only:
        kinds = [args.only] if args.only in kinds else []
    with tempfile.TemporaryDirectory(prefix="lindungi-writes-") as tmp:
        for kind in kinds:
            run(kind, Path(tmp), [args.small, args.workers], args.keep, args.statements)
    print(f"(load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
