"""What the public API promises outside its schemas: moments with their offset on every
database, a document that lists what each view reads, errors that say which argument was
wrong, and a 405 that names the methods a resource allows (RFC 9110)."""

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from govtech.challenges.models import Challenge
from tests.test_api_schemathesis import demo  # noqa: F401 (the seeded demo, shared)
from tests.test_security_hostile_input import FILTERS

MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _moments(value, path="") -> list[tuple[str, str]]:
    """Every string in a JSON value that reads as a date and time, with where it is."""
    if isinstance(value, dict):
        return [m for key, item in value.items() for m in _moments(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [m for i, item in enumerate(value) for m in _moments(item, f"{path}[{i}]")]
    return [(path, value)] if isinstance(value, str) and MOMENT.match(value) else []


def test_every_moment_the_api_gives_carries_its_offset(demo, client, db):  # noqa: F811
    listing = client.get("/api/v1/challenges?per_page=100").get_json()
    paths = ["/api/v1/results", "/api/v1/ecosystem", "/api/v1/checklist"]
    paths += [f"/api/v1/challenges/{item['id']}" for item in listing["data"]]
    bodies = {"/api/v1/challenges?per_page=100": listing}
    bodies |= {path: client.get(path).get_json() for path in paths}
    moments = [(path, *m) for path, body in bodies.items() for m in _moments(body)]
    # Four dates per public challenge, listed and alone, and a decision per result.
    public = db.session.scalar(sa.text("SELECT count(*) FROM challenges WHERE status != 'draft'"))
    assert len(moments) >= 8 * public + len(bodies["/api/v1/results"]["results"]) > 0
    naive = [m for m in moments if dt.datetime.fromisoformat(m[2]).utcoffset() is None]
    assert naive == []
    # And they are the moments stored, not merely labelled with an offset.
    for item in listing["data"]:
        stored = db.session.get(Challenge, item["id"])
        given = dt.datetime.fromisoformat(item["dates"]["submission_deadline"])
        assert given == stored.submission_deadline
        given = dt.datetime.fromisoformat(item["dates"]["question_deadline"])
        assert given == stored.question_deadline


def test_the_document_lists_every_argument_the_challenges_list_reads(client):
    document = client.get("/api/v1/openapi.json").get_json()
    listed = document["paths"]["/api/v1/challenges"]["get"]["parameters"]
    assert sorted(p["name"] for p in listed) == sorted([*FILTERS, "page", "per_page"])
    assert all(p["in"] == "query" and p["schema"].get("type") for p in listed)
    for path, methods in document["paths"].items():
        for code, response in methods["get"]["responses"].items():
            assert response["content"]["application/json"]["schema"], (path, code)


@pytest.mark.parametrize(
    ("query", "argument"),
    [
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("status=draft", "status"),
        ("country=ARG", "country"),
        ("currency=%00", "currency"),
        ("budget_min=NaN", "budget_min"),
        ("q=" + "x" * 201, "q"),
    ],
)
def test_a_refused_argument_is_a_400_that_names_it(client, query, argument):
    response = client.get(f"/api/v1/challenges?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["status"] == 400
    assert body["detail"].startswith(f"{argument}: ")


def test_an_empty_argument_is_no_filter(client):
    empty = "&".join(f"{name}=" for name in [*FILTERS, "page", "per_page"])
    response = client.get(f"/api/v1/challenges?{empty}")
    assert response.status_code == 200
    assert response.get_json()["meta"] == {"page": 1, "per_page": 20, "total": 0}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/challenges"),
        ("DELETE", "/api/v1/challenges/1"),
        ("PUT", "/api/v1/openapi.json"),
        ("POST", "/results"),
    ],
)
def test_a_405_names_the_methods_the_resource_allows(app, client, method, path):
    response = client.open(path, method=method)
    assert response.status_code == 405
    rule = app.url_map.bind("govtech.test").match(path, return_rule=True)[0]
    allowed = {m.strip() for m in response.headers["Allow"].split(",")}
    assert allowed == rule.methods
    assert response.is_json == path.startswith("/api/")
