"""Fixtures: an app on a fresh, migrated database for every test.

Set ``DONATE_TEST_DATABASE_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``)
to run the whole suite on PostgreSQL; otherwise every test gets its own
SQLite file, copied from one migrated once per session.

Set ``DONATE_TEST_REDIS_URL`` to run the Redis cases (job queue, rate-limit
storage) on that server; unset, they use a Redis on 127.0.0.1:6379 (db 15)
when one answers.

Set ``DONATE_TEST_TODAY`` (e.g. ``2027-01-31``) to pin the clock for the whole
run with time-machine: the suite must pass on any day, the first and the last
of a month included. The clock starts just after midnight UTC of that day and
ticks on, so code that waits still sees time pass.
"""

import contextlib
import datetime as dt
import os
import shutil

import pytest
import sqlalchemy as sa
import time_machine
from flask import g
from flask.testing import FlaskClient

from donate import create_app
from donate.extensions import db
from donate.services import ledger

#: The base premium: JKK at the lowest bracket (Rp 10,000) plus JKM (Rp 6,800), a month.
PREMIUM = 16_800
#: The day service tests live on, and a moment of it: fixed, so no test depends on the real date.
TODAY = dt.date(2018, 3, 15)
NOW = dt.datetime(2018, 3, 15, 9, 0)

PG_URL = os.environ.get("DONATE_TEST_DATABASE_URL", "")
ON_POSTGRES = PG_URL.startswith("postgresql")
#: Tables whose rows are part of the schema (seeded by migrations), kept between tests.
SEEDED = {"alembic_version", "premium_rates"}
#: The day the whole run believes it is, when set.
PINNED_TODAY = os.environ.get("DONATE_TEST_TODAY", "").strip()
#: Where a test finds Redis when ``DONATE_TEST_REDIS_URL`` is not set: the local server, if one answers.
LOCAL_REDIS = "redis://127.0.0.1:6379/15"


def redis_test_url() -> str:
    """Return the Redis the tests may use: ``DONATE_TEST_REDIS_URL``, else a local Redis that answers, else ''."""
    url = os.environ.get("DONATE_TEST_REDIS_URL", "").strip()
    if url:
        return url
    from redis import Redis
    from redis.exceptions import RedisError
    try:
        Redis.from_url(LOCAL_REDIS, socket_connect_timeout=0.3, socket_timeout=0.3).ping()
    except (RedisError, OSError):
        return ""
    return LOCAL_REDIS


REDIS_URL = redis_test_url()


def pytest_configure(config):
    """Pin the clock for the whole run when ``DONATE_TEST_TODAY`` says so."""
    if PINNED_TODAY:
        start = dt.datetime.combine(dt.date.fromisoformat(PINNED_TODAY), dt.time(0, 5), tzinfo=dt.UTC)
        config.pinned_clock = time_machine.travel(start, tick=True)
        config.pinned_clock.start()


def pytest_unconfigure(config):
    if getattr(config, "pinned_clock", None) is not None:
        config.pinned_clock.stop()


def pytest_report_header(config):
    return f"clock pinned to {PINNED_TODAY} (DONATE_TEST_TODAY)" if PINNED_TODAY else None


class FreshRequestClient(FlaskClient):
    """A test client whose every request starts with an empty ``g``.

    The ``app`` fixture keeps one app context open so that tests can use the
    database directly, and Flask reuses that context for each request; without
    this, what extensions cache on ``g`` (the locale, the logged-in user)
    would leak from one request into the next.
    """

    def open(self, *args, **kwargs):
        saved = vars(g).copy()
        vars(g).clear()
        try:
            return super().open(*args, **kwargs)
        finally:
            vars(g).clear()
            vars(g).update(saved)


def _config(url: str, instance_path) -> dict:
    return {
        "TESTING": True,
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(instance_path),
        "SECRET_KEY": "test-secret-key",
        "ENCRYPTION_KEY": "test-encryption-key",
        "PAYMENT_PROVIDER": "sandbox",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": "lindungi.test",
    }


def _migrate(url: str, instance_path) -> None:
    app = create_app(_config(url, instance_path))
    with app.app_context():
        if ON_POSTGRES:
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        from flask_migrate import upgrade

        upgrade(directory=app.extensions["migrate"].directory)
        db.engine.dispose()


def _private_database(url: str):
    """Create a database of this test run's own beside ``url``'s; return its URL, or ``None`` if not allowed.

    Two test runs sharing one PostgreSQL database would drop each other's
    schema; with a database each, they can run side by side.
    """
    base = sa.engine.make_url(url)
    name = f"{base.database}_run{os.getpid()}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.DBAPIError:
        return None
    finally:
        admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _drop_database(url: str, private_url: str) -> None:
    admin = sa.create_engine(sa.engine.make_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{sa.engine.make_url(private_url).database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """Migrate one database per session: PostgreSQL itself, or a SQLite file to copy."""
    instance = tmp_path_factory.mktemp("instance")
    if ON_POSTGRES:
        private = _private_database(PG_URL)
        url = private or PG_URL
        _migrate(url, instance)
        yield url
        if private:
            _drop_database(PG_URL, private)
        return
    path = instance / "template.sqlite3"
    _migrate(f"sqlite:///{path}", instance)
    yield path


@pytest.fixture
def app(database_template, tmp_path):
    """Return an app bound to a clean, migrated database."""
    if ON_POSTGRES:
        url = database_template
    else:
        path = tmp_path / "test.sqlite3"
        shutil.copy(database_template, path)
        url = f"sqlite:///{path}"
    app = create_app(_config(url, tmp_path))
    app.test_client_class = FreshRequestClient
    with app.app_context():
        yield app
        db.session.remove()
        if ON_POSTGRES:
            tables = [t.name for t in db.metadata.sorted_tables if t.name not in SEEDED]
            with db.engine.begin() as conn:
                conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(app):
    """Factories for test data (see ``tests/factories.py``)."""
    from tests import factories

    return factories


@pytest.fixture
def count_queries(app):
    """Return a context manager whose value's ``count`` is the statements run inside it."""

    class Counted:
        count = 0

    @contextlib.contextmanager
    def counting():
        counted = Counted()

        def count(*args):
            counted.count += 1

        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            yield counted
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)

    return counting


@pytest.fixture
def books_stay_sound(app):
    """Fail the test when the books are unsound after it (ledger invariants and kept figures)."""
    yield
    assert ledger.check_ledger() == []
