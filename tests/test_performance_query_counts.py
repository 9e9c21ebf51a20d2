"""The main pages run the same number of SQL statements whatever the amount of data
(no query per row). Counted with a SQLAlchemy event listener; timings stay out of tests."""

import contextlib

import sqlalchemy as sa

from govtech.extensions import db as _db
from tests import factories
from tests.conftest import login


@contextlib.contextmanager
def count_statements(app):
    counter = {"n": 0}
    with app.app_context():
        engine = _db.engine

    def before(*_args, **_kwargs):
        counter["n"] += 1

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


def _grow(staff, n):
    """n challenges: half from the signed-in agency, half each from a different agency (so
    a per-row lazy load of agencies would show), each with a submitted proposal."""
    for i in range(n):
        owner = staff if i % 2 == 0 else factories.agency_staff()
        challenge = factories.published_challenge(owner, title=f"Desafío de carga número {i:03d}")
        factories.submitted_proposal(challenge)


def _measure(app, client, paths):
    counts = {}
    for path in paths:
        client.get(path)  # warm caches (translations, templates)
        with count_statements(app) as counter:
            response = client.get(path)
        assert response.status_code == 200, path
        counts[path] = counter["n"]
    return counts


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
    ]
    # Not yet: /ocds/releases.json builds each challenge's releases with its own queries
    # (about 5 per challenge); see issue #10.
    small = _measure(app, client, paths)
    _grow(staff, 22)
    db.session.commit()
    large = _measure(app, client, paths)
    assert large == small
