"""Signed-in pages, and any response that sets or carries a session, are marked
`Cache-Control: private, no-store`; public visitors' pages keep their own caching."""

import re

import pytest

from govtech import page_cache
from tests import factories
from tests.conftest import login

PRIVATE = "private, no-store"


def _csrf_login(client, email):
    page = client.get("/accounts/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/accounts/login",
        data={"email": email, "password": factories.PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    return response


@pytest.fixture
def replays(monkeypatch):
    """How many responses the page cache served from a stored entry."""
    served = []
    original = page_cache._response

    def counted(entry):
        served.append(entry)
        return original(entry)

    monkeypatch.setattr(page_cache, "_response", counted)
    return served


def test_signed_in_pages_are_private_and_not_stored(app, db):
    member = factories.supplier_member()
    challenge = factories.published_challenge()
    db.session.commit()
    client = app.test_client()
    signed_in = login(client, member.email, factories.PASSWORD)
    assert signed_in.headers["Cache-Control"] == PRIVATE  # it sets the session cookie
    for path in ("/dashboard", f"/challenges/{challenge.id}", "/challenges/", "/accounts/password"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == PRIVATE, path
    assert client.get("/no-such-page").headers["Cache-Control"] == PRIVATE
    signed_out = client.post("/accounts/logout")
    assert signed_out.headers["Cache-Control"] == PRIVATE


def test_a_cached_signed_in_page_is_replayed_private(app_factory, db, replays):
    served = app_factory(WTF_CSRF_ENABLED=True)
    member = factories.supplier_member()
    challenge = factories.published_challenge()
    db.session.commit()
    client = served.test_client()
    _csrf_login(client, member.email)
    path = f"/challenges/{challenge.id}"
    first = client.get(path)
    again = client.get(path)
    assert replays, "the second page was not served from the cache"
    assert first.get_data() == again.get_data()
    for response in (first, again):
        assert response.headers["Cache-Control"] == PRIVATE


def test_visitors_public_pages_keep_their_caching(app, db, replays):
    challenge = factories.published_challenge()
    db.session.commit()
    client = app.test_client()
    for path in ("/", "/challenges/", f"/challenges/{challenge.id}", "/results"):
        for _ in range(2):
            response = client.get(path)
            assert response.status_code == 200, path
            assert "no-store" not in response.headers.get("Cache-Control", ""), path
    assert replays  # the same holds for pages replayed from the cache
    assert "no-store" not in client.get("/healthz").headers.get("Cache-Control", "")


def test_a_visitor_response_that_sets_or_carries_a_session_is_private(app_factory):
    client = app_factory(WTF_CSRF_ENABLED=True).test_client()
    # The sign-in form carries a CSRF token made for this visitor's session.
    first = client.get("/accounts/login")
    assert "Set-Cookie" in first.headers
    assert first.headers["Cache-Control"] == PRIVATE
    again = client.get("/accounts/login")
    assert again.headers["Cache-Control"] == PRIVATE
    language = client.post("/language", data={"language": "en", "next": "/"})
    assert language.headers["Cache-Control"] == PRIVATE
