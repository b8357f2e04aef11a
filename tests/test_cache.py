"""The public figures' Redis cache never shows a figure older than the last committed change."""

import datetime as dt

import pytest
import sqlalchemy as sa
import time_machine
from redis import Redis

from donate import cache, clock
from donate.extensions import db
from donate.models import Designation, DonationKind, Verification, Worker
from donate.services.campaigns.settings import CampaignSettings, update_campaign
from donate.services.coverage.allocation import allocate_pool
from donate.services.workers.imports import import_workers
from donate.services.workers.registry import update_worker, verify_workers
from tests.conftest import PREMIUM, REDIS_URL

needs_redis = pytest.mark.skipif(not REDIS_URL, reason="no Redis to cache in (set DONATE_TEST_REDIS_URL)")


@pytest.fixture
def cached(app):
    """Turn the cache on for the app; remove what this test cached afterwards (never the whole database)."""
    app.config["CACHE_URL"] = REDIS_URL
    cache._down_until = 0.0
    yield
    client = Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"lindungi:{cache.SCHEMA}:progress:*"):
        client.delete(key)
    app.extensions.pop("lindungi_cache", None)


def api(client, slug: str = "cached") -> dict:
    response = client.get(f"/api/v1/campaigns/{slug}")
    assert response.status_code == 200
    return response.get_json()


def settings(campaign, **changes) -> CampaignSettings:
    values = dict(name=campaign.name, target_workers=campaign.target_workers, term_months=campaign.term_months,
                  mustahik_only=campaign.mustahik_only, occupations=campaign.occupations,
                  regions=[(r.code, r.target_workers) for r in campaign.regions])
    values.update(changes)
    return CampaignSettings(**values)


@needs_redis
def test_every_committed_change_shows_at_once(app, client, make, cached, books_stay_sound):
    campaign = make.campaign("cached", regions=(("1402", 5),))
    workers = make.workers(campaign, 4, regency_code="1402")
    db.session.commit()
    first = api(client)
    assert first["workers_waiting"] == 4
    assert list(Redis.from_url(REDIS_URL).scan_iter(f"lindungi:{cache.SCHEMA}:progress:{campaign.id}:*"))
    assert api(client) == first  # served from the cache, the same figures

    steps = [
        lambda: make.paid_gift(campaign, 2 * 6 * PREMIUM, donor_email="a@example.org"),
        lambda: allocate_pool(campaign, today=clock.today(), now=clock.now()),
        lambda: make.paid_gift(campaign, PREMIUM, kind=DonationKind.worker, worker=workers[3], months=1,
                               designation=Designation.csr, donor_email="b@example.org"),
        lambda: update_worker(workers[2], user=None, verification=Verification.rejected, reason="data ganda",
                              is_mustahik=True, consent=True, priority=0, now=clock.now()),
        lambda: make.worker(campaign, regency_code="1402", verified=False),
        lambda: verify_workers(campaign, [w.public_id for w in campaign_workers(campaign)], user=None),
        lambda: import_workers(campaign, make.worker_csv([make.csv_row(regency_code="1402")]), today=clock.today(),
                               now=clock.now()),
        lambda: update_campaign(campaign, settings(campaign, name="Renamed", term_months=3,
                                                   regions=[("1402", 7), ("1471", None)]), user=None),
        lambda: update_campaign(campaign, settings(campaign, occupations=["nelayan"]), user=None),
    ]
    seen = [first]
    for step in steps:
        step()
        db.session.commit()
        uncached = figures_from_database(app, client)
        assert api(client) == uncached
        seen.append(uncached)
    assert len({repr(figures) for figures in seen}) == len(seen), "every step changed some figure"


def campaign_workers(campaign):
    return db.session.scalars(sa.select(Worker).where(Worker.campaign_id == campaign.id)).all()


def figures_from_database(app, client) -> dict:
    """Return the API's answer with the cache turned off."""
    url = app.config["CACHE_URL"]
    app.config["CACHE_URL"] = ""
    try:
        return api(client)
    finally:
        app.config["CACHE_URL"] = url


@needs_redis
def test_a_lapsed_worker_waits_again_on_a_later_day_whatever_was_cached(app, client, make, cached):
    campaign = make.campaign("cached", term_months=1)
    make.workers(campaign, 2)
    make.paid_gift(campaign, 2 * PREMIUM, donor_email="a@example.org")
    allocate_pool(campaign, today=clock.today(), now=clock.now())
    db.session.commit()
    assert api(client)["workers_waiting"] == 0
    with time_machine.travel(dt.datetime.combine(clock.today() + dt.timedelta(days=31 * 5), dt.time(12)),
                             tick=False):
        assert api(client)["workers_waiting"] == 2  # out of the arrears window: waiting again


@needs_redis
def test_an_uncommitted_change_is_neither_cached_nor_hidden(app, client, make, cached):
    campaign = make.campaign("cached")
    make.workers(campaign, 2)
    db.session.commit()
    assert api(client)["workers_registered"] == 2
    make.worker(campaign)  # the test's session is the requests' session: not committed yet
    assert api(client)["workers_registered"] == 3
    db.session.rollback()
    assert api(client)["workers_registered"] == 2


def test_without_a_reachable_redis_the_figures_come_from_the_database(app, client, make):
    app.config["CACHE_URL"] = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
    cache._down_until = 0.0
    try:
        campaign = make.campaign("cached")
        make.workers(campaign, 3)
        db.session.commit()
        assert api(client)["workers_registered"] == 3
        make.worker(campaign)
        db.session.commit()
        assert api(client)["workers_registered"] == 4
    finally:
        cache._down_until = 0.0
        app.extensions.pop("lindungi_cache", None)

