"""Run long work off the request, after the transaction that asked for it commits.

With ``REDIS_URL`` set, work goes to an RQ queue on that Redis and
``flask --app donate worker`` runs it, retrying what fails. RQ because the
site already runs Redis (rate limits, caching), its jobs are plain functions
with a small, well-kept API (retries, timeouts, burst workers for tests), and
it needs no broker or scheduler beside Redis; Celery is far more machinery
for four kinds of job, Dramatiq needs its own middleware for results, and
procrastinate cannot run on the SQLite of the quick start.

With no Redis, work runs in this process: in a thread of its own (``thread``,
the default, so a request answers at once) or at once in the committing
thread (``eager``, what the tests use). Mail is kept in the outbox either
way, so ``tick`` and ``worker`` retry whatever did not go out.

Every job sees its own session (a fresh app context), never the caller's.
"""

import secrets
import sqlite3
import threading
import traceback
from collections.abc import Callable
from contextlib import closing

import sqlalchemy as sa
from flask import current_app, has_app_context

from . import clock
from .extensions import db
from .models import BackgroundJob, JobState

#: name -> function; a task takes plain arguments and ``now`` (read here, the job's edge) and runs in an app context.
TASKS: dict[str, Callable] = {}
#: kind -> function(job, progress, now=...) returning the result shown when it is done.
JOBS: dict[str, Callable] = {}
#: How often RQ retries a failed task, and after how many seconds.
RETRY_INTERVALS = [10, 60, 300, 900]


def task(name: str):
    """Register a function that ``run_later`` may run off the request."""
    def register(fn):
        TASKS[name] = fn
        return fn
    return register


def job(kind: str):
    """Register the function behind a kind of :class:`BackgroundJob`."""
    def register(fn):
        JOBS[kind] = fn
        return fn
    return register


def run_later(name: str, *args) -> None:
    """Run task ``name`` with ``args`` once the current transaction commits (never if it rolls back)."""
    db.session.info.setdefault("tasks_after_commit", []).append((name, args))


def start_job(kind: str, *, campaign_id: int | None = None, user_id: int | None = None, total: int = 0,
              params: dict | None = None, payload: bytes | None = None) -> BackgroundJob:
    """Record a job with its progress at zero and have it run after commit."""
    row = BackgroundJob(token=secrets.token_urlsafe(24)[:32], kind=kind, campaign_id=campaign_id,
                        user_id=user_id, total=total, params=params or {}, payload=payload)
    db.session.add(row)
    db.session.flush()
    run_later("background_job", row.id)
    return row


def mode() -> str:
    """Return how work runs here: ``rq``, ``thread`` or ``eager``."""
    if current_app.config.get("REDIS_URL"):
        return "rq"
    return current_app.config.get("JOBS_MODE") or ("eager" if current_app.testing else "thread")


def queue():
    """Return the RQ queue on the configured Redis."""
    from redis import Redis
    from rq import Queue

    return Queue(current_app.config.get("JOBS_QUEUE", "lindungi"),
                 connection=Redis.from_url(current_app.config["REDIS_URL"]))


def dispatch(name: str, args: tuple) -> None:
    """Hand one committed task to the queue, a thread, or run it now."""
    how = mode()
    if how == "rq":
        from rq import Retry

        queue().enqueue(execute, name, *args, retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS),
                        job_timeout=3600)
        return
    app = current_app._get_current_object()
    if how == "thread":
        threading.Thread(target=_in_app, args=(app, name, args), daemon=True).start()
    else:
        _in_app(app, name, args)


def _in_app(app, name: str, args: tuple) -> None:
    """Run a task in a fresh app context (its own session); log instead of raising in a thread."""
    with app.app_context():
        try:
            TASKS[name](*args, now=clock.now())
        except Exception:  # noqa: BLE001 - a failed task is recorded by the task itself and retried later
            app.logger.error("task %s%r failed:\n%s", name, args, traceback.format_exc())
            if mode() == "eager" and app.config.get("JOBS_RAISE"):
                raise


def execute(name: str, *args) -> None:
    """Run a task in an RQ worker (the queue's entry point); build the app once per worker process."""
    global _worker_app
    if has_app_context():  # a worker started inside an app (``flask worker``, the tests)
        app = current_app._get_current_object()
    else:
        if _worker_app is None:
            from . import create_app

            _worker_app = create_app()
        app = _worker_app
    with app.app_context():
        TASKS[name](*args, now=clock.now())


_worker_app = None


@sa.event.listens_for(sa.orm.Session, "after_commit")
def _dispatch_committed(session) -> None:
    """Send the tasks of a committed transaction on their way."""
    for name, args in session.info.pop("tasks_after_commit", []):
        dispatch(name, args)


@sa.event.listens_for(sa.orm.Session, "after_rollback")
def _forget_rolled_back(session) -> None:
    """Drop the tasks of a transaction that did not happen."""
    session.info.pop("tasks_after_commit", None)


@task("background_job")
def run_background_job(job_id: int, *, now) -> None:
    """Run one recorded job, keeping its progress and outcome in its row."""
    row = db.session.get(BackgroundJob, job_id)
    if row is None or row.state == JobState.done:
        return
    row.state, row.attempts, row.error = JobState.running, row.attempts + 1, None
    db.session.commit()

    def progress(done: int, total: int | None = None) -> None:
        side = _progress_file()
        if side is not None:  # SQLite: the work holds the one write lock, so progress goes beside the database
            _record_side_progress(side, job_id, done, total)
            return
        values = {"done": done} if total is None else {"done": done, "total": total}
        with db.engine.begin() as conn:  # a connection of its own: the page sees it while the work runs
            conn.execute(sa.update(BackgroundJob).where(BackgroundJob.id == job_id).values(**values))

    try:
        result = JOBS[row.kind](row, progress, now=now)
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        row = db.session.get(BackgroundJob, job_id)
        row.state, row.error, row.finished_at = JobState.failed, str(exc)[:500] or type(exc).__name__, clock.now()
        db.session.commit()
        _forget_side_progress(job_id)
        raise
    row = db.session.get(BackgroundJob, job_id)
    row.state, row.result, row.finished_at = JobState.done, result or {}, clock.now()
    row.done = max(row.done, row.total)
    db.session.commit()
    _forget_side_progress(job_id)


def _forget_side_progress(job_id: int) -> None:
    side = _progress_file()
    if side is not None:
        with closing(_side_table(side)) as connection, connection:
            connection.execute("DELETE FROM progress WHERE job_id = ?", (job_id,))


def _progress_file() -> str | None:
    """Return the file that keeps running jobs' progress beside a SQLite database (``None`` elsewhere).

    SQLite lets one writer at a time into a database, and the job is that
    writer until it commits: its progress could not be written to its own row
    before the end. A second, tiny database file has a lock of its own.
    """
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return f"{url.database}-progress"


def _side_table(path: str) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=5)
    connection.execute("CREATE TABLE IF NOT EXISTS progress (job_id INTEGER PRIMARY KEY, done INTEGER NOT NULL, "
                       "total INTEGER)")
    return connection


def _record_side_progress(path: str, job_id: int, done: int, total: int | None) -> None:
    with closing(_side_table(path)) as connection, connection:
        connection.execute("INSERT INTO progress (job_id, done, total) VALUES (?, ?, ?) ON CONFLICT (job_id) "
                           "DO UPDATE SET done = excluded.done, total = coalesce(excluded.total, total)",
                           (job_id, done, total))


def progress_of(row: BackgroundJob) -> tuple[int, int]:
    """Return how far a job got (done, total), wherever the running work keeps it."""
    done, total = row.done, row.total
    side = _progress_file() if row.state == JobState.running else None
    if side is not None:
        with closing(_side_table(side)) as connection:
            found = connection.execute("SELECT done, total FROM progress WHERE job_id = ?", (row.id,)).fetchone()
        if found is not None:
            done, total = max(done, found[0]), found[1] or total
    return done, total


def work(*, burst: bool = False) -> None:
    """Process the queue until stopped (``burst``: until it is empty); with no Redis, resend the outbox."""
    from .services.mail import retry_unsent

    if mode() != "rq":
        sent = retry_unsent(now=clock.now())
        db.session.commit()
        current_app.logger.info("no REDIS_URL: jobs run in the web process; %s outbox messages resent", sent)
        return
    from rq import SimpleWorker, Worker

    worker_class = SimpleWorker if burst else Worker
    worker_class([queue()], connection=queue().connection).work(burst=burst)
