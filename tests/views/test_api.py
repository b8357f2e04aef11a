"""The public JSON API under /api/v1/."""

from donate.extensions import db
from donate.models import CampaignStatus

#: DESIGN "JSON API": the fields of a campaign, and the ones added since (claims BPJS paid), no more, no less.
FIELDS = {
    "slug", "name", "target_workers", "term_months", "workers_registered", "workers_waiting",
    "workers_funded", "workers_protected", "worker_months_funded", "raised_idr", "allocated_idr",
    "pool_balance_idr", "donors", "premium_idr", "regions",
} | {"claims_paid", "claims_paid_idr"}
EXPECTED = {
    "slug": "riau-2018",
    "name": "Pekerja Rentan Riau 2018",
    "target_workers": 1000,
    "term_months": 6,
    "workers_registered": 5,
    "workers_waiting": 1,
    "workers_funded": 3,
    "workers_protected": 0,
    "worker_months_funded": 18,
    "raised_idr": 353_400,
    "allocated_idr": 302_400,
    "pool_balance_idr": 51_000,
    "donors": 2,
    "premium_idr": 16_800,
    "claims_paid": 0,
    "claims_paid_idr": 0,
    "regions": [
        {"code": "1402", "name": "Indragiri Hulu", "target_workers": 10, "workers_funded": 2},
        {"code": "1471", "name": "Pekanbaru", "target_workers": None, "workers_funded": 1},
    ],
}


def test_campaign_has_exactly_the_design_fields_with_their_values(client, make):
    make.campaign_with_progress()
    response = client.get("/api/v1/campaigns/riau-2018")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == FIELDS
    assert body == EXPECTED
    assert all(set(region) == {"code", "name", "target_workers", "workers_funded"} for region in body["regions"])


def test_campaign_list(client, make):
    make.campaign_with_progress()
    make.campaign("kalbar", target_workers=3533)
    make.campaign("belum-dibuka", status=CampaignStatus.draft)
    db.session.commit()
    response = client.get("/api/v1/campaigns")
    assert response.status_code == 200
    body = response.get_json()
    assert [item["slug"] for item in body] == ["riau-2018", "kalbar"]
    assert all(set(item) == FIELDS for item in body)
    assert body[0] == EXPECTED
    empty = body[1]
    assert (empty["target_workers"], empty["workers_funded"], empty["raised_idr"], empty["regions"]) == (3533, 0, 0, [])


def test_empty_list(client):
    response = client.get("/api/v1/campaigns")
    assert response.status_code == 200
    assert response.get_json() == []


def test_unknown_or_draft_campaign_is_a_json_404(client, make):
    make.campaign("belum-dibuka", status=CampaignStatus.draft)
    db.session.commit()
    for slug in ("nowhere", "belum-dibuka"):
        response = client.get(f"/api/v1/campaigns/{slug}")
        assert response.status_code == 404
        assert response.mimetype == "application/json"
        assert response.get_json() == {"error": "not_found"}


def test_closed_campaign_is_still_reported(client, make):
    make.campaign("selesai", status=CampaignStatus.closed)
    db.session.commit()
    response = client.get("/api/v1/campaigns/selesai")
    assert response.status_code == 200
    assert response.get_json()["slug"] == "selesai"
