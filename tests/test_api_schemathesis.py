"""The public API against its own OpenAPI document, as an agency's IT team checks it: the
document passes openapi-spec-validator, and schemathesis, on the live app with the demo
loaded, finds no response that the document does not describe (status, content type,
schema), no valid request refused, no invalid one accepted, no server error, and a 405
with `Allow` for every method the document does not list.

Bounded: the examples and coverage phases run whole (they are finite); fuzzing stops at
API_EXAMPLES examples per operation (API_EXAMPLES=500 for a longer hunt).
"""

import json
import os

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from govtech.transparency.openapi import api_document
from tests.conftest import build_app

# Every response check that applies to a read-only API without authentication.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    positive_data_acceptance,
    negative_data_rejection,
    missing_required_header,
    unsupported_method,
    allow_header_conformance,
]
BOUNDED = settings(
    max_examples=int(os.environ.get("API_EXAMPLES", 15)),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


SERVER = "http://localhost"


def _document() -> dict:
    """The document, built at import (`parametrize` needs it then, before any fixture) by
    an app of its own; it reads no data. A test below holds it to the one served."""
    app = build_app()
    with app.test_request_context(base_url=SERVER):
        return json.loads(json.dumps(api_document(server_url=SERVER)))


schema = schemathesis.openapi.from_dict(_document())


# The demo's rows, kept after the first seeding: the tables are wiped before every test
# (one per operation), and seeding again would cost seconds each time.
_DEMO_ROWS: dict[str, list[dict]] = {}
_REPLICA, _ORIGIN = "SET session_replication_role = replica", "RESET session_replication_role"


@pytest.fixture
def demo(app, runner, db):
    """The demo's agencies, challenges, proposals and awards: responses with content."""
    if not _DEMO_ROWS:
        assert runner.invoke(args=["seed", "checklist"]).exit_code == 0
        assert runner.invoke(args=["seed", "demo"]).exit_code == 0
        with db.engine.connect() as connection:
            for table in db.metadata.sorted_tables:
                rows = connection.execute(sa.select(table)).mappings().all()
                _DEMO_ROWS[table.name] = [dict(row) for row in rows]
        return app
    with db.engine.connect() as connection:
        # Agencies and users refer to each other: constraints wait until all rows are in.
        sqlite = connection.dialect.name == "sqlite"
        connection.execute(sa.text("PRAGMA foreign_keys=OFF" if sqlite else _REPLICA))
        for table in db.metadata.sorted_tables:
            if _DEMO_ROWS[table.name]:
                connection.execute(table.insert(), _DEMO_ROWS[table.name])
            if not sqlite and "id" in table.c and _DEMO_ROWS[table.name]:
                # Rows came back with their ids: move the sequence past them.
                connection.execute(
                    sa.text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :n)"),
                    {"t": table.name, "n": max(row["id"] for row in _DEMO_ROWS[table.name])},
                )
        connection.commit()
        connection.execute(sa.text("PRAGMA foreign_keys=ON" if sqlite else _ORIGIN))
        connection.commit()
    return app


def test_the_served_document_is_valid_openapi_and_the_one_tested(client):
    served = client.get("/api/v1/openapi.json", base_url=SERVER).get_json()
    validate(served)
    # The served document names the site's configured root (tests: SERVER_NAME) as server.
    assert served.pop("servers") == [{"url": "http://govtech.test"}]
    assert served == {key: value for key, value in schema.raw_schema.items() if key != "servers"}


@schema.parametrize()
@BOUNDED
def test_the_api_answers_as_its_document_says(case, demo):
    # Served compressed when asked, which schemathesis's in-process client does not undo
    # (a network client would); tests/test_page_cache.py holds both bodies equal.
    case.call_and_validate(checks=CHECKS, app=demo, headers={"Accept-Encoding": "identity"})


def test_every_demo_challenge_and_page_answers_as_the_document_says(demo, db):
    """Drawn ids rarely hit a challenge; every public one of the demo, each filter's
    values that match, and each page of the list are checked against the document too."""
    detail = schema["/api/v1/challenges/{challenge_id}"]["GET"]
    listing = schema["/api/v1/challenges"]["GET"]
    ids = db.session.scalars(sa.text("SELECT id FROM challenges ORDER BY id")).all()
    queries = [{"per_page": 1, "page": page} for page in range(1, len(ids) + 1)]
    queries += [{"status": s} for s in ("published", "closed", "awarded", "void", "cancelled")]
    queries += [{"country": "co", "currency": "cop", "budget_min": 1, "q": "digital"}]
    answered = {200: 0, 404: 0}
    with_identity = {"Accept-Encoding": "identity"}
    for challenge_id in ids:
        case = detail.Case(path_parameters={"challenge_id": challenge_id})
        response = case.call_and_validate(checks=CHECKS, app=demo, headers=with_identity)
        answered[response.status_code] += 1
    for query in queries:
        response = listing.Case(query=query).call_and_validate(
            checks=CHECKS, app=demo, headers=with_identity
        )
        assert response.status_code == 200, query
    # Drafts are not public: a 404, which the document describes as well.
    drafts = db.session.scalar(sa.text("SELECT count(*) FROM challenges WHERE status = 'draft'"))
    assert answered == {200: len(ids) - drafts, 404: drafts}
    assert answered[200] >= 8
