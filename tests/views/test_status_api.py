"""The OpenAPI document: valid OpenAPI 3.1, and every documented response matches a real one."""

import pytest
import sqlalchemy as sa
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import (
    WerkzeugOpenAPIRequest,
    WerkzeugOpenAPIResponse,
)
from openapi_spec_validator import validate
from werkzeug.test import EnvironBuilder

from donate import clock
from donate.extensions import db, limiter
from donate.models import CoverageMonth, CoverageState, Designation, DonationKind
from donate.services.coverage.allocation import allocate_pool
from donate.services.money.donations import (
    confirm_payment,
    create_donation,
    start_payment,
)
from donate.services.workers.registry import worker_nik


@pytest.fixture
def spec(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_document_is_valid_openapi_3_1(spec):
    validate(spec)
    assert spec["openapi"].startswith("3.1")
    assert spec["servers"] == [{"url": "http://lindungi.test/api/v1"}]


def _documented(spec) -> set[tuple[str, str, str]]:
    return {(path, method.upper(), code)
            for path, operations in spec["paths"].items()
            for method, operation in operations.items()
            for code in operation["responses"]}


def test_every_documented_response_matches_a_real_response(app, client, make, spec):
    openapi = OpenAPI.from_dict(spec)
    campaign = make.campaign("riau", name="Pekerja Rentan Riau", regions=(("1402", 10), ("1471", None)))
    budi = make.worker(campaign, full_name="Budi Santoso", regency_code="1402")
    siti = make.worker(campaign, full_name="Siti Aminah")
    late = make.worker(campaign)
    make.worker(campaign, verified=False)
    make.paid_gift(campaign, 6 * 16_800, designation=Designation.csr, funder="APBD Provinsi Riau")
    allocate_pool(campaign, now=clock.now(), today=clock.today())
    donation = create_donation(campaign, kind=DonationKind.worker, designation=Designation.infak,
                               amount_idr=6 * 16_800, worker=siti, months=6, is_anonymous=True)
    confirm_payment(start_payment(donation, "sandbox", "sbx_openapi").id, now=clock.now(), today=clock.today())
    db.session.execute(sa.update(CoverageMonth).where(CoverageMonth.worker_id == siti.id)
                       .values(state=CoverageState.accepted))
    siti.kpj = "12345678901"
    make.campaign("kalbar", target_workers=3533)
    db.session.commit()

    calls = [
        ("get", "/api/v1/campaigns", {}),
        ("get", "/api/v1/campaigns/riau", {}),
        ("get", "/api/v1/campaigns/no-such-campaign", {}),
        ("get", "/api/v1/campaigns/riau%00", {}),
        ("get", "/api/v1/openapi.json", {}),
        ("post", "/api/v1/status", {"json": {"nik": worker_nik(budi), "full_name": "budi santoso"}}),
        ("post", "/api/v1/status", {"json": {"kpj": "12345678901", "birth_date": siti.birth_date.isoformat()}}),
        ("post", "/api/v1/status", {"json": {"nik": worker_nik(late), "full_name": late.full_name}}),
        ("post", "/api/v1/status", {"json": {"nik": worker_nik(budi), "full_name": "Someone Else"}}),
        ("post", "/api/v1/status", {"json": {"nik": "1234", "full_name": "x"}}),
    ]
    seen = set()
    statuses = set()

    def check(method, path, kwargs):
        response = getattr(client, method)(path, **kwargs)
        # The test client's request body is consumed; rebuild the same request for the validator.
        request = EnvironBuilder(path=path, method=method.upper(), base_url="http://lindungi.test",
                                 **kwargs).get_request()
        if response.status_code == 400:  # the API refuses exactly what the schema refuses
            with pytest.raises(Exception, match="not valid|Invalid"):
                openapi.validate_request(WerkzeugOpenAPIRequest(request))
        else:
            openapi.validate_request(WerkzeugOpenAPIRequest(request))
        openapi.validate_response(WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response))
        template = "/campaigns/{slug}" if path.startswith("/api/v1/campaigns/") else path.removeprefix("/api/v1")
        seen.add((template, method.upper(), str(response.status_code)))
        if path == "/api/v1/status" and response.status_code == 200:
            statuses.add(response.get_json()["status"])
        return response

    for call in calls:
        check(*call)
    app.config["STATUS_RATELIMIT_WORKER"] = "1 per hour"
    query = {"json": {"nik": worker_nik(late), "full_name": "x"}}
    codes = [check("post", "/api/v1/status", query).status_code for _ in range(3)]
    assert codes[-1] == 429

    assert statuses == {"protected", "funded", "waiting", "not_found"}
    assert seen == _documented(spec)
    limiter.reset()


def test_read_only_endpoints_are_open_to_every_origin(client, make):
    make.campaign("riau")
    db.session.commit()
    for path in ("/api/v1/campaigns", "/api/v1/campaigns/riau", "/api/v1/openapi.json"):
        response = client.get(path, headers={"Origin": "https://partner.example"})
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    preflight = client.options("/api/v1/campaigns", headers={
        "Origin": "https://partner.example", "Access-Control-Request-Method": "GET"})
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    status = client.post("/api/v1/status", json={"nik": "1", "full_name": "x"},
                         headers={"Origin": "https://partner.example"})
    assert "Access-Control-Allow-Origin" not in status.headers
