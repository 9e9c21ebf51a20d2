"""The OpenAPI 3.1 document of the public JSON API (`/api/v1/openapi.json`).

Paths come from the app's own /api/v1 routes, their path parameters from the routes'
converters and their query parameters from what each view declares it reads
(`govtech.query_arguments.reads`). The response schemas are here, one per endpoint, closed
(`additionalProperties: false`) wherever the shape is fixed, so that a response drifting
from the document fails the conformance tests (tests/test_api_schemathesis.py) instead of
surprising an agency's tools.
"""

from flask import current_app, url_for
from werkzeug.routing import IntegerConverter

from govtech.accounts.models import SizeBand
from govtech.challenges.models import PUBLIC_STATUSES, ProcedureType, Sector
from govtech.evaluation.models import AppliesTo
from govtech.transparency.figures import DECIDED

API_PREFIX = "/api/v1"


# --- building blocks -------------------------------------------------------------------
def _closed(properties: dict, optional: tuple[str, ...] = ()) -> dict:
    """An object with exactly these properties (all required but `optional`)."""
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }


def _nullable(schema: dict) -> dict:
    return {**schema, "type": [schema["type"], "null"]}


def _enum(members) -> dict:
    return {"type": "string", "enum": [str(member.value) for member in members]}


def _array(items: dict) -> dict:
    return {"type": "array", "items": items}


def _map(keys: dict, values: dict) -> dict:
    """An object used as a dictionary: keys and values of one kind each."""
    return {"type": "object", "propertyNames": keys, "additionalProperties": values}


TEXT = {"type": "string"}
COUNT = {"type": "integer", "minimum": 0}
ID = {"type": "integer", "minimum": 1}
URL = {"type": "string", "format": "uri"}
# RFC 3339: every moment carries its offset (`2026-12-10T15:00:00-03:00`).
MOMENT = {"type": "string", "format": "date-time"}
COUNTRY = {"type": "string", "pattern": "^[A-Z]{2}$"}
CURRENCY = {"type": "string", "pattern": "^[A-Z]{3}$"}
# Amounts are strings, never floats: the exact Decimal with its two places.
MONEY = {"type": "string", "pattern": "^[0-9]+\\.[0-9]{2}$"}
SHARE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _schemas(languages: list[str]) -> dict:
    """The components' schemas."""
    challenge = _closed(
        {
            "id": ID,
            "reference": TEXT,
            "url": URL,
            "status": _enum(PUBLIC_STATUSES),
            "title": TEXT,
            "problem_statement": TEXT,
            "expected_results": TEXT,
            "sector": _enum(Sector),
            "country": COUNTRY,
            "region": _nullable(TEXT),
            "procedure_type": _enum(ProcedureType),
            "budget": _closed({"amount": MONEY, "currency": CURRENCY}),
            "agency": _closed({"code": TEXT, "name": TEXT, "country": COUNTRY, "time_zone": TEXT}),
            "eligibility": _closed(
                {
                    "size_bands": _array(_enum(SizeBand)),
                    "countries": _array(COUNTRY),
                    "min_company_age_years": _nullable(COUNT),
                    "max_company_age_years": _nullable(COUNT),
                }
            ),
            "dates": _closed(
                {
                    # A challenge cancelled before publication was never published.
                    "published": _nullable(MOMENT),
                    "question_deadline": MOMENT,
                    "submission_deadline": MOMENT,
                    "expected_award": MOMENT,
                }
            ),
            "pilot_duration_weeks": {"type": "integer", "minimum": 1, "maximum": 260},
            "award_rules": _closed(
                {
                    "max_winners": ID,
                    "minimum_score": COUNT,
                    "standstill_days": COUNT,
                    "blind_review": {"type": "boolean"},
                }
            ),
            "status_reason": _nullable(TEXT),
        }
    )
    challenge_list = _closed(
        {
            "data": _array(_ref("Challenge")),
            "meta": _closed({"page": ID, "per_page": ID, "total": COUNT}),
            "links": _closed({"self": URL, "next": _nullable(URL)}),
        }
    )
    result = _closed(
        {
            "challenge_id": ID,
            "reference": TEXT,
            "title": TEXT,
            "agency": TEXT,
            "country": COUNTRY,
            "sector": _enum(Sector),
            "status": _enum(DECIDED),
            "currency": CURRENCY,
            "budget": MONEY,
            "decided_at": MOMENT,
            "justification": _nullable(TEXT),
            "notice": _nullable(TEXT),
            "winners": _array(
                _closed(
                    {
                        "supplier": TEXT,
                        "country": COUNTRY,
                        "size_band": _enum(SizeBand),
                        "amount": MONEY,
                        "score": {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?$"},
                        "rank": ID,
                    }
                )
            ),
        }
    )
    ecosystem = _closed(
        {
            "filters": _closed(
                {"country": _nullable(COUNTRY), "year": {"type": ["integer", "null"]}}
            ),
            "demand": _closed(
                {
                    "challenges_published": COUNT,
                    "budget_offered": _map(CURRENCY, MONEY),
                    "sectors": _map(_enum(Sector), COUNT),
                    "readiness": _closed({"yes": COUNT, "partly": COUNT, "no": COUNT}),
                }
            ),
            "procurement": _closed(
                {
                    "median_days_to_award": {"type": ["number", "null"]},
                    "awarded": COUNT,
                    "void": COUNT,
                    "share_awarded": SHARE,
                    "questions": COUNT,
                    "questions_answered_on_time": COUNT,
                }
            ),
            "supply": _closed(
                {
                    "distinct_suppliers": COUNT,
                    "share_smes": SHARE,
                    "share_first_time": SHARE,
                    "proposals_per_challenge": {"type": ["number", "null"], "minimum": 0},
                    "winners_by_size_band": _map(_enum(SizeBand), COUNT),
                }
            ),
        }
    )
    checklist = _closed(
        {
            "language": {"type": "string", "enum": languages},
            "items": _array(
                _closed(
                    {
                        "code": TEXT,
                        "line_of_action": {"type": "integer", "minimum": 1, "maximum": 3},
                        "title": TEXT,
                        "description": TEXT,
                        "looks_for": TEXT,
                        "applies_to": _enum(AppliesTo),
                    }
                )
            ),
        }
    )
    error = _closed(
        {
            "error": TEXT,
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": TEXT,
        },
        optional=("detail",),
    )
    return {
        "Challenge": challenge,
        "ChallengeList": challenge_list,
        "Results": _closed({"results": _array(result)}),
        "Ecosystem": ecosystem,
        "Checklist": checklist,
        "Error": error,
    }


def _json(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERRORS = {
    "400": _json("A query argument has a value it does not accept (see `detail`)", _ref("Error")),
    "404": _json("No such public resource", _ref("Error")),
    "500": _json("An unexpected error; it is logged with the request's id", _ref("Error")),
}


def _responses(schema: str, *errors: str) -> dict:
    ok = _json("OK", _ref(schema) if schema else {"type": "object"})
    return {"200": ok} | {code: _ERRORS[code] for code in (*errors, "500")}


# What each endpoint answers; query arguments that a view reads without declaring them.
OPERATIONS = {
    "challenges_api.list_challenges": {"responses": _responses("ChallengeList", "400")},
    "challenges_api.get_challenge": {"responses": _responses("Challenge", "404")},
    "evaluation_api.checklist": {
        "responses": _responses("Checklist"),
        "parameters": [
            {
                "name": "lang",
                "in": "query",
                "required": False,
                "description": "es, pt_BR or en; any other value (or none) gives the "
                "visitor's language.",
                "schema": TEXT,
            }
        ],
    },
    "transparency_api.results": {"responses": _responses("Results")},
    "transparency_api.ecosystem": {"responses": _responses("Ecosystem", "400")},
    # The document itself: its meta-schema is OpenAPI's own.
    "transparency_api.openapi": {"responses": _responses("")},
}


def _path_parameters(rule) -> list[dict]:
    parameters = []
    for name in sorted(rule.arguments):
        converter = rule._converters[name]
        schema = {"type": "string"}
        if isinstance(converter, IntegerConverter):
            schema = {"type": "integer"}
            minimum = converter.min if converter.min is not None else 0
            if converter.signed and converter.min is None:
                minimum = None
            if minimum is not None:
                schema["minimum"] = minimum
            if converter.max is not None:
                schema["maximum"] = converter.max
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return parameters


def _openapi_path(rule) -> str:
    path = rule.rule
    for name in rule.arguments:
        path = path.replace(f"<int:{name}>", f"{{{name}}}").replace(f"<{name}>", f"{{{name}}}")
    return path


def api_document(server_url: str) -> dict:
    """The OpenAPI 3.1 document of every /api/v1 route of the current app."""
    paths = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX):
            continue
        if rule.endpoint not in OPERATIONS:
            raise LookupError(f"{rule.endpoint} has no responses in govtech/transparency/openapi")
        view = current_app.view_functions[rule.endpoint]
        described = OPERATIONS[rule.endpoint]
        declared = [argument.parameter() for argument in getattr(view, "query_arguments", ())]
        operation = {
            "operationId": rule.endpoint,
            "summary": (view.__doc__ or "").strip().splitlines()[0] if view.__doc__ else "",
            "parameters": _path_parameters(rule) + declared + described.get("parameters", []),
            "responses": described["responses"],
        }
        paths[_openapi_path(rule)] = {
            method.lower(): operation for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Govtech Challenges public API",
            "version": "1",
            "description": "Read-only open data: challenges, results, the checklist and "
            "the ecosystem figures. OCDS packages are at /ocds/. Times are RFC 3339 with "
            "their offset; amounts are decimal strings with their ISO 4217 currency.",
        },
        "servers": [{"url": server_url}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": _schemas(list(current_app.config["LANGUAGES"]))},
        "externalDocs": {"url": url_for("transparency.data_dictionary", _external=True)},
    }
