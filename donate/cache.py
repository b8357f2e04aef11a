"""A Redis cache on top of figures that are right without it.

Only values whose key names the exact state they were computed from are
cached (a campaign's progress under its figures version, see
``services.locks``), so a committed change is never hidden by the cache: it
moves the key. With no Redis configured, or Redis unreachable, every value
is computed as if there were no cache; after a failure Redis is left alone
for ``RETRY_SECONDS`` so a dead server does not slow each request down.
"""

import hashlib
import json
import logging
import os
import time
from pathlib import Path

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

#: Seconds to wait for Redis before computing without it; and to leave it alone after a failure.
TIMEOUT_SECONDS, RETRY_SECONDS = 0.25, 30.0
#: Changes with every migration (the premium schedule and the figures' tables only change through one),
#: so values cached by an older release are never read by a newer one.
SCHEMA = hashlib.sha256(" ".join(sorted(
    os.listdir(Path(__file__).resolve().parent / "migrations" / "versions"))).encode()).hexdigest()[:12]

_down_until = 0.0


def _client() -> Redis | None:
    """Return this app's cache connection, or ``None`` when there is no cache (or Redis just failed)."""
    config = current_app.config
    url = config.get("CACHE_URL") or config.get("REDIS_URL")
    if not url or not config.get("CACHE_SECONDS") or time.monotonic() < _down_until:
        return None
    client = current_app.extensions.get("lindungi_cache")
    if client is None:
        client = Redis.from_url(url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS)
        current_app.extensions["lindungi_cache"] = client
    return client


def _failed(error: RedisError) -> None:
    global _down_until
    _down_until = time.monotonic() + RETRY_SECONDS
    log.warning("cache unavailable for %s s: %s", RETRY_SECONDS, error)


def remembered(key: str, compute):
    """Return the JSON value cached under ``key``, else ``compute()``'s, cached for next time."""
    client = _client()
    if client is None:
        return compute()
    key = f"lindungi:{SCHEMA}:{key}"
    try:
        cached = client.get(key)
    except RedisError as error:
        _failed(error)
        return compute()
    if cached is not None:
        return json.loads(cached)
    value = compute()
    try:
        client.set(key, json.dumps(value, separators=(",", ":")), ex=current_app.config["CACHE_SECONDS"])
    except RedisError as error:
        _failed(error)
    return value
