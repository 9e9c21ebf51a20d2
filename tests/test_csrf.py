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


def test_pages_of_repeated_forms_carry_working_tokens_and_unique_ids(csrf_app, db):
    """The ranking page repeats consensus and reopen forms: each carries the token (and it
    is accepted), and no id appears twice in the page (an id must be unique)."""
    challenge, staff, (first, second), evaluators = factories.evaluation_scenario()
    for proposal in (first, second):
        for person, score in zip(evaluators, (1, 3, 5), strict=True):
            factories.score(proposal, person, [score, 3, 3, 3])
    db.session.commit()
    client = csrf_app.test_client()
    page = client.get("/accounts/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = {"email": staff.email, "password": factories.PASSWORD, "csrf_token": token}
    assert client.post("/accounts/login", data=data).status_code == 302
    url = f"/evaluation/challenges/{challenge.id}/results"
    client.get(url)  # the sign-in message
    page = client.get(url).get_data(as_text=True)
    forms = re.findall(r'<form method="post" action="([^"]+)".*?</form>', page, re.S)
    consensus = [action for action in forms if "/consensus/" in action]
    assert len(consensus) == 2
    assert page.count('name="csrf_token"') >= len(forms) > len(consensus)
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    note = "El panel acuerda un 3: la evidencia presentada es parcial."
    response = client.post(consensus[0], data={"note": note, "csrf_token": token})
    assert response.status_code == 302
