"""The OpenAPI 3.1 description of the JSON API under /api/v1/ (tests check it against real responses)."""

from flask_babel import lazy_gettext
from jsonschema import Draft202012Validator

from .services.coverage.lookup import NEAR_IN_QUEUE


def _nullable(schema: dict) -> dict:
    return {**schema, "type": [schema["type"], "null"]}


DATE = {"type": "string", "format": "date"}
MONEY = {"type": "integer", "description": "Whole rupiah."}
COUNT = {"type": "integer", "minimum": 0}

REGION = {
    "type": "object",
    "additionalProperties": False,
    "required": ["code", "name", "target_workers", "workers_funded"],
    "properties": {
        "code": {"type": "string", "pattern": r"^\d{4}$", "description": "Regency code (kabupaten/kota)."},
        "name": {"type": "string"},
        "target_workers": {"type": ["integer", "null"], "minimum": 1,
                           "description": "Workers to fund in the regency; null means no regional cap."},
        "workers_funded": COUNT,
    },
}

CAMPAIGN = {
    "type": "object",
    "additionalProperties": False,
    "required": ["slug", "name", "target_workers", "term_months", "workers_registered",
                 "workers_waiting", "workers_funded", "workers_protected", "worker_months_funded",
                 "raised_idr", "allocated_idr", "pool_balance_idr", "donors", "premium_idr", "regions",
                 "claims_paid", "claims_paid_idr"],
    "properties": {
        "slug": {"type": "string"},
        "name": {"type": "string"},
        "target_workers": {"type": "integer", "minimum": 1},
        "term_months": {"type": "integer", "minimum": 1, "maximum": 12,
                        "description": "Months each new worker is funded for."},
        "workers_registered": COUNT,
        "workers_waiting": {**COUNT, "description": "Verified workers waiting for a sponsor."},
        "workers_funded": {**COUNT, "description": "Workers with at least the campaign's term funded."},
        "workers_protected": {**COUNT, "description": "Workers whose current month BPJS has accepted."},
        "worker_months_funded": COUNT,
        "raised_idr": {**MONEY, "description": "Money received, less refunds."},
        "allocated_idr": {**MONEY, "description": "Spent on premiums (allocated or sent to BPJS)."},
        "pool_balance_idr": {**MONEY, "description": "Received but not yet matched to workers."},
        "donors": COUNT,
        "premium_idr": {**MONEY, "description": "Base premium (JKK + JKM, and JHT where the campaign includes it) "
                                                "per worker per month."},
        "regions": {"type": "array", "items": {"$ref": "#/components/schemas/Region"}},
        "claims_paid": {**COUNT, "description": "Claims BPJS paid for the campaign's workers (JKK and JKM)."},
        "claims_paid_idr": {**MONEY, "description": "What BPJS paid on those claims, scholarships included; "
                                                    "paid by BPJS, not out of the campaign's money."},
    },
}

#: The status query exactly as ``POST /status`` enforces it: the view validates requests against this
#: schema, so the document cannot be looser or stricter than the API. A well-formed NIK that cannot
#: exist, or a birth date nobody alive has, is simply not found (200), as an unknown worker is.
STATUS_QUERY = {
    "oneOf": [
        {"type": "object", "required": ["nik", "full_name"], "additionalProperties": False,
         "properties": {
             "nik": {"type": "string", "maxLength": 40, "pattern": r"^[ .\-]*(?:[0-9][ .\-]*){16}$",
                     "description": "16-digit NIK; spaces, dots and hyphens between the digits are ignored."},
             "full_name": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": r"[^\s]",
                           "description": "Name as on the KTP; case and spaces are ignored."}}},
        {"type": "object", "required": ["kpj", "birth_date"], "additionalProperties": False,
         "properties": {
             "kpj": {"type": "string", "maxLength": 20, "pattern": r"^[ .\-]*(?:[0-9][ .\-]*){11}$",
                     "description": "11-digit BPJS Ketenagakerjaan card number; spaces, dots and hyphens "
                                    "between the digits are ignored."},
             "birth_date": {**DATE, "description": "YYYY-MM-DD."}}},
    ],
}

STATUS_ANSWER = {
    "type": "object",
    "additionalProperties": False,
    "required": ["status", "name_masked", "campaign", "protected_from", "protected_until", "funded_from",
                 "funded_until", "lapsed_on", "arrears_until", "membership_ended", "queue", "kpj_masked",
                 "registration_refused", "rejection_reason", "programs", "sponsors"],
    "properties": {
        "status": {"type": "string", "enum": ["protected", "funded", "waiting", "lapsed", "not_found"],
                   "description": "not_found is also the answer to a known NIK with the wrong name; "
                                  "a registration BPJS refused is waiting, with registration_refused true."},
        "registration_refused": {"type": "boolean",
                                 "description": "BPJS refused the worker's registration; rejection_reason says why "
                                                "and queue is needs_attention until the data is fixed."},
        "name_masked": _nullable({"type": "string", "description": "Initials only, e.g. 'B*** S******'."}),
        "campaign": {"oneOf": [
            {"type": "null"},
            {"type": "object", "additionalProperties": False, "required": ["slug", "name"],
             "properties": {"slug": {"type": "string"}, "name": {"type": "string"}}},
        ]},
        "protected_from": _nullable(DATE),
        "protected_until": _nullable(DATE),
        "funded_from": _nullable(DATE),
        "funded_until": _nullable(DATE),
        "lapsed_on": _nullable({**DATE, "description": "Last day of cover of a lapsed worker."}),
        "arrears_until": _nullable({**DATE, "description": "Last day the missed months can still be paid."}),
        "membership_ended": {"type": "boolean"},
        "queue": {"type": ["string", "null"], "enum": ["verifying", "needs_attention", "soon", "later", None],
                  "description": f"Rough place on the waitlist: 'soon' is among the first {NEAR_IN_QUEUE}."},
        "kpj_masked": _nullable({"type": "string"}),
        "rejection_reason": _nullable({"type": "string", "description": "The reason BPJS gave for refusing."}),
        "programs": {"type": "array", "items": {"type": "string", "enum": ["jkk", "jkm", "jht"]},
                     "description": "The programmes the campaign pays for: JKK and JKM, and JHT where it includes it."},
        "sponsors": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["name", "kind"],
            "properties": {"name": {"type": "string", "description": "As the donor chose to appear ('Hamba Allah')."},
                           "kind": {"type": "string", "enum": ["sponsor", "pool"]}}}},
    },
}

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}, "field": {"type": "string"}, "message": {"type": "string"}},
}

RATE_LIMITED = {
    "type": "object",
    "additionalProperties": False,
    "required": ["error", "retry_after"],
    "properties": {"error": {"type": "string", "const": "rate_limited"},
                   "retry_after": {"type": "integer", "minimum": 1, "description": "Seconds to wait."}},
}


def _json(ref: str, description: str, **extra) -> dict:
    return {"description": description, **extra,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


CORS_HEADER = {"Access-Control-Allow-Origin": {"schema": {"type": "string"}, "description": "Always '*'."}}


def openapi_document(server_url: str) -> dict:
    """Return the OpenAPI document with ``server_url`` as the API's base."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Lindungi API",
            "version": "1.0.0",
            "description": "Progress of campaigns that pay BPJS Ketenagakerjaan premiums (JKK + JKM) for "
                           "informal workers, and the workers' status check. Read-only endpoints allow "
                           "any origin (CORS).",
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/campaigns": {"get": {
                "operationId": "listCampaigns",
                "summary": "Every public campaign with its progress",
                "responses": {"200": {
                    "description": "The campaigns.", "headers": CORS_HEADER,
                    "content": {"application/json": {"schema": {
                        "type": "array", "items": {"$ref": "#/components/schemas/Campaign"}}}}}},
            }},
            "/campaigns/{slug}": {"get": {
                "operationId": "getCampaign",
                "summary": "One campaign's progress",
                "parameters": [{"name": "slug", "in": "path", "required": True, "schema": {
                    "type": "string", "maxLength": 80, "pattern": r"^[a-z0-9]+(-[a-z0-9]+)*$"}}],
                "responses": {
                    "200": _json("Campaign", "The campaign.", headers=CORS_HEADER),
                    "400": _json("Error", "The slug holds a character no slug has (such as NUL)."),
                    "404": _json("Error", "No public campaign has this slug."),
                },
            }},
            "/status": {"post": {
                "operationId": "checkStatus",
                "summary": "Whether a worker is protected",
                "description": "Give the NIK and the name as on the KTP, or the KPJ number and the birth "
                               "date. An unknown worker and a wrong name get the same answer. Rate limited "
                               "per client and per worker asked about.",
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/StatusQuery"}}}},
                "responses": {
                    "200": _json("StatusAnswer", "The worker's status (or not_found)."),
                    "400": _json("Error", "The query does not match StatusQuery; `field` names the member at fault."),
                    "429": _json("RateLimited", "Too many look-ups; try again later.", headers={
                        "Retry-After": {"schema": {"type": "string"}, "description": "Seconds to wait."}}),
                },
            }},
            "/openapi.json": {"get": {
                "operationId": "getOpenAPI",
                "summary": "This document",
                "responses": {"200": {"description": "The OpenAPI document.", "headers": CORS_HEADER,
                                      "content": {"application/json": {"schema": {"type": "object"}}}}},
            }},
        },
        "components": {"schemas": {
            "Campaign": CAMPAIGN, "Region": REGION, "StatusQuery": STATUS_QUERY,
            "StatusAnswer": STATUS_ANSWER, "Error": ERROR, "RateLimited": RATE_LIMITED,
        }},
    }


def status_query_problem(data) -> tuple[str, str] | None:
    """Return (field, message) for a status query that breaks ``STATUS_QUERY``, else ``None``."""
    if not isinstance(data, dict):
        return "body", str(lazy_gettext("send a JSON object"))
    branch = STATUS_QUERY["oneOf"][0 if "nik" in data else 1]
    for name in branch["required"]:
        if name not in data:
            return name, str(lazy_gettext("is required"))
    for name in data:
        if name not in branch["properties"]:
            return str(name)[:40], str(lazy_gettext("is not part of this query (send %(fields)s)",
                                                    fields=" + ".join(branch["required"])))
    for error in Draft202012Validator(branch, format_checker=Draft202012Validator.FORMAT_CHECKER).iter_errors(data):
        field = str(error.path[0]) if error.path else "body"
        return field, str(_MESSAGES.get((field, error.validator), lazy_gettext("is not valid")))
    return None


#: What each broken constraint means, in words.
_MESSAGES = {
    ("nik", "pattern"): lazy_gettext("a NIK has 16 digits"), ("nik", "maxLength"): lazy_gettext("a NIK has 16 digits"),
    ("nik", "type"): lazy_gettext("is required (a string)"),
    ("kpj", "pattern"): lazy_gettext("a KPJ number has 11 digits"),
    ("kpj", "maxLength"): lazy_gettext("a KPJ number has 11 digits"),
    ("kpj", "type"): lazy_gettext("is required (a string)"),
    ("full_name", "type"): lazy_gettext("is required (a string)"), ("full_name", "minLength"): lazy_gettext("is required"),
    ("full_name", "pattern"): lazy_gettext("is required"),
    ("full_name", "maxLength"): lazy_gettext("longer than 200 characters"),
    ("birth_date", "type"): lazy_gettext("is required (a string)"),
    ("birth_date", "format"): lazy_gettext("use the form YYYY-MM-DD"),
}
