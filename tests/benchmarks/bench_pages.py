"""Benchmark: every page of issue 10's table at GN Lingkaran's size, and the write paths beside them.

Not part of the test suite (``norecursedirs`` in pyproject). Run it as::

    python tests/benchmarks/bench_pages.py [--workers N] [--only sqlite|postgresql] [--no-gunicorn] [--keep DIR]

Building the 100k / 1M dataset takes minutes on each database; with
``--keep DIR`` the first run keeps it (SQLite's file and what the pages need
in ``DIR``, PostgreSQL's in its ``<name>_bench`` database) and later runs
with the same ``DIR`` and ``--workers`` reuse it: migrated to the code's
head, as a deployment would, then (when a migration ran) ``check_ledger``
must still be clean.

For each database (SQLite always, PostgreSQL when ``DONATE_TEST_DATABASE_URL``
is set; in a ``<name>_bench`` database of its own, see
``bench_import_allocate``) it builds a campaign the size of the seeds:

* ``--workers`` workers (default 100,000) imported with ``import_workers``;
* 10.337 paid pool gifts per worker (1,033,700 at 100k) with their payments,
  journals and postings, written in bulk by ``INSERT ... SELECT`` but exactly
  the rows ``confirm_payment`` writes (so ``check_ledger`` accepts them), then
  ``rebuild_figures`` when the code keeps figures, as a migration would;
* the pool allocated with ``allocate_pool``; one remittance batch, its
  transfer and a BPJS answer for 60 % of its workers (``acknowledge_batch``,
  timed); a lapsed worker; then ``check_ledger`` must be clean.

It then prints, for each page: the queries one request makes, p50 and p95 of
repeated requests through the test client, beside the p50 of a trivial page
(``GET /status/``) measured in the same run; the time of a named
sponsorship's confirmation and of a pool gift's; and on PostgreSQL (unless
``--no-gunicorn``) requests per second under ``gunicorn --workers 4`` with 8
concurrent clients for the campaign API, the campaign page and the status
API, beside a hello-world Flask app served the same way. Every NIK is
synthetic (sub-district 99): nobody real.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import functools
import http.client
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for path in (ROOT, HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import sqlalchemy as sa  # noqa: E402
from bench_import_allocate import PG_URL, Database, worker_csv  # noqa: E402

from donate import clock
from donate.extensions import db, limiter  # noqa: E402
from donate.models import (  # noqa: E402
    Campaign,
    CampaignRegion,
    CoverageMonth,
    CoverageState,
    Designation,
    DonationKind,
    Role,
    Verification,
    Worker,
)
from donate.models.base import utcnow  # noqa: E402
from donate.months import current_month  # noqa: E402
from donate.services import ledger  # noqa: E402
from donate.services.access.accounts import create_user  # noqa: E402
from donate.services.coverage.allocation import allocate_pool  # noqa: E402
from donate.services.money.donations import (  # noqa: E402
    confirm_payment,
    create_donation,
    start_payment,
)
from donate.services.remittance.batches import (  # noqa: E402
    acknowledge_batch,
    create_batch,
    current_period,
    export_rows,
    record_transfer,
)
from donate.services.workers.imports import import_workers  # noqa: E402
from donate.services.workers.registry import worker_nik  # noqa: E402

GIFTS_PER_WORKER = 10.337
SLUG = "bench"
PASSWORD = "bench-password-123"
#: Seconds spent repeating one page (at least MIN_REPS, at most MAX_REPS requests).
PAGE_BUDGET, MIN_REPS, MAX_REPS = 6.0, 3, 40

#: One pool gift per row n: the designation, amount and donor follow from n, so both databases get the same.
_GIFTS = """
WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < :count)
INSERT INTO {table} ({columns}) SELECT {values} FROM seq
"""
_DESIGNATION = "CASE WHEN n % 10 < 2 THEN 'zakat' WHEN n % 10 < 6 THEN 'infak' ELSE 'csr' END"
_AMOUNT = "(5000 + (n % 7) * 1000)"
_TABLES = {
    "donations": {
        "id": ":base + n", "campaign_id": ":campaign", "kind": "'pool'", "designation": _DESIGNATION,
        "amount_idr": _AMOUNT, "donor_name": "'Donor'",
        "donor_email": "CASE WHEN n % 3 = 0 THEN NULL ELSE 'donor' || CAST(n % 150000 AS VARCHAR(10)) "
                       "|| '@bench.invalid' END",
        "is_anonymous": "n % 4 = 0", "message": "''",
        "funder": "CASE WHEN n % 5000 = 0 THEN 'CSR Bench ' || CAST(n % 7 AS VARCHAR(2)) END",
        "created_at": ":now",
    },
    "payments": {
        "id": ":base + n", "donation_id": ":base + n", "provider": "'sandbox'",
        "provider_ref": "'bench-' || CAST(n AS VARCHAR(10))", "amount_idr": _AMOUNT, "refunded_idr": "0",
        "state": "'paid'", "created_at": ":now", "paid_at": ":now",
    },
    "journals": {
        "id": ":base + n", "campaign_id": ":campaign", "kind": "'payment_received'",
        "memo": "'sandbox payment for donation ' || CAST(:base + n AS VARCHAR(10))", "payment_id": ":base + n",
        "created_at": ":now",
    },
}


def bulk_gifts(campaign: Campaign, count: int) -> None:
    """Write ``count`` paid pool gifts as ``confirm_payment`` books them, set-based."""
    base = max(db.session.scalar(sa.select(sa.func.max(sa.text("id"))).select_from(sa.table(t))) or 0
               for t in ("donations", "payments", "journals"))
    params = {"count": count, "base": base, "campaign": campaign.id, "now": utcnow()}
    for table, columns in _TABLES.items():
        sql = _GIFTS.format(table=table, columns=", ".join(columns), values=", ".join(columns.values()))
        db.session.execute(sa.text(sql).bindparams(sa.bindparam("now", type_=sa.DateTime)), params)
    posting_base = db.session.scalar(sa.text("SELECT COALESCE(MAX(id), 0) FROM postings"))
    for offset, account, sign in ((0, "received", "-"), (1, "pool", "")):
        sql = _GIFTS.format(
            table="postings", columns="id, journal_id, campaign_id, account, designation, amount_idr",
            values=f"{posting_base} + 2 * n - {1 - offset}, :base + n, :campaign, '{account}', "
                   f"{_DESIGNATION}, {sign}{_AMOUNT}")
        db.session.execute(sa.text(sql), params)
    if db.engine.dialect.name == "postgresql":
        for table in ("donations", "payments", "journals", "postings"):
            db.session.execute(sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"))
    db.session.commit()


def rebuild_figures_if_kept() -> str:
    """Recompute the maintained figures after the bulk load, when this version of the code keeps them."""
    try:
        from donate.services.tallies import rebuild_figures
    except ImportError:
        return "no maintained figures in this version"
    rebuild_figures()
    db.session.commit()
    return "figures rebuilt"


def analyze() -> None:
    """Refresh planner statistics, as autovacuum does after a bulk load."""
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


def build(workers: int, data: bytes) -> dict:
    """Build the dataset in the current app; return what the pages need (workers per state, timings)."""
    facts: dict = {}
    started = time.perf_counter()
    campaign = Campaign(slug=SLUG, name="GN Lingkaran (benchmark)", target_workers=100_000, term_months=6)
    campaign.regions = [CampaignRegion(code="1402"), CampaignRegion(code="6171")]
    db.session.add(campaign)
    db.session.commit()
    report = import_workers(campaign, data, today=clock.today(), now=clock.now())
    db.session.commit()
    assert report.ok and report.imported == workers, report.rejected[:3]
    gifts = round(workers * GIFTS_PER_WORKER)
    bulk_gifts(campaign, gifts)
    facts["figures"] = rebuild_figures_if_kept()
    analyze()
    allocate_pool(campaign, now=clock.now(), today=clock.today())
    db.session.commit()
    batch = create_batch(campaign, *current_period(clock.today()), user=None)
    record_transfer(batch, "BENCH-TRF-1", transferred_on=utcnow().date(), user=None)
    db.session.commit()
    rows = list(export_rows(batch))
    answered = rows[:int(len(rows) * 0.6)]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("nik", "kpj", "status", "reason"))
    for i, row in enumerate(answered):
        if i % 50 == 49:
            writer.writerow((row[0], "", "ditolak", "NIK tidak ditemukan di Dukcapil"))
        else:
            writer.writerow((row[0], f"9{i:010d}", "diterima", ""))
    counter = QueryCounter()
    with counter, Timed() as ack:
        ack_report = acknowledge_batch(batch, out.getvalue(), user=None)
        db.session.commit()
    assert ack_report.applied and not ack_report.errors, ack_report.errors[:3]
    facts["ack"] = (len(answered), ack.seconds, counter.count)
    facts["lapsed"] = _lapsed_worker(campaign)
    analyze()
    facts["build_seconds"] = time.perf_counter() - started
    facts["gifts"] = gifts
    facts["batch"] = batch.id
    facts["campaign"] = campaign.id
    create_user("admin@bench.invalid", PASSWORD, role=Role.admin)
    db.session.commit()
    problems = ledger.check_ledger()
    assert problems == [], problems[:5]
    return facts


def _lapsed_worker(campaign: Campaign) -> int:
    """Sponsor a waiting worker for three months ten months ago, so one worker is lapsed."""
    import datetime as dt

    worker = _waiting_workers(campaign, 1)[0]
    past = dt.date.today().replace(day=1) - dt.timedelta(days=300)
    donation = create_donation(campaign, kind=DonationKind.worker, designation=Designation.csr,
                               amount_idr=3 * 16_800, worker=worker, months=3, donor_email="lapsed@bench.invalid")
    payment = start_payment(donation, "sandbox", "bench-lapsed")
    confirm_payment(payment.id, today=past, now=clock.now())
    db.session.commit()
    return worker.id


def _waiting_workers(campaign: Campaign, count: int, offset: int = 0) -> list[Worker]:
    """Return verified, consenting workers with no coverage at all, from the back of the queue."""
    return db.session.scalars(
        sa.select(Worker).where(Worker.campaign_id == campaign.id, Worker.verification == Verification.verified,
                                Worker.consent_at.is_not(None), Worker.flag_reason.is_(None),
                                ~sa.exists().where(CoverageMonth.worker_id == Worker.id))
        .order_by(Worker.id.desc()).offset(offset).limit(count)).all()


def time_confirmations(campaign: Campaign, count: int = 15) -> tuple[float, float]:
    """Return the median seconds of confirming a named sponsorship and a pool gift, commit included."""
    named, pooled = [], []
    run = os.urandom(4).hex()  # a kept dataset is measured again: new payment references each run
    for i, worker in enumerate(_waiting_workers(campaign, count, offset=10)):
        donation = create_donation(campaign, kind=DonationKind.worker, designation=Designation.csr,
                                   amount_idr=16_800, worker=worker, months=1, donor_email=f"s{run}{i}@bench.invalid")
        payment = start_payment(donation, "sandbox", f"bench-named-{run}-{i}")
        db.session.commit()
        with Timed() as t:
            assert confirm_payment(payment.id, now=clock.now(), today=clock.today())
            db.session.commit()
        named.append(t.seconds)
        donation = create_donation(campaign, kind=DonationKind.pool, designation=Designation.infak,
                                   amount_idr=50_000, donor_email=f"p{run}{i}@bench.invalid")
        payment = start_payment(donation, "sandbox", f"bench-pool-{run}-{i}")
        db.session.commit()
        with Timed() as t:
            assert confirm_payment(payment.id, now=clock.now(), today=clock.today())
            db.session.commit()
        pooled.append(t.seconds)
    return statistics.median(named), statistics.median(pooled)


# --------------------------------------------------------------------------- measuring


class Timed:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


class QueryCounter:
    """Count the statements the app's engine runs while active, and keep each with its time."""

    def __init__(self, engine=None):
        self.engine = engine
        self.count = 0
        self.statements: list[tuple[float, str, object]] = []

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self.count += 1
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        if not executemany:
            self.statements.append((time.perf_counter() - conn.info.pop("bench_started", 0), statement, parameters))

    def __enter__(self):
        self.engine = self.engine or db.engine
        sa.event.listen(self.engine, "before_cursor_execute", self._before)
        sa.event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._before)
        sa.event.remove(self.engine, "after_cursor_execute", self._after)


#: Pages whose slowest statements ``--explain`` prints the plan of.
EXPLAINED = ("/", "/campaigns/<slug>", "/api/v1/campaigns/<slug>", "/transparency/<slug>", "donor's browse workers",
             "POST /api/v1/status (waiting)", "POST /api/v1/status (lapsed)",
             "manage dashboard", "manage gifts", "manage workers, page 1")


def explain(engine, statements, slowest: int = 3) -> None:
    """Print the plan of the slowest ``statements`` one request ran (EXPLAIN ANALYZE / QUERY PLAN)."""
    postgres = engine.dialect.name == "postgresql"
    for seconds, statement, parameters in sorted(statements, key=lambda s: -s[0])[:slowest]:
        print(f"    -- {seconds * 1000:.1f} ms: {' '.join(statement.split())[:400]}")
        prefix = "EXPLAIN (ANALYZE, COSTS OFF) " if postgres else "EXPLAIN QUERY PLAN "
        with engine.connect() as conn:
            for row in conn.exec_driver_sql(prefix + statement, parameters):
                print("       ", row[0] if postgres else row[-1])
            conn.rollback()


def status_queries(campaign: Campaign, facts: dict) -> dict[str, dict]:
    """Return a status look-up body for a worker in each state."""
    month = current_month(clock.today())
    C = CoverageMonth

    def one_with(*conditions) -> Worker | None:
        return db.session.scalar(sa.select(Worker).join(C, C.worker_id == Worker.id)
                                 .where(Worker.campaign_id == campaign.id, *conditions).limit(1))

    found = {
        "protected": one_with(C.month == month, C.state == CoverageState.accepted),
        "funded": one_with(C.month == month, C.state == CoverageState.remitted),
        "waiting": _waiting_workers(campaign, 1, offset=100)[0],
        "lapsed": db.session.get(Worker, facts["lapsed"]),
        "rejected": one_with(C.state == CoverageState.rejected),
    }
    bodies = {state: {"nik": worker_nik(w), "full_name": w.full_name} for state, w in found.items() if w}
    bodies["not_found"] = {"nik": "1471995501900001", "full_name": "Nobody Here"}
    return bodies


def pages(campaign: Campaign, facts: dict, manage: bool = True) -> list[tuple[str, str, str, dict | None]]:
    """Return (label, method, path, json) of every page to measure."""
    slug = campaign.slug
    result = [
        ("trivial page (GET /status/)", "GET", "/status/", None),
        ("/", "GET", "/", None),
        ("/campaigns/<slug>", "GET", f"/campaigns/{slug}", None),
        ("/api/v1/campaigns/<slug>", "GET", f"/api/v1/campaigns/{slug}", None),
        ("/embed/campaigns/<slug>", "GET", f"/embed/campaigns/{slug}", None),
        ("/transparency/<slug>", "GET", f"/transparency/{slug}", None),
        ("donor's browse workers", "GET", f"/donor/campaigns/{slug}/workers", None),
    ]
    browse_deep = min(50, facts["workers"] // 2000)  # about a fifth of the waiting workers may be browsed
    if browse_deep > 1:
        result.append((f"donor's browse workers, page {browse_deep}", "GET",
                       f"/donor/campaigns/{slug}/workers?page={browse_deep}", None))
    for state, body in status_queries(campaign, facts).items():
        result.append((f"POST /api/v1/status ({state})", "POST", "/api/v1/status", body))
    if not manage:
        return result
    deep = max(facts["workers"] // 50 - 10, 1)
    result += [
        ("manage dashboard", "GET", f"/manage/campaigns/{slug}", None),
        ("manage gifts", "GET", f"/manage/campaigns/{slug}/gifts", None),
        ("manage allocation preview", "GET", f"/manage/campaigns/{slug}/allocation", None),
        ("manage workers, page 1", "GET", f"/manage/campaigns/{slug}/workers", None),
        (f"manage workers, page {deep}", "GET", f"/manage/campaigns/{slug}/workers?page={deep}", None),
        ("remittance batch page", "GET", f"/manage/campaigns/{slug}/remittance/{facts['batch']}", None),
    ]
    return result


def measure(client, engine, method: str, path: str, body) -> tuple[int, float, float, int, list]:
    """Return (queries, p50 ms, p95 ms, requests, the statements of one request) of one page.

    Requests run outside any app context, as a server runs them: each has a
    session and ``g`` of its own.
    """
    def call():
        response = client.open(path, method=method, json=body)
        assert response.status_code == 200, (path, response.status_code, response.data[:300])

    call()
    counter = QueryCounter(engine)
    with counter:
        call()
    times = []
    started = time.perf_counter()
    while len(times) < MAX_REPS and (len(times) < MIN_REPS or time.perf_counter() - started < PAGE_BUDGET):
        with Timed() as t:
            call()
        times.append(t.seconds * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return counter.count, statistics.median(times), p95, len(times), counter.statements


# --------------------------------------------------------------------------- gunicorn


def _load(port: int, method: str, path: str, body, seconds: float, clients: int = 8) -> tuple[float, float]:
    """Return (requests per second, p99 ms) of ``clients`` threads requesting one URL for ``seconds``."""
    payload = json.dumps(body).encode() if body else None
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    failures: list[str] = []

    def client_loop():
        mine = []
        while time.perf_counter() < stop:
            start = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                headers = {"Content-Type": "application/json"} if payload else {}
                conn.request(method, path, body=payload, headers=headers)
                response = conn.getresponse()
                response.read()
                conn.close()
            except OSError as exc:  # a request the server could not answer in time counts as none served
                failures.append(type(exc).__name__)
                continue
            if response.status != 200:
                failures.append(f"HTTP {response.status}")
                continue
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    p99 = latencies[int(0.99 * (len(latencies) - 1))] * 1000 if latencies else float("inf")
    if failures:
        print(f"    {path}: {len(failures)} requests failed ({', '.join(sorted(set(failures)))})")
    return len(latencies) / elapsed, p99


def _serve(app_spec: str, port: int, env: dict) -> subprocess.Popen:
    """Start ``gunicorn --workers 4`` for ``app_spec`` and wait until it answers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "4", "--bind", f"127.0.0.1:{port}", "--log-level",
         "warning", app_spec], cwd=str(ROOT), env=env)
    for _ in range(200):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/nothing-here")
            conn.getresponse().read()
            return process
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit(f"gunicorn {app_spec} did not start")


def gunicorn_figures(url: str, instance: Path, status_body: dict, seconds: float,
                     cache_url: str = "") -> list[tuple]:
    """Return (label, req/s, p99 ms, ratio to hello world) under gunicorn; with ``cache_url`` cached too."""
    env = dict(os.environ, DONATE_DATABASE_URL=url, DONATE_INSTANCE_PATH=str(instance),
               DONATE_SECRET_KEY="bench-secret-key", DONATE_ENCRYPTION_KEY="bench-encryption-key",
               DONATE_STATUS_RATELIMIT_CLIENT="1000000 per second",
               DONATE_STATUS_RATELIMIT_WORKER="1000000 per second", PYTHONPATH=f"{ROOT}:{HERE}",
               DONATE_CACHE_URL="", DONATE_REDIS_URL="")
    rows = []
    process = _serve("hello_app:app", 8611, env)
    try:
        hello, hello_p99 = _load(8611, "GET", "/", None, seconds)
    finally:
        process.terminate()
        process.wait()
    rows.append(("hello-world Flask app", hello, hello_p99, 1.0))
    urls = (("/api/v1/campaigns/<slug>", "GET", f"/api/v1/campaigns/{SLUG}", None),
            ("/campaigns/<slug>", "GET", f"/campaigns/{SLUG}", None),
            ("POST /api/v1/status (waiting)", "POST", "/api/v1/status", status_body))
    runs = [("", env)]
    if cache_url:
        runs.append((", cached", dict(env, DONATE_CACHE_URL=cache_url)))
    for suffix, run_env in runs:
        process = _serve("donate:create_app()", 8612, run_env)
        try:
            for label, method, path, body in urls[:2] if suffix else urls:
                rate, p99 = _load(8612, method, path, body, seconds)
                rows.append((label + suffix, rate, p99, rate / hello))
        finally:
            process.terminate()
            process.wait()
    return rows


# --------------------------------------------------------------------------- main


def _kept_dataset(kind: str, keep: Path | None, workers: int) -> tuple[Path | None, dict | None]:
    """Return the facts file of a dataset kept by ``--keep``, and its facts if one was built before."""
    if keep is None:
        return None, None
    keep.mkdir(parents=True, exist_ok=True)
    facts_file = keep / f"{kind}-{workers}.json"
    if facts_file.exists() and (kind == "postgresql" or (keep / f"{kind}-{workers}" / "bench.sqlite3").exists()):
        return facts_file, json.loads(facts_file.read_text())
    return facts_file, None


def _app(kind: str, tmp: Path, keep: Path | None, workers: int, reuse: bool):
    """Return the app of a fresh dataset's database, or of the kept one migrated to the head."""
    # A kept dataset has a PostgreSQL database of its own per size (``<name>_bench<workers>``).
    dbs = Database(kind, keep if keep is not None else tmp, "_bench" if keep is None else f"_bench{workers}")
    if not reuse:
        if keep is None:
            return dbs.fresh_app()
        shutil.rmtree(keep / f"{kind}-{workers}", ignore_errors=True)
        return dbs.fresh_app(f"{kind}-{workers}")
    instance = keep / f"{kind}-{workers}"
    url = dbs.pg_url if kind == "postgresql" else f"sqlite:///{instance / 'bench.sqlite3'}"
    from bench_import_allocate import _config
    from flask_migrate import upgrade

    from donate import create_app

    app = create_app(_config(url, instance))
    with app.app_context():
        before = _revision()
        upgrade(directory=app.extensions["migrate"].directory)
        app.config["BENCH_MIGRATED"] = _revision() != before
        db.engine.dispose()
    return app


def _revision() -> str | None:
    """Return the database's Alembic revision."""
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def run(kind: str, tmp: Path, data, workers: int, gunicorn: bool, seconds: float,
        show_plans: bool = False, keep: Path | None = None, manage: bool = True, cache_url: str = "",
        check: bool = False) -> None:
    """Build the dataset on one kind of database (or reuse the kept one) and print its figures."""
    facts_file, facts = _kept_dataset(kind, keep, workers)
    app = _app(kind, tmp, keep, workers, reuse=facts is not None)
    limiter.enabled = False  # the look-ups are repeated far beyond a visitor's limit
    with app.app_context():
        if facts is None:
            facts = build(workers, data())
            facts["workers"] = workers
            if facts_file is not None:
                facts_file.write_text(json.dumps(facts))
        elif app.config["BENCH_MIGRATED"] or check:  # a migration rewrote kept figures: prove them again
            analyze()  # and may have rebuilt tables (SQLite's batch mode), whose statistics went with them
            with Timed() as checked:
                problems = ledger.check_ledger()
            assert problems == [], problems[:5]
            facts["build_seconds"] = 0
            facts["figures"] += f"; reused from {keep}, migrated, check_ledger() in {checked.seconds:.0f} s"
        else:
            facts["build_seconds"] = 0
            facts["figures"] += f"; reused from {keep}, no migration since its check_ledger()"
        campaign = db.session.get(Campaign, facts["campaign"])
        named, pooled = time_confirmations(campaign)
        measured = pages(campaign, facts, manage)
        engine = db.engine
        url = app.config["DATABASE_URL"]
        instance = Path(app.instance_path)
        db.session.remove()
    visitor, staff = app.test_client(), app.test_client()  # public pages as a visitor, manage pages signed in
    login = staff.post("/auth/login", data={"email": "admin@bench.invalid", "password": PASSWORD})
    assert login.status_code in (302, 303), login.status_code
    print(f"\n{kind}: {workers:,} workers, {facts['gifts']:,} paid gifts ({facts['figures']}); "
          f"built in {facts['build_seconds']:.0f} s; check_ledger() == []")
    print(f"  acknowledge_batch of {facts['ack'][0]:,} rows: {facts['ack'][1]:.2f} s, {facts['ack'][2]:,} queries"
          " (when built)")
    print(f"  confirm a named sponsorship: {named * 1000:.1f} ms; a pool gift: {pooled * 1000:.1f} ms (median)")
    print(f"  {'page':<40} {'queries':>7} {'p50 ms':>9} {'p95 ms':>9} {'x trivial':>9} {'n':>4}")
    trivial = None
    status_body = None
    for label, method, path, body in measured:
        client = staff if path.startswith("/manage/") else visitor
        queries, p50, p95, n, statements = measure(client, engine, method, path, body)
        trivial = trivial or p50
        if "(waiting)" in label:
            status_body = body
        print(f"  {label:<40} {queries:>7} {p50:>9.1f} {p95:>9.1f} {p50 / trivial:>9.1f} {n:>4}", flush=True)
        if show_plans and label in EXPLAINED:
            explain(engine, statements)
    engine.dispose()
    if gunicorn:
        print(f"  gunicorn --workers 4, 8 concurrent clients, {seconds:g} s each:")
        for label, rate, p99, ratio in gunicorn_figures(url, instance, status_body, seconds, cache_url):
            print(f"  {label:<40} {rate:>8.0f} req/s  p99 {p99:>7.1f} ms  {ratio:>5.2f}x hello world")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=100_000)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--no-gunicorn", action="store_true", help="skip the gunicorn figures")
    parser.add_argument("--gunicorn-sqlite", action="store_true", help="measure gunicorn on SQLite as well")
    parser.add_argument("--seconds", type=float, default=10.0, help="load time per URL under gunicorn")
    parser.add_argument("--explain", action="store_true", help="print the plans of the key pages' slowest queries")
    parser.add_argument("--cache-url", default="", metavar="REDIS_URL",
                        help="under gunicorn, measure the campaign API and page again with this Redis as the cache")
    parser.add_argument("--check", action="store_true", help="run check_ledger on a kept dataset even if not migrated")
    parser.add_argument("--public-only", action="store_true", help="measure the public pages, not the manage ones")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="keep the built dataset in DIR and reuse it on later runs of the same --workers")
    args = parser.parse_args(argv)
    data = functools.cache(lambda: worker_csv(args.workers))
    kinds = ["sqlite"] + (["postgresql"] if PG_URL.startswith("postgresql") else [])
    if args.only:
        kinds = [args.only] if args.only in kinds else []
    with tempfile.TemporaryDirectory(prefix="lindungi-pages-") as tmp:
        for kind in kinds:
            gunicorn = not args.no_gunicorn and (kind == "postgresql" or args.gunicorn_sqlite)
            run(kind, Path(tmp), data, args.workers, gunicorn, args.seconds, args.explain, args.keep,
                not args.public_only, args.cache_url, args.check)
    print(f"(load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
