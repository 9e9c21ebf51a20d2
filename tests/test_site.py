"""Health check, error pages, languages, security headers and the home page."""

import sqlalchemy as sa


def test_health_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_health_reports_unreachable_database(app_factory):
    broken = app_factory(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none")
    with broken.app_context():
        response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error"}


def test_not_found_in_layout_and_json_for_api(client):
    page = client.get("/no/such/page")
    assert page.status_code == 404
    html = page.get_data(as_text=True)
    assert "Page not found" in html
    assert 'id="main-content"' in html
    api = client.get("/api/v1/nothing-here")
    assert api.status_code == 404
    assert api.get_json()["status"] == 404


def test_unexpected_error_is_a_500_page_with_reference(app_factory):
    fresh = app_factory()
    fresh.add_url_rule("/boom-test", "boom_test", lambda: 1 / 0)
    response = fresh.test_client().get("/boom-test")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong" in html
    assert response.headers["X-Request-ID"] in html
    assert "ZeroDivisionError" not in html


def test_spanish_is_default_and_accept_language_is_honoured(client):
    no_preference = client.get("/", headers={"Accept-Language": ""}).get_data(as_text=True)
    assert '<html lang="es"' in no_preference
    assert "Inicie sesión" in no_preference or "Iniciar sesión" in no_preference
    pt = client.get("/", headers={"Accept-Language": "pt-BR,pt;q=0.9"}).get_data(as_text=True)
    assert '<html lang="pt-BR"' in pt
    en = client.get("/", headers={"Accept-Language": "en-US,en;q=0.8"}).get_data(as_text=True)
    assert '<html lang="en"' in en


def test_language_switcher_remembers_choice(client):
    response = client.post("/language", data={"language": "en", "next": "/"})
    assert response.status_code == 302
    assert '<html lang="en"' in client.get("/").get_data(as_text=True)
    client.post("/language", data={"language": "xx", "next": "https://evil.example.com"})
    assert '<html lang="en"' in client.get("/").get_data(as_text=True)


def test_security_headers(client):
    headers = client.get("/").headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_session_cookie_flags(client, db):
    from tests import factories

    user = factories.supplier_member()
    db.session.commit()
    response = client.post(
        "/accounts/login", data={"email": user.email, "password": factories.PASSWORD}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_home_lists_demo_logins_after_seeding(client, runner, db):
    result = runner.invoke(args=["seed", "demo"])
    assert result.exit_code == 0, result.output
    html = client.get("/").get_data(as_text=True)
    for email in (
        "admin@example.org",
        "agencia@example.org",
        "startup@example.org",
        "evaluador1@example.org",
    ):
        assert email in html
    assert db.session.scalar(sa.text("SELECT count(*) FROM users")) > 5


def test_the_dashboard_does_not_double_the_period_of_a_legal_name(client, db):
    from tests import factories
    from tests.conftest import login

    member = factories.supplier_member()
    member.supplier.legal_name = "Semaforía S.R.L."
    db.session.commit()
    login(client, member.email, factories.PASSWORD)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Semaforía S.R.L." in page
    assert "S.R.L.." not in page
