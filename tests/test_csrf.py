"""With CSRF protection on (as in production), state changes need the form's token."""

import re

import pytest

from tests import factories


@pytest.fixture
def csrf_app(app, app_factory):
    return app_factory(WTF_CSRF_ENABLED=True)


def test_login_without_token_is_refused_and_with_token_works(csrf_app, db):
    user = factories.supplier_member()
    db.session.commit()
    client = csrf_app.test_client()
    refused = client.post(
        "/accounts/login", data={"email": user.email, "password": factories.PASSWORD}
    )
    assert refused.status_code == 400
    page = client.get("/accounts/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    accepted = client.post(
        "/accounts/login",
        data={"email": user.email, "password": factories.PASSWORD, "csrf_token": token},
    )
    assert accepted.status_code == 302


def test_logout_without_token_keeps_session(csrf_app, db):
    user = factories.supplier_member()
    db.session.commit()
    client = csrf_app.test_client()
    page = client.get("/accounts/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post(
        "/accounts/login",
        data={"email": user.email, "password": factories.PASSWORD, "csrf_token": token},
    )
    assert client.post("/accounts/logout").status_code == 400
    assert client.get("/dashboard").status_code == 200
