"""Benchmark: the general waitlist with companies' workers kept off it, beside the same queries before.

Not part of the test suite. Run it as::

    python tests/benchmarks/bench_waiting_companies.py [WORKERS] [DATABASE_URL]

It builds a campaign of WORKERS synthetic workers (default 100,000; half
funded, half waiting) in its own database (SQLite under /tmp by default;
it drops the schema of a PostgreSQL URL given, so give a scratch database),
then times, in the same run and twice over, ``waiting_count`` (the API's
``workers_waiting``) and ``waitlist`` (the manager's waitlist page) as they
were before companies brought workers (the old ``ix_workers_waiting``, no
``company_id`` condition) and as they are now, and prints the medians.
"""
import datetime as dt
import os
import secrets
import statistics
import sys
import time

import sqlalchemy as sa
from donate import create_app
from donate.extensions import db

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
url = sys.argv[2] if len(sys.argv) > 2 else "sqlite:////tmp/bench_waiting_companies.sqlite3"
if url.startswith("sqlite:///") and os.path.exists(url.removeprefix("sqlite:///")):
    os.remove(url.removeprefix("sqlite:///"))
app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x", "ENCRYPTION_KEY": "y",
                  "INSTANCE_PATH": "/tmp", "RATELIMIT_STORAGE_URI": "memory://"})
with app.app_context():
    from flask_migrate import upgrade
    if url.startswith("postgresql"):
        with db.engine.begin() as c:
            c.execute(sa.text("DROP SCHEMA public CASCADE")); c.execute(sa.text("CREATE SCHEMA public"))
    upgrade(directory=app.extensions["migrate"].directory)
    from donate.models import Campaign, Worker
    from donate.services.coverage import waitlist
    c = Campaign(slug="b", name="b", target_workers=N, term_months=6); db.session.add(c); db.session.flush()
    now = dt.datetime(2018, 3, 1)
    rows = [{"campaign_id": c.id, "public_id": secrets.token_urlsafe(12), "nik_encrypted": b"x", "nik_hash": f"{i:064d}",
             "full_name": "x", "birth_date": dt.date(1980, 1, 1), "sex": "L", "occupation": "ojek", "regency_code": "1402",
             "monthly_income_idr": 1_000_000, "is_mustahik": True, "consent_at": now, "public_profile": True,
             "verification": "verified", "priority": 0, "display_name": "x", "lock_version": 0,
             "registered_at": now + dt.timedelta(seconds=i), "live_months": 6 if i % 2 else 0,
             "last_live_month": (2018 * 12 + 2 + 5) if i % 2 else None} for i in range(N)]
    for s in range(0, N, 5000):
        db.session.execute(Worker.__table__.insert(), rows[s:s + 5000])
    db.session.commit()
    if url.startswith("sqlite"):
        db.session.execute(sa.text("ANALYZE")); db.session.commit()
    today = dt.date(2018, 3, 15)
    original = waitlist.eligible

    def without_company(campaign, designation=None, *, company_id=None):
        return [cond for cond in original(campaign, designation, company_id=company_id)
                if "company_id" not in str(cond)]

    def timed(fn, n=15):
        fn(); times = []
        for _ in range(n):
            t = time.perf_counter(); fn(); times.append(time.perf_counter() - t)
        return statistics.median(times)

    def index(columns):
        db.session.execute(sa.text("DROP INDEX ix_workers_waiting"))
        db.session.execute(sa.text(f"CREATE INDEX ix_workers_waiting ON workers ({columns})"))
        db.session.commit()
        if url.startswith("sqlite"):
            db.session.execute(sa.text("ANALYZE")); db.session.commit()
        else:
            db.session.execute(sa.text("ANALYZE workers")); db.session.commit()

    old = "campaign_id, verification, last_live_month, consent_at, flag_reason"
    for rnd in range(2):
        for label, elig, cols in (("before (old index, no company condition)", without_company, old),
                                  ("after (index with company_id, company condition)", original, old + ", company_id")):
            index(cols)
            waitlist.eligible = elig
            count = timed(lambda: waitlist.waiting_count(c, today=today), 25)
            head = timed(lambda: waitlist.waitlist(c, today=today, limit=50), 9)
            print(f"round {rnd} {label}: waiting_count p50 {count*1000:.2f} ms, waitlist page p50 {head*1000:.2f} ms")
    waitlist.eligible = original
