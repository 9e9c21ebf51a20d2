"""Open contracting data: every package validates against the official OCDS 1.1 schema
(kept offline in tests/data/ocds-1.1, see its SOURCE.md); nothing sealed leaks."""

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from govtech.challenges.models import Challenge, ChallengeStatus
from govtech.proposals.models import Proposal, ProposalStatus
from tests import factories

SCHEMAS = Path(__file__).parent / "data" / "ocds-1.1"


def _schema(name):
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


def _validator(name):
    release = _schema("release-schema.json")
    registry = Registry().with_resource(release["id"], Resource(release, specification=DRAFT4))
    return Draft4Validator(
        _schema(name), registry=registry, format_checker=Draft4Validator.FORMAT_CHECKER
    )


RELEASE_PACKAGE = _validator("release-package-schema.json")
RECORD_PACKAGE = _validator("record-package-schema.json")


def _errors(validator, document):
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]


@pytest.fixture
def demo(runner, db):
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    return db.session.scalars(sa.select(Challenge)).all()


def test_every_public_challenge_has_a_valid_release_package(client, demo):
    states = set()
    for challenge in demo:
        response = client.get(f"/challenges/{challenge.id}/ocds.json")
        if challenge.status is ChallengeStatus.DRAFT:
            assert response.status_code == 404
            continue
        states.add(challenge.status)
        package = response.get_json()
        assert _errors(RELEASE_PACKAGE, package) == [], challenge.status
        for release in package["releases"]:
            assert release["ocid"] == f"ocds-govtech-{challenge.reference}"
            assert dt.datetime.fromisoformat(release["date"]).utcoffset() is not None
    assert states == {s for s in ChallengeStatus if s is not ChallengeStatus.DRAFT}


def test_awarded_challenge_has_award_bids_details_documents_and_milestones(client, demo):
    awarded = next(c for c in demo if c.status is ChallengeStatus.AWARDED)
    assert awarded.title.startswith("Inventario vivo")
    package = client.get(f"/challenges/{awarded.id}/ocds.json").get_json()
    tags = {tuple(r["tag"]) for r in package["releases"]}
    assert ("award",) in tags
    assert ("contract", "implementation") in tags
    award = next(r for r in package["releases"] if r["tag"] == ["award"])
    assert award["awards"][0]["value"]["currency"] == "ARS"
    assert {d["documentType"] for d in award["awards"][0]["documents"]} == {
        "awardNotice",
        "evaluationReports",
        "conflictOfInterest",
    }
    assert len(award["bids"]["details"]) == 3
    measures = {s["measure"]: s["value"] for s in award["bids"]["statistics"]}
    assert measures["bids"] == 3
    assert measures["smeBids"] == 3
    assert any("supplier" in p["roles"] for p in award["parties"])
    assert "%" in award["tender"]["awardCriteriaDetails"]
    contract = next(r for r in package["releases"] if "contract" in r["tag"])
    statuses = {m["status"] for m in contract["contracts"][0]["milestones"]}
    assert statuses == {"met", "scheduled"}


def test_release_ids_are_stable(client, demo):
    challenge = next(c for c in demo if c.status is ChallengeStatus.IN_EVALUATION)
    first = [
        r["id"] for r in client.get(f"/challenges/{challenge.id}/ocds.json").get_json()["releases"]
    ]
    second = [
        r["id"] for r in client.get(f"/challenges/{challenge.id}/ocds.json").get_json()["releases"]
    ]
    assert first == second
    assert len(set(first)) == len(first)


def test_nothing_sealed_appears_before_the_deadline(client, db, demo):
    open_ids = [c.id for c in demo if c.status is ChallengeStatus.PUBLISHED]
    sealed = db.session.scalars(
        sa.select(Proposal).where(
            Proposal.challenge_id.in_(open_ids), Proposal.status == ProposalStatus.SUBMITTED
        )
    ).all()
    assert sealed
    bodies = [
        client.get(url).get_data(as_text=True)
        for url in (
            "/ocds/releases.json",
            "/ocds/records.json",
            *[f"/challenges/{cid}/ocds.json" for cid in open_ids],
        )
    ]
    for proposal in sealed:
        for body in bodies:
            assert proposal.summary not in body
            assert proposal.reference not in body
        # Who bids on an open challenge is sealed too (the company may appear elsewhere,
        # e.g. as the winner of another challenge).
        own = client.get(f"/challenges/{proposal.challenge_id}/ocds.json").get_data(as_text=True)
        assert proposal.supplier.legal_name not in own
    for cid in open_ids:
        package = client.get(f"/challenges/{cid}/ocds.json").get_json()
        assert all("bids" not in r for r in package["releases"])


def test_release_and_record_packages_validate_and_paginate(client, db, demo):
    staff = factories.agency_staff()
    for n in range(50):
        factories.published_challenge(staff, title=f"Desafío paginado número {n:02d}")
    challenge = factories.published_challenge(staff, title="Desafío con adenda publicada")
    from govtech.challenges.services import publish_addendum

    publish_addendum(
        challenge,
        staff,
        "Se agrega un requisito de accesibilidad.",
        changes_requirements=True,
        new_submission_deadline=challenge.submission_deadline + dt.timedelta(days=5),
    )
    db.session.commit()
    first = client.get("/ocds/releases.json").get_json()
    assert _errors(RELEASE_PACKAGE, first) == []
    assert first["links"]["next"].endswith("page=2")
    second = client.get("/ocds/releases.json?page=2").get_json()
    assert _errors(RELEASE_PACKAGE, second) == []
    assert "links" not in second
    amendment = next(r for r in second["releases"] if r["tag"] == ["tenderAmendment"])
    assert amendment["tender"]["amendments"][0]["rationale"].startswith("Se agrega")
    records = client.get("/ocds/records.json").get_json()
    assert _errors(RECORD_PACKAGE, records) == []
    assert records["links"]["next"].endswith("page=2")
    assert all(r["compiledRelease"]["ocid"] == r["ocid"] for r in records["records"])
    assert client.get("/ocds/records.json?page=0").status_code == 400


def test_ocid_prefix_is_configurable(app_factory, db):
    challenge = factories.published_challenge()
    db.session.commit()
    other = app_factory(OCDS_PREFIX="ocds-abc123")
    package = other.test_client().get(f"/challenges/{challenge.id}/ocds.json").get_json()
    assert package["releases"][0]["ocid"] == f"ocds-abc123-{challenge.reference}"


def test_the_validator_really_validates():
    broken = {
        "uri": "x",
        "version": "1.1",
        "publishedDate": "yesterday",
        "publisher": {},
        "releases": [
            {
                "ocid": "o",
                "id": "i",
                "date": "2026-01-01T00:00:00Z",
                "tag": ["nonsense"],
                "initiationType": "tender",
            }
        ],
    }
    assert _errors(RELEASE_PACKAGE, broken) != []


def test_void_and_cancelled_challenges_have_valid_packages(client, db):
    from govtech.awards.services import confirm_decision, propose_void
    from govtech.challenges.services import cancel_challenge

    challenge, staff, proposals, evaluators = factories.evaluation_scenario(n_evaluators=3)
    decision = propose_void(challenge, staff, "Ninguna propuesta alcanza el puntaje mínimo.")
    confirm_decision(decision, factories.agency_staff(staff.agency))
    cancelled = factories.published_challenge(title="Desafío cancelado para probar OCDS")
    cancel_challenge(cancelled, cancelled.agency.staff[0], "Presupuesto reasignado a salud.")
    db.session.commit()
    void_package = client.get(f"/challenges/{challenge.id}/ocds.json").get_json()
    assert _errors(RELEASE_PACKAGE, void_package) == []
    last = void_package["releases"][-1]
    assert last["tender"]["status"] == "unsuccessful"
    assert "awards" not in last  # none, and empty arrays are omitted
    cancelled_package = client.get(f"/challenges/{cancelled.id}/ocds.json").get_json()
    assert _errors(RELEASE_PACKAGE, cancelled_package) == []
    assert cancelled_package["releases"][-1]["tag"] == ["tenderCancellation"]


def test_a_page_number_past_any_offset_is_a_bad_request(client, db):
    factories.published_challenge()
    db.session.commit()
    assert client.get("/ocds/releases.json?page=" + "9" * 1000).status_code == 400
    assert client.get("/ocds/records.json?page=" + "9" * 30).status_code == 400
    assert client.get("/ocds/releases.json?page=1").status_code == 200
