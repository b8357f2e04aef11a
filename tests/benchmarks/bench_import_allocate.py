"""Benchmark: import a 100,000-row worker CSV, then allocate a pool that funds them all.

Not part of the test suite (``norecursedirs`` in pyproject). Run it as::

    python tests/benchmarks/bench_import_allocate.py [--workers N] [--profile import|allocate]

Each operation is timed on a fresh, migrated database and compared with a
baseline on an equally fresh database of the same kind:

* import: ``import_workers(campaign, csv, today=clock.today())`` + commit, against a plain
  executemany INSERT of the very same final rows (precomputed as
  ``worker_row`` makes them) into an empty ``workers`` table;
* allocation: ``allocate_pool(campaign)`` + commit with money for every worker
  for six months, against a plain ``INSERT INTO coverage_months ... SELECT``
  of the same worker x month rows at a constant premium.

SQLite (a file under a temporary directory, WAL as the app sets it) always
runs; PostgreSQL runs too when ``DONATE_TEST_DATABASE_URL`` is set (its public
schema is dropped and recreated, as ``tests/conftest.py`` does) in a
database of its own named after that URL's, ``<name>_bench``, created when
missing, so that a test run on the same server is not disturbed. Every NIK is
synthetic (sub-district 99, see ``donate.demo``): nobody real.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import datetime as dt
import io
import os
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from donate import clock
from donate import (
    clock,
    create_app,  # noqa: E402
)
from donate.demo import FIRST_NAMES, LAST_NAMES, OCCUPATIONS, synthetic_nik  # noqa: E402
from donate.extensions import db  # noqa: E402
from donate.models import (
    Account,
    Allocation,
    AllocationKind,
    Campaign,
    CoverageMonth,
    CoverageState,
    Designation,
    Sex,
    Worker,
)
from donate.models.base import utcnow  # noqa: E402
from donate.months import current_month  # noqa: E402
from donate.regions import regency  # noqa: E402
from donate.services import ledger  # noqa: E402
from donate.services.campaigns.progress import campaign_progress  # noqa: E402
from donate.services.coverage.allocation import allocate_pool  # noqa: E402
from donate.services.money.donations import record_funding  # noqa: E402
from donate.services.workers.imports import COLUMNS, import_workers, read_rows  # noqa: E402
from donate.services.workers.registry import check_worker, worker_row  # noqa: E402

TERM_MONTHS = 6
PREMIUM_IDR = 16_800
#: Targets on the reference 2-core machine (SQLite): (max seconds, max ratio to baseline).
TARGETS = {"import": (15.0, 4.0), "allocate": (5.0, 3.0)}
PG_URL = os.environ.get("DONATE_TEST_DATABASE_URL", "")
#: Run ANALYZE before timing the allocations (``--analyze``); off: the planner sees what a live import leaves.
ANALYZE = False
#: How ``--profile`` sorts its output (a ``pstats`` key, e.g. ``tottime``).
PROFILE_SORT = os.environ.get("BENCH_PROFILE_SORT", "cumulative")


# --------------------------------------------------------------------------- data


def regency_codes() -> list[str]:
    """Return every 4-digit regency code stdnum knows (about 500)."""
    return [code for code in (f"{i:04d}" for i in range(1100, 10000)) if regency(code) is not None]


def worker_csv(count: int, *, seed: int = 100_000) -> bytes:
    """Return a UTF-8 worker CSV of ``count`` valid rows with unique synthetic NIKs.

    Row ``i`` lives in regency ``codes[i % len(codes)]`` with sequence number
    ``i // len(codes) + 1``, so NIKs are unique whatever the birth dates and
    the 4-digit sequence lasts for ~5 million rows.
    """
    codes = regency_codes()
    if count // len(codes) + 1 > 9999:
        raise SystemExit(f"at most {9999 * len(codes)} workers")
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    first_day = dt.date(1960, 1, 1)
    for i in range(count):
        code = codes[i % len(codes)]
        sex = rng.choice((Sex.male, Sex.female))
        birth = first_day + dt.timedelta(days=rng.randrange(0, 365 * 40))
        nik = synthetic_nik(code, birth, sex, i // len(codes) + 1)
        phone = f"08{rng.randrange(10**9, 10**10)}" if rng.random() < 0.5 else ""
        writer.writerow((
            nik, f"{rng.choice(FIRST_NAMES[sex])} {rng.choice(LAST_NAMES)}", birth.isoformat(), sex.value,
            phone, rng.choice(OCCUPATIONS), code, "1000000", rng.choice(("ya", "tidak")), "ya",
        ))
    return out.getvalue().encode("utf-8")


# --------------------------------------------------------------------------- databases


def _config(url: str, instance: Path) -> dict:
    return {
        "TESTING": True,
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "bench-secret-key",
        "ENCRYPTION_KEY": "bench-encryption-key",
        "PAYMENT_PROVIDER": "sandbox",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": "lindungi.test",
    }


def bench_pg_url(url: str, suffix: str = "_bench") -> str:
    """Return the URL of a ``<database>_bench`` (``suffix``) database next to ``url``, creating it if missing.

    The test suite resets the public schema of ``DONATE_TEST_DATABASE_URL`` at
    will; a database of its own keeps a concurrent test run and the benchmark
    from dropping each other's tables.
    """
    base = sa.engine.make_url(url)
    name = f"{base.database}{suffix}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


class Database:
    """Fresh migrated databases of one kind: a new SQLite file each time, or PostgreSQL reset."""

    def __init__(self, kind: str, tmp: Path, pg_suffix: str = "_bench"):
        self.kind = kind
        self.tmp = tmp
        self.count = 0
        self.pg_url = bench_pg_url(PG_URL, pg_suffix) if kind == "postgresql" else ""

    def fresh_app(self, name: str | None = None):
        """Return an app bound to a newly migrated, empty database (its instance folder ``name`` if given)."""
        self.count += 1
        instance = self.tmp / (name or f"{self.kind}-{self.count}")
        instance.mkdir()
        url = self.pg_url if self.kind == "postgresql" else f"sqlite:///{instance / 'bench.sqlite3'}"
        app = create_app(_config(url, instance))
        with app.app_context():
            if self.kind == "postgresql":
                with db.engine.begin() as conn:
                    conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                    conn.execute(sa.text("CREATE SCHEMA public"))
            from flask_migrate import upgrade

            upgrade(directory=app.extensions["migrate"].directory)
            db.engine.dispose()
        return app


def new_campaign() -> Campaign:
    campaign = Campaign(slug="bench", name="Benchmark", target_workers=100_000, term_months=TERM_MONTHS)
    db.session.add(campaign)
    db.session.commit()
    return campaign


def journal_mode() -> str:
    if db.engine.dialect.name != "sqlite":
        return db.engine.dialect.name
    return "sqlite " + db.session.execute(sa.text("PRAGMA journal_mode")).scalar()


def analyze() -> None:
    """Refresh planner statistics, as autovacuum / a maintenance job would on a live database."""
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


# --------------------------------------------------------------------------- timing


class Timer:
    def __init__(self, profile: bool = False):
        self.profile = cProfile.Profile() if profile else None

    def __enter__(self):
        if self.profile:
            self.profile.enable()
        self.start = time.perf_counter()
        self.cpu_start = time.process_time()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
        #: This process's CPU time: on a busy machine a steadier figure for SQLite (which runs in-process).
        self.cpu = time.process_time() - self.cpu_start
        if self.profile:
            self.profile.disable()
            pstats.Stats(self.profile).sort_stats(PROFILE_SORT).print_stats(35)


def run(kind: str, tmp: Path, data: bytes, workers: int, profile: str | None) -> list[tuple]:
    """Time both operations and their baselines on one kind of database; return table rows."""
    dbs = Database(kind, tmp)
    funding = workers * TERM_MONTHS * PREMIUM_IDR

    # --- the real thing: import, then allocate.
    app = dbs.fresh_app()
    with app.app_context():
        campaign = new_campaign()
        mode = journal_mode()
        with Timer(profile == "import") as t_import:
            report = import_workers(campaign, data, today=clock.today(), now=clock.now())
            db.session.commit()
        assert report.ok and report.imported == workers, (report.imported, report.rejected[:3])
        record_funding(campaign, funding, funder="Benchmark CSR", designation=Designation.csr,
                       reference="bench-1", now=clock.now(), today=clock.today())
        db.session.commit()
        if ANALYZE:
            analyze()
        with Timer(profile == "allocate") as t_alloc:
            runs = allocate_pool(campaign, now=clock.now(), today=clock.today())
            db.session.commit()
        progress = campaign_progress(campaign, today=clock.today())
        problems = ledger.check_ledger()
        pool = ledger.balance(campaign.id, Account.pool)
        real_months = db.session.execute(
            sa.select(sa.func.count(), sa.func.sum(CoverageMonth.premium_idr))).one()
        assert progress["workers_funded"] == workers, progress["workers_funded"]
        assert problems == [], problems
        assert pool == 0, pool
        assert sum(r.workers for r in runs) == workers
        db.session.remove()
        db.engine.dispose()

    # --- the baselines, on a second fresh database of the same kind.
    app = dbs.fresh_app()
    with app.app_context():
        campaign = new_campaign()
        now = utcnow()
        rows = [worker_row(campaign, check_worker(raw,
        today=clock.today()), verified=True, now=now) for _, raw in read_rows(data)]
        with Timer() as t_import_base:
            db.session.execute(Worker.__table__.insert(), rows)
            db.session.commit()
        del rows
        record_funding(campaign, funding, funder="Benchmark CSR", designation=Designation.csr,
                       reference="bench-1", now=clock.now(), today=clock.today())
        run_row = Allocation(campaign_id=campaign.id, kind=AllocationKind.new, designation=Designation.csr)
        db.session.add(run_row)
        db.session.commit()
        if ANALYZE:
            analyze()
        month = current_month(clock.today())
        months = sa.union_all(*(sa.select(sa.literal_column(str(month + k)).label("month"))
                                for k in range(TERM_MONTHS))).cte("months")
        W, C = Worker.__table__, CoverageMonth.__table__
        select = sa.select(
            W.c.id, months.c.month, sa.literal(campaign.id, sa.Integer), sa.literal(PREMIUM_IDR, sa.BigInteger),
            sa.literal(Designation.csr, C.c.designation.type), sa.literal(run_row.id, sa.Integer),
            sa.literal(CoverageState.funded, C.c.state.type), sa.literal(now, sa.DateTime),
        ).select_from(W).join(months, sa.true()).where(W.c.campaign_id == campaign.id)
        with Timer() as t_alloc_base:
            db.session.execute(sa.insert(C).from_select(
                ["worker_id", "month", "campaign_id", "premium_idr", "designation", "allocation_id", "state",
                 "created_at"], select))
            db.session.commit()
        base_months = db.session.execute(
            sa.select(sa.func.count(), sa.func.sum(CoverageMonth.premium_idr))).one()
        assert tuple(base_months) == tuple(real_months), (base_months, real_months)
        db.session.remove()
        db.engine.dispose()

    print(f"{kind}: {mode}; {workers} workers imported; allocation funded {progress['workers_funded']} "
          f"workers, {real_months[0]} months, Rp {real_months[1]:,}; check_ledger() == []; pool 0")
    return [
        (kind, "import_workers + commit", t_import, t_import_base, "import"),
        (kind, "allocate_pool + commit", t_alloc, t_alloc_base, "allocate"),
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=100_000)
    parser.add_argument("--profile", choices=("import", "allocate"), help="print a cProfile of one operation")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="run one kind of database only")
    parser.add_argument("--analyze", action="store_true", help="ANALYZE both databases before allocating")
    args = parser.parse_args(argv)
    global ANALYZE
    ANALYZE = args.analyze

    started = time.perf_counter()
    data = worker_csv(args.workers)
    print(f"generated {args.workers} rows ({len(data) / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s")
    kinds = ["sqlite"] + (["postgresql"] if PG_URL.startswith("postgresql") else [])
    if args.only:
        kinds = [args.only] if args.only in kinds else []
    results = []
    with tempfile.TemporaryDirectory(prefix="lindungi-bench-") as tmp:
        for kind in kinds:
            results += run(kind, Path(tmp), data, args.workers, args.profile)

    failed = False
    print()
    print(f"{'database':<11} {'operation':<24} {'seconds':>8} {'baseline':>9} {'ratio':>6}  "
          f"{'target (SQLite)':<20} {'cpu s':>6} {'base cpu':>8}")
    for kind, name, timed, base, target_key in results:
        max_s, max_ratio = TARGETS[target_key]
        ratio = timed.seconds / base.seconds if base.seconds else float("inf")
        target = ""
        if kind == "sqlite":
            target = f"<= {max_s:g} s, <= {max_ratio:g}x"
            if args.workers == 100_000:
                ok = timed.seconds <= max_s and ratio <= max_ratio
                failed |= not ok
                target += " ok" if ok else " MISSED"
        print(f"{kind:<11} {name:<24} {timed.seconds:8.2f} {base.seconds:9.2f} {ratio:5.1f}x  "
              f"{target:<20} {timed.cpu:6.2f} {base.cpu:8.2f}")
    print(f"(load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs; "
          "cpu s: this process only, so it leaves out PostgreSQL's own work)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
