"""Absolute links are built on PUBLIC_BASE_URL, never on the Host a client sent, and
production refuses requests for other hosts (password-reset link poisoning)."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from govtech.config import ConfigurationError, load_settings
from govtech.navigation import public_url
from tests import factories

PUBLIC = "https://compras.example.gov"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def public_app(app_factory):
    """The platform behind its public URL, as deployed (hosts not restricted here)."""
    return app_factory(PUBLIC_BASE_URL=PUBLIC + "/", SERVER_NAME=None)


def test_reset_link_ignores_a_forged_host(public_app, db, outbox):
    factories.supplier_member(email="ana@example.org")
    db.session.commit()
    response = public_app.test_client().post(
        "/accounts/password/forgot",
        data={"email": "ana@example.org"},
        headers={"Host": "attacker.example"},
    )
    assert response.status_code == 302
    [message] = outbox
    links = re.findall(r"https?://\S+", message.body)
    assert links, message.body
    assert all(link.startswith(PUBLIC + "/accounts/password/reset/") for link in links), links
    assert "attacker.example" not in message.body


def test_api_and_ocds_links_use_the_public_url(public_app, db):
    factories.published_challenge()
    db.session.commit()
    client = public_app.test_client()
    forged = {"Host": "attacker.example"}
    listing = client.get("/api/v1/challenges", headers=forged).get_json()
    [item] = listing["items"] if "items" in listing else listing["data"]
    assert item["url"].startswith(PUBLIC + "/challenges/")
    ocds = client.get(f"/challenges/{item['id']}/ocds.json", headers=forged)
    assert ocds.status_code == 200
    assert "attacker.example" not in ocds.get_data(as_text=True)
    assert PUBLIC + "/" in ocds.get_data(as_text=True)


def test_the_openapi_server_is_the_public_url(public_app):
    document = public_app.test_client().get(
        "/api/v1/openapi.json", headers={"Host": "attacker.example"}
    )
    assert document.get_json()["servers"] == [{"url": PUBLIC}]
    assert "attacker.example" not in document.get_data(as_text=True)


def test_links_outside_a_request_use_the_public_url(public_app):
    with public_app.app_context():
        assert public_url("awards.verify") == PUBLIC + "/notices/verify"


def test_production_refuses_to_start_without_a_public_url(monkeypatch, tmp_path):
    monkeypatch.setenv("GOVTECH_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.delenv("TRUSTED_HOSTS", raising=False)
    with pytest.raises(ConfigurationError):
        load_settings(str(tmp_path))
    for unsafe in ("http://compras.example.gov", "compras.example.gov", "https://x.gov/?a=1"):
        monkeypatch.setenv("PUBLIC_BASE_URL", unsafe)
        with pytest.raises(ConfigurationError):
            load_settings(str(tmp_path))
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC)
    monkeypatch.setenv("TRUSTED_HOSTS", "internal.example.gov, .cdn.example.gov")
    settings = load_settings(str(tmp_path))
    assert settings["TRUSTED_HOSTS"] == [
        "compras.example.gov",
        "internal.example.gov",
        ".cdn.example.gov",
    ]


def test_production_hosts_are_refused_with_a_400_except_the_health_check(
    app_factory, db, monkeypatch, tmp_path
):
    monkeypatch.setenv("GOVTECH_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("PUBLIC_BASE_URL", PUBLIC)
    monkeypatch.delenv("TRUSTED_HOSTS", raising=False)
    hosts = load_settings(str(tmp_path))["TRUSTED_HOSTS"]
    served = app_factory(
        PUBLIC_BASE_URL=PUBLIC, TRUSTED_HOSTS=hosts, SERVER_NAME=None, FORCE_HTTPS=False
    )
    client = served.test_client()
    for path in ("/", "/accounts/login", "/accounts/password/forgot", "/api/v1/challenges"):
        refused = client.get(path, headers={"Host": "attacker.example"})
        assert refused.status_code == 400, (path, refused.status_code)
        assert "attacker.example" not in refused.get_data(as_text=True)
        assert "Set-Cookie" not in refused.headers
    assert client.get("/accounts/login", headers={"Host": "compras.example.gov"}).status_code == 200
    # Forwarded by the proxy as the public host: served.
    assert client.get("/", headers={"Host": "compras.example.gov:443"}).status_code == 200
    # Load balancers probe by IP.
    health = client.get("/healthz", headers={"Host": "10.0.0.7:8000"})
    assert health.status_code == 200
    assert health.get_json()["status"] == "ok"


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_gives_the_serving_port_as_public_url(tmp_path):
    """`make run` seeds the demo (its notices' QR codes) and serves with one public URL."""
    fake = tmp_path / "flask"
    fake.write_text('#!/bin/sh\necho "flask $1 $2 PUBLIC_BASE_URL=$PUBLIC_BASE_URL"\n')
    fake.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "PUBLIC_BASE_URL"}
    result = subprocess.run(  # noqa: S603 (fixed arguments)
        [
            shutil.which("make"),
            "--no-print-directory",
            "-o",
            ".venv/.installed-runtime",
            "-o",
            "translations",
            "run",
            f"BIN={tmp_path}",
            "PORT=5123",
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("flask ")]
    seed = next(line for line in lines if line.startswith("flask seed demo"))
    run = next(line for line in lines if line.startswith("flask run"))
    assert seed.endswith("PUBLIC_BASE_URL=http://127.0.0.1:5123"), seed
    assert run.endswith("PUBLIC_BASE_URL=http://127.0.0.1:5123"), run
