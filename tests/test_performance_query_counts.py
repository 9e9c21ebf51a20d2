"""The main pages run the same number of SQL statements whatever the amount of data
(no query per row). Counted with a SQLAlchemy event listener; timings stay out of tests."""

import sqlalchemy as sa

from bench.measures import clear_page_cache, count_statements
from tests import factories
from tests.conftest import login


def _grow(staff, n):
    """n challenges: half from the signed-in agency, half each from a different agency (so
    a per-row lazy load of agencies would show), each with a submitted proposal."""
    for i in range(n):
        owner = staff if i % 2 == 0 else factories.agency_staff()
        challenge = factories.published_challenge(owner, title=f"Desafío de carga número {i:03d}")
        factories.submitted_proposal(challenge)


def test_public_and_agency_pages_do_not_query_per_row(app, db):
    staff = factories.agency_staff()
    _grow(staff, 2)
    db.session.commit()
    client = app.test_client()
    login(client, staff.email, factories.PASSWORD)
    first_id = db.session.scalar(
        sa.select(sa.func.min(sa.text("id"))).select_from(sa.table("challenges"))
    )
    paths = [
        "/challenges/",
        "/challenges/?sector=health&q=carga",
        "/api/v1/challenges",
        f"/challenges/{first_id}",
        "/dashboard",
        "/",
        "/results",
        # Open data: what a page of challenges reads is loaded together; only the ranking
        # of each decided challenge (in its award release) is still read per challenge.
        "/ocds/releases.json",
        "/ocds/records.json",
    ]
    small = _measure(app, [(path, client, path) for path in paths])
    _grow(staff, 22)
    db.session.commit()
    large = _measure(app, [(path, client, path) for path in paths])
    assert large == small


def _scored_panel(person, n_bidders: int):
    """A challenge in evaluation with `person` on its panel and every scorecard submitted
    (one divergence per proposal, so the consensus forms show too)."""
    from govtech.evaluation.panel import (
        accept_panel_invitation,
        declare_conflicts,
        invite_evaluator,
    )

    challenge, staff, proposals, evaluators = factories.evaluation_scenario(n_bidders, 2)
    accept_panel_invitation(invite_evaluator(challenge, staff, person.email, "Experta"), person)
    declare_conflicts(challenge, person, {p.id: (False, None, None) for p in proposals})
    values = ([1, 4, 2, 5], [4, 4, 3, 5], [2, 3, 2, 4])
    for proposal in proposals:
        for who, scores in zip([*evaluators, person], values, strict=True):
            factories.score(proposal, who, scores)
    return challenge, staff


def _measure(app, visits):
    """{label: statements} of a warm GET for each (label, client, path), rendered rather
    than served from the page cache."""
    counts = {}
    for label, client, path in visits:
        client.get(path)
        clear_page_cache(app)
        with count_statements(app) as counter:
            response = client.get(path)
        assert response.status_code == 200, path
        counts[label] = counter["n"]
    return counts


def test_evaluation_pages_do_not_query_per_row(app, db):
    """The evaluator's assignments and the ranking page: the same statements with one panel
    of 2 proposals as with three panels, the ranked one of 5 proposals."""
    person = factories.evaluator()
    db.session.commit()
    evaluator_client = app.test_client()
    login(evaluator_client, person.email, factories.PASSWORD)

    def visits(challenge, staff):
        staff_client = app.test_client()
        login(staff_client, staff.email, factories.PASSWORD)
        return [
            ("ranking", staff_client, f"/evaluation/challenges/{challenge.id}/results"),
            ("staff dashboard", staff_client, "/dashboard"),
            ("assignments", evaluator_client, "/evaluation/assignments"),
            ("evaluator dashboard", evaluator_client, "/dashboard"),
        ]

    small_challenge, small_staff = _scored_panel(person, 2)
    db.session.commit()
    small = _measure(app, visits(small_challenge, small_staff))
    _scored_panel(person, 2)
    large_challenge, large_staff = _scored_panel(person, 5)
    db.session.commit()
    large = _measure(app, visits(large_challenge, large_staff))
    assert large == small
