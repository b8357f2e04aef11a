"""Settings: defaults here, then ``instance/config.py``, then ``DONATE_*`` variables."""

import json
import os
import secrets
from pathlib import Path

from .security import normalise_env

#: Prefix of the environment variables that override settings.
ENV_PREFIX = "DONATE_"


class Defaults:
    """Settings used when nothing else is configured."""

    #: ``None`` means SQLite at ``instance/donate.sqlite3``.
    DATABASE_URL = None
    #: Explicit overrides; otherwise generated into ``instance/`` on first run.
    SECRET_KEY = None
    ENCRYPTION_KEY = None
    #: Enabled providers, default first ("midtrans,bank_transfer"); empty: those whose keys are set, else the sandbox.
    PAYMENT_PROVIDER = ""
    STRIPE_SECRET_KEY = ""
    STRIPE_WEBHOOK_SECRET = ""
    STRIPE_API_BASE = ""
    #: Setting the server key enables Midtrans (QRIS, e-wallets, virtual accounts, cards).
    MIDTRANS_SERVER_KEY = ""
    MIDTRANS_CLIENT_KEY = ""
    #: False: Midtrans's sandbox; true: real money.
    MIDTRANS_PRODUCTION = False
    #: Point the Core API and Snap at another address (tests, a proxy).
    MIDTRANS_API_BASE = ""
    MIDTRANS_SNAP_BASE = ""
    #: Hours a virtual account stays payable (Midtrans's default is 24); the worker's hold lasts as long.
    VA_HOURS = 24
    #: Who carries SMS/WhatsApp notices to workers (``donate.messaging``); "log" writes them to the log only.
    MESSAGE_PROVIDER = "log"
    #: "whatsapp" or "sms": how notices to workers are labelled and sent.
    MESSAGE_CHANNEL = "whatsapp"
    #: The foundation's account for plain bank transfers; setting the number enables them.
    BANK_NAME = ""
    BANK_ACCOUNT_NUMBER = ""
    BANK_ACCOUNT_NAME = ""
    #: Hours a bank transfer's unique amount stays reserved for its donor.
    BANK_TRANSFER_HOURS = 24
    RATELIMIT_STORAGE_URI = "memory://"
    #: No X-RateLimit-* headers: on the status check they would tell anyone how often a NIK was asked about.
    RATELIMIT_HEADERS_ENABLED = False
    #: If Redis is unreachable, limited routes answer 503 (fail closed): each process counting alone in
    #: its memory would multiply every limit by the number of processes.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = False
    RATELIMIT_SWALLOW_ERRORS = False
    #: Status look-ups per client; failed look-ups per client and worker asked about (keyed by a hash
    #: of the NIK or KPJ), so strangers' failures never lock the family out.
    STATUS_RATELIMIT_CLIENT = "10 per minute;60 per hour"
    STATUS_RATELIMIT_WORKER = "5 per 10 minutes;20 per day"
    #: Minutes a named worker stays reserved for a donor paying by card, QRIS or e-wallet.
    HOLD_MINUTES = 30
    #: "development", "test" or "production" (any case; "prod" counts). Anything but development
    #: or test is treated as production: secure cookies, HSTS, and no sandbox provider.
    ENV = "development"
    #: Largest request body (an uploaded CSV) in megabytes; larger ones get a 413.
    MAX_UPLOAD_MB = 20
    #: Reverse proxies in front of the app that set X-Forwarded-For/-Proto (0: none, trust nothing).
    TRUSTED_PROXIES = 0
    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "Asia/Jakarta"
    #: The catalogs ship inside the package; absolute because templates live outside it.
    BABEL_TRANSLATION_DIRECTORIES = str(Path(__file__).resolve().parent / "translations")
    LANGUAGES = ["id", "en"]
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    #: Where the site is reached, for links in emails sent from the command line (``tick``).
    PUBLIC_URL = "http://127.0.0.1:5000"
    #: Institution named on receipts.
    INSTITUTION_NAME = "Lindungi"
    #: SMTP delivery; with no server, mail only goes to the outbox table and the log.
    MAIL_SERVER = ""
    MAIL_PORT = 587
    MAIL_USE_TLS = True
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    #: Seconds to wait for the SMTP server before the delivery counts as failed (and is retried).
    MAIL_TIMEOUT = 20
    #: Sender address, e.g. "Lindungi <noreply@lindungi.id>".
    MAIL_FROM = ""
    #: Response compression (Flask-Compress): brotli for browsers that take it, else gzip.
    COMPRESS_ALGORITHM = ["br", "gzip"]
    #: Redis for the job queue (RQ), e.g. "redis://127.0.0.1:6379/1"; empty: jobs run in the web process.
    REDIS_URL = ""
    #: Without Redis: "thread" (off the request, the default) or "eager" (at once, the tests' default).
    JOBS_MODE = ""
    #: The RQ queue's name.
    JOBS_QUEUE = "lindungi"
    #: Redis that caches the public figures of each campaign (keyed by their version, so never stale);
    #: empty: ``REDIS_URL``'s, and with neither the figures are read from the database every time.
    CACHE_URL = ""
    #: Seconds a cached figure is kept (a new version replaces it at once); 0 turns the cache off.
    CACHE_SECONDS = 600


def _coerce(raw: str, default):
    """Turn an environment string into the type of its default."""
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, list):
        return json.loads(raw) if raw.startswith("[") else [p.strip() for p in raw.split(",") if p.strip()]
    return raw


def load_config(app, test_config=None):
    """Fill ``app.config`` from defaults, instance file, environment, then test overrides."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    for key, raw in os.environ.items():
        if key.startswith(ENV_PREFIX):
            name = key[len(ENV_PREFIX):]
            app.config[name] = _coerce(raw, app.config.get(name, ""))
    if test_config:
        app.config.update(test_config)
    app.config["ENV"] = normalise_env(app.config.get("ENV"))

    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    url = app.config.get("DATABASE_URL") or f"sqlite:///{instance / 'donate.sqlite3'}"
    app.config["DATABASE_URL"] = url
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("sqlite"):
        # Wait for the writer instead of failing at once; see extensions.configure_sqlite.
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"connect_args": {"timeout": 30}})
    else:
        app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {"pool_pre_ping": True})
    # A failed statement must not write its values (workers' names, birth dates) into the log.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"].setdefault("hide_parameters", True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key", lambda: secrets.token_hex(32))
    if not app.config.get("ENCRYPTION_KEY"):
        app.config["ENCRYPTION_KEY"] = _instance_secret(
            instance / "encryption_key", lambda: secrets.token_urlsafe(32)
        )


def _instance_secret(path: Path, make) -> str:
    """Read a secret from ``path``, creating it (mode 0600) on first run."""
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    value = make()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker process won the race
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(value)
    return value
