"""Public results, downloads, the ecosystem figures and the OpenAPI document."""

import csv
import io
from decimal import Decimal

import pytest

from govtech.accounts.models import SizeBand
from govtech.awards.services import confirm_decision, propose_award, propose_void
from govtech.transparency.figures import ecosystem
from tests import factories


def _awarded():
    challenge, staff, proposals, evaluators = factories.evaluation_scenario()
    for person in evaluators:
        factories.score(proposals[0], person, [4, 4, 4, 4])
        factories.score(proposals[1], person, [3, 3, 3, 3])
    decision = propose_award(challenge, staff, [proposals[0].id])
    notice = confirm_decision(decision, factories.agency_staff(staff.agency))
    return challenge, proposals, notice


def test_results_page_and_downloads(client, db):
    challenge, proposals, notice = _awarded()
    winner = proposals[0].supplier
    winner.legal_name = '=HYPERLINK("http://evil") S.A.S.'  # a hostile name
    db.session.commit()
    page = client.get("/results").get_data(as_text=True)
    assert challenge.title in page
    assert notice.reference in page
    body = client.get("/results.json").get_json()["results"][0]
    assert body["winners"][0]["score"] == "80.0"  # (40+30+20+10)*4/5
    assert body["winners"][0]["amount"] == "50000.00"
    response = client.get("/results.csv")
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0]["reference"] == challenge.reference
    assert rows[0]["winner"].startswith("'=")  # never a live spreadsheet formula
    assert client.get("/api/v1/results").get_json() == client.get("/results.json").get_json()
    dictionary = client.get("/data-dictionary").get_data(as_text=True)
    for column in rows[0]:
        assert f"<code>{column}</code>" in dictionary


def _csv_rows(client) -> list[dict]:
    response = client.get("/results.csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True), newline="")))


def test_empty_cells_of_a_void_row_stay_empty_in_the_csv(client, db):
    challenge, staff, proposals, evaluators = factories.evaluation_scenario()
    for person in evaluators:
        for proposal in proposals:
            factories.score(proposal, person, [1, 1, 1, 1])
    decision = propose_void(challenge, staff, "Ninguna propuesta alcanza el puntaje mínimo.")
    confirm_decision(decision, factories.agency_staff(staff.agency))
    db.session.commit()
    (row,) = _csv_rows(client)
    assert row["status"] == "void"
    for column in ("winner", "winner_country", "winner_size_band", "awarded_amount", "score"):
        assert row[column] == "", (column, row[column])


@pytest.mark.parametrize("name", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1+1", "\r=1+1", "\t\r@x"])
def test_every_formula_trigger_is_neutralised_in_the_csv(client, db, name):
    challenge, proposals, notice = _awarded()
    proposals[0].supplier.legal_name = name + " S.A."
    db.session.commit()
    row = _csv_rows(client)[0]
    assert row["winner"] == "'" + name + " S.A."
    assert row["reference"] == challenge.reference  # ordinary text stays as it is


def test_ecosystem_matches_a_hand_computed_fixture(db):
    # Two challenges in CO: one awarded (2 bids, both SMEs), one still open (no bids visible).
    challenge, proposals, notice = _awarded()
    factories.published_challenge(
        title="Otro desafío abierto en Colombia", budget_amount=Decimal("25000")
    )
    large = factories.supplier("CO", size_band=SizeBand.LARGE)
    assert large.size_band is SizeBand.LARGE
    figures = ecosystem()
    assert figures["demand"]["challenges_published"] == 2
    assert figures["demand"]["budget_offered"] == {"COP": "125000.00"}
    assert figures["demand"]["sectors"] == {"health": 2}
    assert figures["demand"]["readiness"]["yes"] == 2 * 17
    assert figures["procurement"]["awarded"] == 1
    assert figures["procurement"]["void"] == 0
    assert figures["procurement"]["share_awarded"] == 1.0
    assert figures["supply"]["distinct_suppliers"] == 2
    assert figures["supply"]["share_smes"] == 1.0
    assert figures["supply"]["share_first_time"] == 1.0
    assert figures["supply"]["proposals_per_challenge"] == 2.0  # 2 bids / 1 closed challenge
    assert figures["supply"]["winners_by_size_band"] == {"micro": 1}
    assert ecosystem(country="AR")["demand"]["challenges_published"] == 0
    assert ecosystem(year=1999)["demand"]["challenges_published"] == 0


def test_ecosystem_page_and_api(client, db):
    _awarded()
    db.session.commit()
    page = client.get("/ecosystem").get_data(as_text=True)
    assert "<svg" in page
    assert "Winners by company size" in page
    assert (
        client.get("/api/v1/ecosystem?country=CO").get_json()["demand"]["challenges_published"] == 1
    )
    assert client.get("/ecosystem?year=99999").status_code == 400


def test_openapi_document_matches_the_api_routes(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    documented = set(document["paths"])
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = rule.rule
            for arg in rule.arguments:
                path = path.replace(f"<int:{arg}>", f"{{{arg}}}").replace(f"<{arg}>", f"{{{arg}}}")
            routed.add(path)
    assert documented == routed
    assert {
        "/api/v1/challenges",
        "/api/v1/challenges/{challenge_id}",
        "/api/v1/checklist",
        "/api/v1/results",
        "/api/v1/ecosystem",
    } <= documented
    detail = document["paths"]["/api/v1/challenges/{challenge_id}"]["get"]
    assert detail["parameters"][0]["schema"]["type"] == "integer"


@pytest.mark.parametrize("path", ["/results", "/ecosystem", "/data-dictionary"])
def test_public_pages_render_without_data(client, path):
    assert client.get(path).status_code == 200


def test_open_data_page_lists_every_page_that_links_next_reaches(client, db, monkeypatch):
    from govtech.transparency import views

    monkeypatch.setattr(views, "OCDS_PAGE", 2)
    staff = factories.agency_staff()
    published = [factories.published_challenge(staff) for _ in range(3)]
    factories.draft_challenge(staff)  # never public: not counted
    db.session.commit()
    page = client.get("/open-data").get_data(as_text=True)
    assert "3 public challenges, in 2 pages of releases." in page
    assert 'data-pages="2"' in page
    assert "/ocds/releases.json?page=2" in page
    assert "/ocds/records.json?page=2" in page
    # What the in-browser join follows: links.next from the first page to the last.
    url, seen = "/ocds/releases.json?page=1", set()
    while url:
        package = client.get(url).get_json()
        seen |= {release["ocid"] for release in package["releases"]}
        url = package.get("links", {}).get("next")
    assert len(seen) == len(published)
