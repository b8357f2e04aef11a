"""Rate limits on the status check, per client and per worker, in memory and in Redis.

The Redis case runs when ``DONATE_TEST_REDIS_URL`` is set or a local Redis answers
(see ``tests/conftest.py``); parametrising over the storages means nothing is ever skipped.
"""

import uuid

import pytest

from donate import create_app
from donate.extensions import db, limiter
from donate.services.workers.registry import worker_nik
from tests.conftest import REDIS_URL

STORAGES = ["memory://"] + ([REDIS_URL] if REDIS_URL else [])


@pytest.fixture(params=STORAGES, ids=lambda uri: uri.split(":")[0])
def limited(request, app):
    """Return a factory of apps on the test database with the given status limits and rate-limit storage."""
    made = []

    def build(client_limit="100 per minute", worker_limit="100 per minute"):
        second = create_app({
            "TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"], "INSTANCE_PATH": app.instance_path,
            "SECRET_KEY": "test-secret-key", "ENCRYPTION_KEY": app.config["ENCRYPTION_KEY"],
            "PAYMENT_PROVIDER": "sandbox", "WTF_CSRF_ENABLED": False,
            "RATELIMIT_STORAGE_URI": request.param, "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            "STATUS_RATELIMIT_CLIENT": client_limit, "STATUS_RATELIMIT_WORKER": worker_limit,
        })
        second.test_client_class = app.test_client_class
        made.append(second)
        return second

    yield build
    for second in made:
        with second.app_context():
            limiter.reset()
            db.engine.dispose()


def _client(app, address):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_per_client_limit_trips_with_a_retry_time(make, limited):
    campaign = make.campaign()
    workers = make.workers(campaign, 5)
    db.session.commit()
    app = limited(client_limit="3 per minute")
    client = _client(app, "10.1.1.1")
    for worker in workers[:3]:
        assert client.post("/status/", data={"nik": worker_nik(worker), "full_name": worker.full_name}).status_code == 200

    page = client.post("/status/", data={"nik": worker_nik(workers[3]), "full_name": "x"})
    assert page.status_code == 429
    assert 1 <= int(page.headers["Retry-After"]) <= 60
    assert worker_nik(workers[3]) not in page.get_data(as_text=True)
    api = client.post("/api/v1/status", json={"nik": worker_nik(workers[4]), "full_name": "x"})
    assert api.status_code == 429
    assert api.get_json()["error"] == "rate_limited"
    assert 1 <= api.get_json()["retry_after"] <= 60
    # Another client is not affected.
    other = _client(app, "10.1.1.2")
    assert other.post("/status/", data={"nik": worker_nik(workers[4]), "full_name": "x"}).status_code == 200


def test_a_strangers_wrong_guesses_do_not_lock_the_family_out(make, limited):
    campaign = make.campaign()
    budi, siti = make.workers(campaign, 2)
    budi.kpj = "12345678901"
    db.session.commit()
    app = limited(worker_limit="2 per minute")
    nik = worker_nik(budi)
    stranger = _client(app, "10.2.0.1")
    assert stranger.post("/status/", data={"nik": nik, "full_name": "Wrong"}).status_code == 200
    # Spaces do not make it a different NIK, and the page and the API count together.
    spaced = f"{nik[:6]} {nik[6:12]} {nik[12:]}"
    assert stranger.post("/api/v1/status", json={"nik": spaced, "full_name": "Wrong"}).status_code == 200
    assert stranger.post("/status/", data={"nik": nik, "full_name": budi.full_name}).status_code == 429
    # The family, on its own phone, gets its answer, however often the stranger failed.
    family = _client(app, "10.2.0.9")
    for _ in range(5):
        answer = family.post("/api/v1/status", json={"nik": nik, "full_name": budi.full_name})
        assert answer.status_code == 200 and answer.get_json()["status"] == "waiting"
    # The stranger may still ask about another worker, and the KPJ path for this one stays open.
    assert stranger.post("/status/", data={"nik": worker_nik(siti), "full_name": siti.full_name}).status_code == 200
    kpj = {"kpj": "12345678901", "birth_date": budi.birth_date.isoformat()}
    assert stranger.post("/status/kpj", data=kpj).status_code == 200


def test_right_answers_never_count_as_failures(make, limited):
    campaign = make.campaign()
    budi = make.worker(campaign)
    db.session.commit()
    app = limited(worker_limit="1 per minute")
    family = _client(app, "10.5.0.1")
    for _ in range(4):
        assert family.post("/status/", data={"nik": worker_nik(budi), "full_name": budi.full_name}).status_code == 200


def test_kpj_failures_are_limited_per_client_and_kpj(make, limited):
    campaign = make.campaign()
    budi = make.worker(campaign)
    budi.kpj = "12345678901"
    db.session.commit()
    app = limited(worker_limit="1 per minute")
    wrong = {"kpj": "12345678901", "birth_date": "1990-01-01"}
    right = {"kpj": "12345678901", "birth_date": budi.birth_date.isoformat()}
    stranger = _client(app, "10.3.0.1")
    assert stranger.post("/api/v1/status", json=wrong).get_json()["status"] == "not_found"
    assert stranger.post("/status/kpj", data=right).status_code == 429
    assert _client(app, "10.3.0.2").post("/api/v1/status", json=right).get_json()["status"] == "waiting"


def test_no_rate_limit_headers_tell_how_often_a_nik_was_checked(make, limited):
    campaign = make.campaign()
    budi = make.worker(campaign)
    db.session.commit()
    app = limited(worker_limit="3 per minute")
    for path, kwargs in (("/status/", {"data": {"nik": worker_nik(budi), "full_name": "x"}}),
                         ("/api/v1/status", {"json": {"nik": worker_nik(budi), "full_name": "x"}})):
        response = _client(app, "10.6.0.1").post(path, **kwargs)
        assert not [h for h in response.headers.keys() if h.lower().startswith("x-ratelimit")]


def test_without_redis_the_status_check_fails_closed(make, limited, app):
    """Each process counting alone in memory would multiply the limits; refuse instead."""
    campaign = make.campaign()
    budi = make.worker(campaign)
    db.session.commit()
    down = create_app({
        "TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"], "INSTANCE_PATH": app.instance_path,
        "SECRET_KEY": "test-secret-key", "ENCRYPTION_KEY": app.config["ENCRYPTION_KEY"],
        "PAYMENT_PROVIDER": "sandbox", "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0",  # nothing listens there
    })
    client = down.test_client()
    page = client.post("/status/", data={"nik": worker_nik(budi), "full_name": budi.full_name})
    assert page.status_code == 503 and page.headers["Retry-After"] == "60"
    api = client.post("/api/v1/status", json={"nik": worker_nik(budi), "full_name": budi.full_name})
    assert api.status_code == 503 and api.get_json()["error"] == "unavailable"
    with down.app_context():
        db.engine.dispose()


def test_limit_keys_never_hold_the_nik(make, limited):
    campaign = make.campaign()
    budi = make.worker(campaign)
    db.session.commit()
    app = limited()
    _client(app, "10.4.0.1").post("/status/", data={"nik": worker_nik(budi), "full_name": "Wrong Name"})
    storage = limiter.storage
    if isinstance(storage.storage, dict):  # memory
        keys = list(storage.storage)
    else:  # a Redis client
        keys = [k.decode() if isinstance(k, bytes) else k for k in storage.storage.keys("*")]
    assert any("nik:" in key for key in keys)
    assert not any(worker_nik(budi) in key for key in keys)
