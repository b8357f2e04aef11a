"""The read-only JSON API under /api/v1/."""

import datetime as dt

import sqlalchemy as sa
from flask import Blueprint, jsonify, request, url_for

from .. import clock
from ..extensions import csrf, db
from ..models import Campaign, CampaignStatus
from ..openapi import openapi_document, status_query_problem
from ..services.campaigns.progress import campaign_progress
from ..services.coverage.lookup import NOT_FOUND, StatusQueryInvalid, check_status
from .public import get_campaign
from .status import client_limit, failure_limit, record_answer, retry_after_seconds

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

#: Endpoints any site may read from a browser (the status look-up is not among them).
PUBLIC_READ = {"api.campaigns", "api.campaign", "api.openapi"}


@bp.after_request
def cors(response):
    """Open the read-only endpoints to every origin."""
    if request.endpoint in PUBLIC_READ:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Allow-Methods"] = "GET, OPTIONS"
    return response


#: DESIGN "JSON API": the campaign fields others rely on; the pages may use more of the progress.
CAMPAIGN_FIELDS = (
    "slug", "name", "target_workers", "term_months", "workers_registered", "workers_waiting",
    "workers_funded", "workers_protected", "worker_months_funded", "raised_idr", "allocated_idr",
    "pool_balance_idr", "donors", "premium_idr", "regions", "claims_paid", "claims_paid_idr",
)


def _campaign_json(campaign: Campaign) -> dict:
    """Return a campaign's progress with exactly the documented fields."""
    progress = campaign_progress(campaign, today=clock.today())
    return {name: progress[name] for name in CAMPAIGN_FIELDS}


@bp.get("/campaigns")
def campaigns():
    """List every public campaign with its progress."""
    rows = db.session.scalars(
        sa.select(Campaign).where(Campaign.status != CampaignStatus.draft).order_by(Campaign.id)
    ).all()
    return jsonify([_campaign_json(c) for c in rows])


@bp.get("/campaigns/<slug>")
def campaign(slug):
    """Return one campaign's progress."""
    return jsonify(_campaign_json(get_campaign(slug)))


@bp.get("/openapi.json")
def openapi():
    """Describe this API in OpenAPI 3.1."""
    return jsonify(openapi_document(url_for("api.campaigns", _external=True).rsplit("/", 1)[0]))


@bp.post("/status")
@client_limit
@failure_limit
def status():
    """Answer whether a worker is protected, by NIK and name or by KPJ and birth date."""
    data = request.get_json(silent=True)
    problem = status_query_problem(data)
    if problem is not None:
        field, message = problem
        return jsonify(error="invalid_request", field=field, message=message), 400
    try:
        if "nik" in data:
            answer = check_status(nik=data["nik"], full_name=data["full_name"], today=clock.today())
        else:
            answer = check_status(kpj=data["kpj"], birth_date=dt.date.fromisoformat(data["birth_date"]),
                                  today=clock.today())
    except StatusQueryInvalid:  # well-formed, yet no worker can have it (a NIK with no such region)
        answer = NOT_FOUND
    record_answer(answer)
    response = jsonify(answer.as_json())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(429)
def too_many(error):
    """Answer over-the-limit look-ups in JSON with the wait."""
    seconds = retry_after_seconds()
    return jsonify(error="rate_limited", retry_after=seconds), 429, {"Retry-After": str(seconds)}


@bp.errorhandler(404)
def not_found(error):
    """Answer API 404s in JSON."""
    return jsonify(error="not_found"), 404
