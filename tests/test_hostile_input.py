"""Walk every route of the URL map with hostile values in every form field and query parameter: no 5xx.

The field names come from every form class in ``donate.forms`` and every
``request.args/form/values.get("...")`` in the views, so a new field or
parameter is walked without anyone adding it here. Each request is made as
an administrator (who may open every page) and anonymously, on a campaign
with workers, gifts, a payment and a remittance batch, so the routes reach
their services rather than stopping at a 404.
"""

import glob
import html
import importlib
import json
import pkgutil
import re
from pathlib import Path

import pytest
from flask_wtf import FlaskForm
from wtforms.fields.core import UnboundField

import donate.forms
from donate import clock
from donate.extensions import db
from donate.models import Designation, Role
from donate.months import current_month
from donate.services.coverage.allocation import allocate_pool
from donate.services.remittance.batches import create_batch
from tests.manage_helpers import login, user

ROOT = Path(__file__).resolve().parent.parent

HOSTILE = [
    "a\x00b",                     # PostgreSQL refuses NUL in text
    "1" + "0" * 15,               # page=10^15
    "1" + "0" * 30,               # an income or amount of 10^30
    "2147483648",                 # 2^31: past a 32-bit integer column
    "9223372036854775808",        # 2^63: past bigint
    "-9223372036854775809",
    "²²²²²",                      # digits str.isdigit() accepts and int() refuses
    "٣٣٣",                        # Arabic-Indic digits, which int() accepts
    "0001-01-01",
    "9999-12-31",
    "1e309",
    "NaN",
    "x" * 5000,
    "' OR 1=1 --",
    "",
]
DEEP_JSON = "[" * 5000 + "]" * 5000


def form_field_names() -> set[str]:
    """Return the name of every field of every form in ``donate.forms``."""
    names = set()
    for info in pkgutil.iter_modules(donate.forms.__path__):
        module = importlib.import_module(f"donate.forms.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, FlaskForm):
                names.update(n for n in dir(value) if isinstance(getattr(value, n, None), UnboundField))
    return names


def request_parameter_names() -> set[str]:
    """Return every parameter the views read straight from the request."""
    names = set()
    for path in glob.glob(str(ROOT / "donate" / "views" / "**" / "*.py"), recursive=True):
        names.update(re.findall(r"request\.(?:args|form|values)\.get(?:list)?\(\s*[\"'](\w+)[\"']",
                                Path(path).read_text()))
    return names


@pytest.fixture
def world(app, make):
    """A campaign with workers, money, a payment and a remittance batch, and an administrator."""
    campaign = make.campaign("riau", regions=(("1402", 10),))
    workers = make.workers(campaign, 3)
    gift = make.paid_gift(campaign, 3 * 6 * 16_800, designation=Designation.infak, donor_email="d@example.org")
    allocate_pool(campaign, now=clock.now(), today=clock.today())
    batch = create_batch(campaign, current_month(clock.today()) - 3, current_month(clock.today()) + 11, user=None)
    admin = user("admin@example.org", Role.admin)
    db.session.commit()
    return {"slug": campaign.slug, "public_id": workers[0].public_id, "payment_id": gift.payments[0].id,
            "batch_id": batch.id, "donation_id": gift.id, "ref": gift.payments[0].provider_ref,
            "user_id": admin.id, "name": "funders", "admin": admin}


def _path_value(name: str, converter: str, world: dict, hostile: str | None):
    """Return a value for a path argument: a real one, or the hostile one where the route takes text."""
    if hostile is not None and converter in ("default", "string", "path"):
        return hostile
    for key, value in world.items():
        if key == name or name.endswith(key) or key.endswith(name):
            return value
    return 1 if converter == "int" else "x"


def _urls(app, world, hostile):
    converters = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        converters = {arg: type(conv).__name__.replace("Converter", "").lower()
                      for arg, conv in rule._converters.items()}
        values = {arg: _path_value(arg, converters[arg], world, None) for arg in rule.arguments}
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule, method, _build(rule, values)
            text_args = [a for a in rule.arguments if converters[a] in ("default", "string", "path")]
            if text_args and hostile:
                yield rule, method, _build(rule, {**values, **{a: hostile for a in text_args}})


def _build(rule, values) -> str:
    path = rule.rule
    for arg, value in values.items():
        path = re.sub(rf"<(?:[^:<>]+:)?{arg}>", str(value).replace("\x00", "%00").replace("/", "%2F"), path)
    return path


def _walk(app, client, world, who, failures):
    fields = form_field_names() | request_parameter_names()
    for hostile in HOSTILE:
        data = {name: hostile for name in fields}
        for rule, method, path in _urls(app, world, hostile.replace("\x00", "%00") if hostile else ""):
            if who is not None:
                db.session.refresh(who)
                login(client, who)
            try:
                if method == "GET":
                    response = client.get(path, query_string=data)
                elif rule.rule.startswith(("/api/", "/webhooks/")):
                    response = client.open(path, method=method, data=json.dumps(data), content_type="application/json")
                else:
                    response = client.open(path, method=method, data=data, query_string={"next": hostile})
            except Exception as exc:  # an exception the app did not turn into a response: a 500 in production
                db.session.rollback()
                failures.append((method, path[:80], repr(hostile[:20]), f"{type(exc).__name__}: {str(exc)[:200]}"))
                continue
            if response.status_code >= 500:
                failures.append((method, path[:80], repr(hostile[:20]), response.status_code))


@pytest.mark.parametrize("as_admin", [True, False], ids=["administrator", "anonymous"])
def test_no_route_answers_hostile_input_with_a_5xx(app, client, world, as_admin):
    app.config["RATELIMIT_ENABLED"] = False
    from donate.extensions import limiter

    limiter.enabled = False
    failures = []
    try:
        _walk(app, client, world, world["admin"] if as_admin else None, failures)
    finally:
        limiter.enabled = True
    assert failures == [], "\n".join(map(str, failures))


@pytest.mark.parametrize("body", [DEEP_JSON, '{"nik": ' * 3000 + "1" + "}" * 3000, '{"nik": "3171\\u0000", "full_name": "x"}',
                                  '{"kpj": "٣٣٣٣٣٣٣٣٣٣٣", "birth_date": "0001-01-01"}', "not json", "[]", "null"])
def test_status_api_answers_bad_json_with_a_400_that_says_what(client, body):
    response = client.post("/api/v1/status", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_request" and response.get_json()["message"]


def test_a_nul_byte_in_a_query_string_is_a_400_naming_the_parameter(client, app):
    response = client.get("/status/?lang=en&x=a%00b")
    assert response.status_code == 400
    text = html.unescape(response.get_data(as_text=True))
    assert "query 'x'" in text and "NUL" in text
    response = client.post("/auth/login?lang=en", data={"email": "a\x00@example.org", "password": "x"})
    assert response.status_code == 400 and "form 'email'" in html.unescape(response.get_data(as_text=True))


def test_a_200_kb_form_field_is_a_400_naming_it(client):
    response = client.post("/auth/login?lang=en", data={"email": "a@example.org", "password": "x" * 200_000})
    assert response.status_code == 400
    assert "form 'password'" in html.unescape(response.get_data(as_text=True))
