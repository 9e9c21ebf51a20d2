"""The page cache (govtech/page_cache.py) serves read-only pages without rendering them, yet
never shows a page older than the last change the app committed, never hands one visitor's
CSRF token or personal page to another, and never swallows a flash message."""

import datetime as dt
import gzip
import re

import pytest
import sqlalchemy as sa
import time_machine

from bench.measures import clear_page_cache, count_statements
from govtech.audit.services import record
from tests import factories
from tests.conftest import AUDIT_GUARD, TEST_DATABASE_URL, login

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _still_clock():
    """Cached pages live within a period of PAGE_CACHE_SECONDS: a test that expects the
    second of two requests to be a hit must not see a period end between them."""
    with time_machine.travel(dt.datetime.now(dt.UTC), tick=False):
        yield


def _statements(app, client, path):
    with count_statements(app) as counter:
        response = client.get(path)
    assert response.status_code == 200, path
    return counter["n"], response.get_data(as_text=True)


def test_a_cached_page_skips_the_render_and_shows_the_next_change_at_once(app, db):
    staff = factories.agency_staff()
    challenge = factories.published_challenge(staff)
    member = factories.supplier_member()
    db.session.commit()
    anonymous = app.test_client()
    path = f"/challenges/{challenge.id}"
    rendered, first = _statements(app, anonymous, path)
    cached, second = _statements(app, anonymous, path)
    assert cached < rendered
    assert TOKEN.sub("", second) == TOKEN.sub("", first)

    supplier = app.test_client()
    login(supplier, member.email, factories.PASSWORD)
    question = "¿Se puede presentar un piloto en dos municipios a la vez?"
    assert supplier.post(f"{path}/questions", data={"text": question}).status_code == 302
    agency = app.test_client()
    login(agency, staff.email, factories.PASSWORD)
    question_id = db.session.scalar(sa.text("SELECT id FROM questions"))
    answer = "Sí, siempre que ambos municipios firmen la carta de apoyo."
    response = agency.post(f"{path}/questions/{question_id}/answer", data={"answer": answer})
    assert response.status_code == 302
    assert answer in anonymous.get(path).get_data(as_text=True)


def test_a_deadline_passing_closes_the_challenge_before_a_cached_page_is_served(app, db):
    challenge = factories.published_challenge()
    db.session.commit()
    # Two moments in the same cache period (10 s), on either side of the deadline.
    deadline = challenge.submission_deadline.replace(second=5, microsecond=0)
    challenge.submission_deadline = deadline
    db.session.commit()
    client = app.test_client()
    path = f"/api/v1/challenges/{challenge.id}"
    with time_machine.travel(deadline - dt.timedelta(seconds=2), tick=False):
        assert client.get(path).get_json()["status"] == "published"
        assert client.get(path).get_json()["status"] == "published"
    with time_machine.travel(deadline + dt.timedelta(seconds=1), tick=False):
        assert client.get(path).get_json()["status"] == "closed"


def test_visitors_share_pages_that_hold_no_token_and_still_switch_language(app_factory, db):
    person = factories.supplier_member()
    factories.published_challenge(title="Desafío de movilidad urbana")
    db.session.commit()
    csrf_app = app_factory(WTF_CSRF_ENABLED=True)
    first, second = csrf_app.test_client(), csrf_app.test_client()
    rendered, page = _statements(csrf_app, first, "/challenges/")
    cached, _ = _statements(csrf_app, second, "/challenges/")
    assert cached < rendered  # the second visitor got the first one's page
    assert 'name="csrf_token"' not in page
    assert "Set-Cookie" not in second.get("/challenges/").headers  # no session for browsing
    switch = {"language": "pt_BR", "next": "/challenges/"}
    assert second.post("/language", data=switch).status_code == 302
    assert 'lang="pt-BR"' in second.get("/challenges/").get_data(as_text=True)
    assert 'lang="en"' in first.get("/challenges/").get_data(as_text=True)
    # A signed-in user's choice is saved to their account: that needs the session's token.
    member = csrf_app.test_client()
    sign_in = member.get("/accounts/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', sign_in).group(1)
    form = {"email": person.email, "password": factories.PASSWORD, "csrf_token": token}
    assert member.post("/accounts/login", data=form).status_code == 302
    assert member.post("/language", data=switch).status_code == 400
    token = TOKEN.search(member.get("/challenges/").get_data(as_text=True)).group(1)
    assert member.post("/language", data=switch | {"csrf_token": token}).status_code == 302


def test_signed_in_pages_are_never_shared_between_users(app, db):
    mine = factories.agency_staff()
    theirs = factories.agency_staff()
    factories.draft_challenge(mine, title="Borrador de la agencia propia")
    factories.draft_challenge(theirs, title="Borrador de la otra agencia")
    db.session.commit()
    clients = {}
    for person in (mine, theirs):
        clients[person.email] = app.test_client()
        login(clients[person.email], person.email, factories.PASSWORD)
        clients[person.email].get("/dashboard")  # shows the sign-in message, if any
    pages = {}
    for person in (mine, theirs, mine, theirs):
        page = clients[person.email].get("/dashboard").get_data(as_text=True)
        pages.setdefault(person.email, []).append(page)
    for page in pages[mine.email]:
        assert "Borrador de la agencia propia" in page
        assert "Borrador de la otra agencia" not in page
    for page in pages[theirs.email]:
        assert "Borrador de la otra agencia" in page
        assert "Borrador de la agencia propia" not in page


def test_a_flash_message_and_the_new_state_show_after_following(app, db):
    challenge = factories.published_challenge()
    member = factories.supplier_member()
    db.session.commit()
    client = app.test_client()
    login(client, member.email, factories.PASSWORD)
    path = f"/challenges/{challenge.id}"
    assert "Stop following" not in client.get(path).get_data(as_text=True)
    client.get(path)  # now cached
    client.post(f"{path}/follow")
    page = client.get(path).get_data(as_text=True)
    assert "You will receive an email when answers or addenda are published." in page
    assert "Stop following" in page
    page = client.get(path).get_data(as_text=True)  # the flash is shown once
    assert "You will receive an email" not in page
    assert "Stop following" in page


def test_a_submitted_scorecard_shows_on_the_cached_assignments_page(app, db):
    challenge, _staff, proposals, evaluators = factories.evaluation_scenario(n_bidders=1)
    db.session.commit()
    client = app.test_client()
    login(client, evaluators[0].email, factories.PASSWORD)
    assert "0 / 1" in client.get("/evaluation/assignments").get_data(as_text=True)
    client.get("/evaluation/assignments")  # now cached
    from govtech.evaluation.services import rubric

    url = f"/evaluation/proposals/{proposals[0].id}/scorecard"
    version = re.search(r'name="version" type="hidden" value="(\d+)"', client.get(url).text)
    data = {"version": version.group(1), "submit_card": "1"}
    for criterion in rubric(challenge):
        data[f"score_{criterion.id}"] = "4"
        data[f"justification_{criterion.id}"] = "Cumple el criterio con evidencia suficiente."
    response = client.post(url, data=data)
    assert response.status_code == 302
    client.get(response.headers["Location"])  # shows the confirmation message
    assert "1 / 1" in client.get("/evaluation/assignments").get_data(as_text=True)


def test_a_cached_page_costs_one_statement_the_connections_liveness_check(app, db):
    """A hit reads the data version as the check-out's liveness check and nothing else:
    no ping, no second read of the version, for visitors and signed-in users alike."""
    challenge = factories.published_challenge()
    member = factories.supplier_member()
    db.session.commit()
    anonymous = app.test_client()
    signed_in = app.test_client()
    login(signed_in, member.email, factories.PASSWORD)
    for client in (anonymous, signed_in):
        for path in ("/challenges/", f"/challenges/{challenge.id}"):
            client.get(path)
            client.get(path)  # the render (and the sign-in message) is behind us
            with count_statements(app) as counter:
                assert client.get(path).status_code == 200
            assert counter == {"n": 1, "queries": 0, "at_checkout": 1}, path


def test_open_data_pages_are_cached_and_show_a_publication_at_once(app, db):
    staff = factories.agency_staff()
    factories.published_challenge(staff, title="Reto ya publicado")
    draft = factories.draft_challenge(staff, title="Reto que se publica ahora")
    db.session.commit()
    harvester = app.test_client()
    for path in ("/ocds/releases.json", "/ocds/records.json"):
        rendered, first = _statements(app, harvester, path)
        cached, _ = _statements(app, harvester, path)
        assert cached == 1 < rendered
        assert "Reto ya publicado" in first
        assert "Reto que se publica ahora" not in first
    agency = app.test_client()
    login(agency, staff.email, factories.PASSWORD)
    assert agency.post(f"/challenges/{draft.id}/publish").status_code == 302
    for path in ("/ocds/releases.json", "/ocds/records.json"):
        assert "Reto que se publica ahora" in harvester.get(path).get_data(as_text=True)


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="connections a server drops: PostgreSQL")
def test_connections_the_server_dropped_are_replaced_before_a_request_uses_them(app, db):
    """What a database restart or failover does to the pool: the next requests still
    succeed, and see the data as it is."""
    challenge = factories.published_challenge(title="Reto que sobrevive al reinicio")
    db.session.commit()
    clients = [app.test_client() for _ in range(3)]
    for client in clients:
        assert client.get(f"/challenges/{challenge.id}").status_code == 200
    dropped = db.session.scalars(
        sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    ).all()
    db.session.commit()
    assert dropped
    assert all(dropped)
    # The health check's query runs on the very connection its session checked out.
    assert clients[0].get("/healthz").status_code == 200
    for client in clients:
        response = client.get(f"/challenges/{challenge.id}")
        assert response.status_code == 200
        assert "Reto que sobrevive al reinicio" in response.get_data(as_text=True)


def test_the_audit_guard_catches_a_write_without_an_audit_entry(app, db):
    from govtech.extensions import db as app_db

    person = factories.supplier_member()
    db.session.commit()
    with app.app_context():
        app_db.session.execute(
            sa.text("UPDATE users SET full_name = 'Sin auditoría' WHERE id = :id"),
            {"id": person.id},
        )
        app_db.session.commit()
        caught = list(AUDIT_GUARD.violations)
        AUDIT_GUARD.violations.clear()
        app_db.session.execute(
            sa.text("UPDATE users SET full_name = 'Con auditoría' WHERE id = :id"),
            {"id": person.id},
        )
        record("user.renamed", None, actor=None)
        app_db.session.commit()
    assert caught
    assert "UPDATE users" in caught[0][0]
    assert AUDIT_GUARD.violations == []


def test_pages_render_again_once_the_cache_is_emptied(app, db):
    factories.published_challenge()
    db.session.commit()
    client = app.test_client()
    rendered, _ = _statements(app, client, "/challenges/")
    cached, _ = _statements(app, client, "/challenges/")
    clear_page_cache(app)
    again, _ = _statements(app, client, "/challenges/")
    assert cached < rendered == again


def test_every_public_page_of_the_demo_is_shared_by_anonymous_visitors(app_factory, runner, db):
    """With CSRF on, as in production: a page that built a form for a visitor would carry
    a session token and could not be shared (the challenge page once did)."""
    assert runner.invoke(args=["seed", "checklist"]).exit_code == 0
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    public_ids = db.session.scalars(
        sa.text("SELECT id FROM challenges WHERE status != 'draft' ORDER BY id")
    ).all()
    paths = ["/", "/challenges/", "/api/v1/challenges"]
    paths += [f"/challenges/{i}" for i in public_ids] + [
        f"/api/v1/challenges/{i}" for i in public_ids
    ]
    csrf_app = app_factory(WTF_CSRF_ENABLED=True)
    first, second = csrf_app.test_client(), csrf_app.test_client()
    for path in paths:
        rendered, _ = _statements(csrf_app, first, path)
        cached, _ = _statements(csrf_app, second, path)
        assert cached < rendered, path


def test_pages_are_stored_compressed_and_signed_in_forms_still_work(app_factory, db):
    person = factories.agency_staff()
    factories.published_challenge(title="Desafío de movilidad urbana")
    db.session.commit()
    csrf_app = app_factory(WTF_CSRF_ENABLED=True)
    client = csrf_app.test_client()
    sign_in = client.get("/accounts/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', sign_in).group(1)
    form = {"email": person.email, "password": factories.PASSWORD, "csrf_token": token}
    assert client.post("/accounts/login", data=form).status_code == 302
    client.get("/dashboard")  # shows the sign-in message, if any
    plain = client.get("/dashboard")
    packed = client.get("/dashboard", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    # The compressed page holds this session's token: signing out with it works.
    token = TOKEN.search(plain.get_data(as_text=True)).group(1)
    assert client.post("/accounts/logout", data={"csrf_token": token}).status_code == 302
    visitor = csrf_app.test_client().get("/challenges/", headers={"Accept-Encoding": "gzip"})
    assert visitor.headers["Content-Encoding"] == "gzip"
    assert b"Desaf" in gzip.decompress(visitor.get_data())


def test_a_session_without_a_csrf_token_gets_its_page_rendered_not_stored(app, db):
    """Right after sign-in the session has no token yet: the page makes one, which only
    this session's next cookie carries, so that page is neither stored nor looked up."""
    person = factories.agency_staff()
    db.session.commit()
    client = app.test_client()
    login(client, person.email, factories.PASSWORD)
    fresh_cookie = client.get_cookie("session", domain="govtech.test").value  # no token yet
    replay = app.test_client(use_cookies=False)
    headers = {"Cookie": f"session={fresh_cookie}"}
    counts = []
    for _ in range(3):
        with count_statements(app) as counter:
            assert replay.get("/dashboard", headers=headers).status_code == 200
        counts.append(counter["n"])
    assert counts[1] == counts[2]  # rendered every time (the first also loaded the user)
    client.get("/dashboard")  # a browser keeps the cookie, now with the token
    client.get("/dashboard")  # rendered and stored
    cached, _ = _statements(app, client, "/dashboard")
    assert cached < counts[2]
