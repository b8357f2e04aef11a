"""What every request and response goes through: hostile input refused, security headers, proxies.

Kept in one place so that no blueprint has to remember them: a NUL byte or a
JSON document nested past ``MAX_JSON_DEPTH`` is refused with a 400 that names
the field before any view runs, every response carries a strict CSP (no
inline script or style) and the usual headers, and uploads over
``MAX_UPLOAD_MB`` get a 413 page.
"""

import json
from urllib.parse import urlsplit

from flask import current_app, jsonify, render_template, request
from flask.json.provider import DefaultJSONProvider
from redis.exceptions import RedisError
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

#: Environments in which test-only parts (the sandbox provider) may run; anything else is production.
DEVELOPMENT_ENVS = ("development", "test")
_ENV_ALIASES = {"prod": "production", "live": "production", "dev": "development", "local": "development",
                "testing": "test"}
#: Deeper JSON than any request of this API needs; Python's parser would hit its recursion limit.
MAX_JSON_DEPTH = 32
#: Form and query keys and values longer than this are refused (the longest real field, the region list, takes 20,000).
MAX_FIELD_CHARS = 50_000
#: Query parameters that number pages of results, on every paginated view, and their bound.
PAGE_PARAMETERS = ("page", "per_page")
MAX_PAGE = 100_000
#: The policy of every page: nothing inline, nothing from elsewhere. ``form-action`` is left out on
#: purpose: checkout forms redirect to the payment provider's own page, which it would block.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors {ancestors}")
HSTS = "max-age=31536000"


def normalise_env(value) -> str:
    """Return the environment's canonical name: trimmed, lower-case, ``prod`` → ``production``."""
    name = str(value or "").strip().lower() or "development"
    return _ENV_ALIASES.get(name, name)


def is_development(app=None) -> bool:
    """Return whether the app runs explicitly in development or test (anything else counts as production)."""
    return (app or current_app).config["ENV"] in DEVELOPMENT_ENVS


def local_path(target) -> str | None:
    """Return ``target`` if it is a path on this site, else ``None``.

    Browsers drop tabs and newlines inside URLs and read a backslash as ``/``, so
    ``/<tab>/evil.example`` means ``//evil.example``: any control character,
    space or backslash disqualifies the target, as does a scheme or a host.
    """
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return None
    if len(target) > 2000 or any(ord(c) < 0x21 or c in "\\\x7f" for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def safe_next(default: str, name: str = "next") -> str:
    """Return the request's ``name`` parameter if it is a path on this site, else ``default``."""
    return local_path(request.values.get(name)) or default


def content_security_policy(frame_ancestors: str = "'none'") -> str:
    """Return the CSP header value, framable only by ``frame_ancestors``."""
    return CSP.format(ancestors=frame_ancestors)


class InputRefused(BadRequest):
    """A request carrying what no field may hold; ``field`` says where."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _depth(value, limit: int) -> int:
    """Return how deeply ``value`` nests, stopping once past ``limit``."""
    stack, deepest = [(value, 1)], 0
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if deepest > limit:
                return deepest
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _has_nul(value) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class GuardedJSONProvider(DefaultJSONProvider):
    """Parse JSON like Flask does, but turn a nesting bomb into a ``ValueError`` instead of a crash."""

    def loads(self, s, **kwargs):
        """Parse ``s``; refuse documents nested deeper than ``MAX_JSON_DEPTH`` or holding a NUL."""
        if isinstance(s, (bytes, bytearray)):
            s = s.decode("utf-8", "replace")
        opened = 0
        for char in s:  # cheap pre-check: json.loads would recurse once per bracket
            if char in "[{":
                opened += 1
                if opened > MAX_JSON_DEPTH:
                    break
            elif char in "]}":
                opened -= 1
        try:
            value = json.loads(s, **kwargs) if opened <= MAX_JSON_DEPTH else None
        except RecursionError:
            value, opened = None, MAX_JSON_DEPTH + 1
        if opened > MAX_JSON_DEPTH or _depth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
            raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
        if _has_nul(value):
            raise ValueError("JSON text contains a NUL character")
        return value


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def refuse_hostile_input():
    """Refuse NUL bytes and absurdly long values in the path, query string and form, and bad JSON."""
    if "\x00" in request.path:
        raise InputRefused("path", "contains a NUL character")
    sources = [("query", request.args)]
    if request.mimetype in _FORM_TYPES:
        sources.append(("form", request.form))
    for where, values in sources:
        for key, value in values.items(multi=True):
            name = f"{where} {key[:40]!r}"
            if "\x00" in key or "\x00" in value:
                raise InputRefused(name, "contains a NUL character")
            if len(key) > 200 or len(value) > MAX_FIELD_CHARS:
                raise InputRefused(name, f"longer than {MAX_FIELD_CHARS:,} characters")
    for key in PAGE_PARAMETERS:
        value = request.args.get(key)
        if value is not None and not (value.isascii() and value.isdigit() and 1 <= int(value[:12]) <= MAX_PAGE):
            raise InputRefused(f"query {key!r}", f"a whole number from 1 to {MAX_PAGE:,}")
    if request.is_json and request.content_length != 0 and request.method in ("POST", "PUT", "PATCH"):
        try:
            current_app.json.loads(request.get_data(cache=True))
        except ValueError as exc:
            raise InputRefused("body", f"not valid JSON ({exc})") from None


def add_security_headers(response):
    """Give every response the security headers a blueprint has not set itself."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy())
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if "frame-ancestors 'none'" in headers["Content-Security-Policy"]:
        headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if not is_development():
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/webhooks/"))


def render_error(error: HTTPException):
    """Answer a 400 or 413 with what was wrong: JSON under /api/, a page elsewhere."""
    if error.code == 413:
        limit = current_app.config["MAX_UPLOAD_MB"]
        message = _("The file is larger than %(limit)s MB. Split it into smaller files and upload each.",
                    limit=limit)
        field = "body"
    elif isinstance(error, InputRefused):
        field, message = error.field, error.message
    else:
        field, message = None, error.description
    if _wants_json():
        body = {"error": "too_large" if error.code == 413 else "invalid_request", "message": message}
        if field:
            body["field"] = field
        return jsonify(body), error.code
    return render_template("errors/error.html", code=error.code, field=field, message=message), error.code


def storage_down(error):
    """Refuse a rate-limited request while the limit storage (Redis) is unreachable: fail closed, not open."""
    current_app.logger.error("rate-limit storage unreachable: %s", type(error).__name__)
    message = _("This service is briefly unavailable. Please try again in a minute.")
    if _wants_json():
        response = jsonify(error="unavailable", message=message)
    else:
        response = current_app.make_response(render_template("errors/error.html", code=503, field=None,
                                                             message=message))
    response.status_code = 503
    response.headers["Retry-After"] = "60"
    return response


def init_app(app) -> None:
    """Install the input checks, error pages, headers, cookie flags and proxy handling."""
    app.json = GuardedJSONProvider(app)
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_UPLOAD_MB"]) * 1024 * 1024
    app.config["MAX_FORM_MEMORY_SIZE"] = 1024 * 1024
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    app.config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    if not is_development(app):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    app.before_request(refuse_hostile_input)
    app.after_request(add_security_headers)
    app.register_error_handler(400, render_error)
    app.register_error_handler(413, render_error)
    app.register_error_handler(RedisError, storage_down)
