"""The public catalogue: filters, search, ordering, drafts hidden; and the JSON API."""

import datetime as dt
import re
from decimal import Decimal

from govtech import clock
from govtech.challenges.models import ProcedureType, Sector
from tests import factories


def _titles(html: str) -> list[str]:
    return re.findall(
        r'class="usa-card__heading"><a class="usa-link" href="[^"]+">([^<]+)</a>', html
    )


def _setup(db):
    now = clock.now()
    bogota = factories.agency_staff(factories.agency(country="CO"))
    recife = factories.agency_staff(factories.agency(country="BR", time_zone="America/Recife"))
    factories.published_challenge(
        bogota,
        title="Turnos médicos sin espera",
        sector=Sector.HEALTH,
        country="CO",
        budget_amount=Decimal("50000"),
        submission_deadline=now + dt.timedelta(days=20),
    )
    factories.published_challenge(
        recife,
        title="Ônibus em tempo real",
        sector=Sector.MOBILITY,
        country="BR",
        currency="BRL",
        budget_amount=Decimal("900000"),
        procedure_type=ProcedureType.PRE_COMMERCIAL,
        problem_statement="Passageiros esperam o ônibus sem informação de chegada. " * 2,
        submission_deadline=now + dt.timedelta(days=12),
    )
    factories.draft_challenge(bogota, title="Borrador secreto de salud")
    db.session.commit()


def test_catalogue_lists_public_challenges_nearest_deadline_first(client, db):
    _setup(db)
    html = client.get("/challenges/").get_data(as_text=True)
    assert _titles(html) == ["Ônibus em tempo real", "Turnos médicos sin espera"]
    assert "Borrador secreto" not in html


def test_filters_and_search(client, db):
    _setup(db)
    cases = {
        "sector=health": ["Turnos médicos sin espera"],
        "country=BR": ["Ônibus em tempo real"],
        "procedure_type=pre_commercial_procurement": ["Ônibus em tempo real"],
        "budget_min=100000": ["Ônibus em tempo real"],
        "budget_max=100000": ["Turnos médicos sin espera"],
        "q=TURNOS": ["Turnos médicos sin espera"],
        "q=passageiros": ["Ônibus em tempo real"],  # matches the problem statement
        "q=secreto": [],
        "status=closed": [],
        "currency=BRL": ["Ônibus em tempo real"],
        "q=100%25": [],
    }
    for query, expected in cases.items():
        response = client.get(f"/challenges/?{query}")
        assert response.status_code == 200, query
        assert _titles(response.get_data(as_text=True)) == expected, query


def test_bad_filter_values_are_a_400_with_field_error(client, db):
    response = client.get("/challenges/?budget_min=lots&sector=space")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="budget_min-error-1"' in html
    assert 'id="sector-error-1"' in html


def test_pagination(client, db):
    staff = factories.agency_staff()
    for n in range(23):
        factories.published_challenge(staff, title=f"Desafío número {n:02d} de prueba")
    db.session.commit()
    first = client.get("/challenges/").get_data(as_text=True)
    second = client.get("/challenges/?page=2").get_data(as_text=True)
    assert len(_titles(first)) == 20
    assert len(_titles(second)) == 3
    assert "23 challenges" in first


def test_api_lists_public_challenges_with_iso_dates(client, db):
    _setup(db)
    body = client.get("/api/v1/challenges?per_page=1").get_json()
    assert body["meta"]["total"] == 2
    item = body["data"][0]
    assert item["title"] == "Ônibus em tempo real"
    assert item["budget"] == {"amount": "900000.00", "currency": "BRL"}
    assert item["agency"]["country"] == "BR"
    deadline = dt.datetime.fromisoformat(item["dates"]["submission_deadline"])
    assert deadline.utcoffset() is not None
    assert body["links"]["next"].endswith("page=2") or "page=2" in body["links"]["next"]
    second = client.get(body["links"]["next"].replace("http://govtech.test", "")).get_json()
    assert second["data"][0]["title"] == "Turnos médicos sin espera"
    assert second["links"]["next"] is None


def test_api_detail_and_drafts(client, db):
    _setup(db)
    listing = client.get("/api/v1/challenges?sector=health").get_json()["data"]
    assert [c["title"] for c in listing] == ["Turnos médicos sin espera"]
    one = client.get(f"/api/v1/challenges/{listing[0]['id']}").get_json()
    assert one["status"] == "published"
    assert one["sector"] == "health"
    import sqlalchemy as sa

    from govtech.challenges.models import Challenge, ChallengeStatus

    draft_id = db.session.scalar(
        sa.select(Challenge.id).where(Challenge.status == ChallengeStatus.DRAFT)
    )
    assert client.get(f"/api/v1/challenges/{draft_id}").status_code == 404
    assert client.get("/api/v1/challenges?status=draft").status_code == 400
    assert client.get("/api/v1/challenges?budget_min=NaN").status_code == 400
    assert client.get("/api/v1/challenges?per_page=1000").status_code == 400
