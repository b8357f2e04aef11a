"""schemathesis against /api/v1/openapi.json: the API keeps every promise of its schema, and no more.

Fixed number of examples and a fixed seed (derandomize), so the run is the
same every time. ``positive_data_acceptance`` fails when the schema lets
through what the API refuses (an empty ``kpj`` once passed the schema and got
a 400), ``negative_data_rejection`` when the API takes what the schema forbids.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from donate.extensions import db, limiter

CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.negative_data_rejection,
    schemathesis.checks.positive_data_acceptance,
]


#: Examples per operation and generation mode.
EXAMPLES = 40


@pytest.fixture
def api_schema(app, make):
    """Load the published document from the app, on a database with a public campaign and a worker."""
    make.campaign("riau", regions=(("1402", 10),))
    worker = make.worker(make.campaign("other"), regency_code="1402")
    worker.kpj = "12345678901"
    db.session.commit()
    limiter.enabled = False  # exercise the validation, not the rate limit
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    limiter.enabled = True


@pytest.mark.parametrize("mode", list(schemathesis.GenerationMode), ids=lambda m: m.value)
def test_the_api_keeps_its_openapi_schema(api_schema, mode):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {op.label for op in operations} >= {"GET /campaigns", "GET /campaigns/{slug}", "POST /status"}
    for operation in operations:
        raw = operation.definition.raw
        if mode == schemathesis.GenerationMode.NEGATIVE and not (raw.get("parameters") or raw.get("requestBody")):
            continue  # nothing to get wrong
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def call(case):
            # identity: the WSGI transport does not undo the compression real clients ask for.
            case.call_and_validate(checks=CHECKS, headers={"Host": "lindungi.test", "Accept-Encoding": "identity"})

        call()


@pytest.mark.parametrize("body", [
    {"kpj": "", "birth_date": "1990-01-01"},
    {"nik": "", "full_name": "Budi"},
    {"nik": "3171011505900001", "full_name": "   "},
    {"kpj": "12345678901", "birth_date": "19900101"},
    {"kpj": "1234567890", "birth_date": "1990-01-01"},
    {"nik": "3171011505900001", "full_name": "Budi", "kpj": "12345678901"},
    {"nik": "3171011505900001"},
])
def test_what_the_api_refuses_the_published_schema_refuses(client, body):
    from jsonschema import Draft202012Validator

    document = client.get("/api/v1/openapi.json").get_json()
    query = document["components"]["schemas"]["StatusQuery"]
    assert client.post("/api/v1/status", json=body).status_code == 400
    assert not Draft202012Validator(query, format_checker=Draft202012Validator.FORMAT_CHECKER).is_valid(body)
