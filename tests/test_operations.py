"""Configuration, command-line tools and migrations."""

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from govtech import create_app
from govtech.accounts.models import Role, User
from govtech.config import ConfigurationError, load_settings
from govtech.extensions import db as _db


def test_models_and_migrations_agree(app):
    with _db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, _db.metadata)
    assert differences == []


def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("GOVTECH_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError):
        load_settings(str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(ConfigurationError):
        load_settings(str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://compras.example.gov")
    settings = load_settings(str(tmp_path))
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["SHOW_DEMO_LOGINS"] is False


def test_development_secret_key_is_generated_once(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("GOVTECH_ENV", raising=False)
    first = load_settings(str(tmp_path))["SECRET_KEY"]
    second = load_settings(str(tmp_path))["SECRET_KEY"]
    assert first == second
    assert len(first) >= 40
    assert (Path(tmp_path) / "secret_key").stat().st_mode & 0o077 == 0
    assert "govtech/config.py" not in first


def test_database_url_switches_to_postgresql(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.internal/govtech")
    url = load_settings(str(tmp_path))["SQLALCHEMY_DATABASE_URI"]
    assert url == "postgresql+psycopg://u@db.internal/govtech"
    monkeypatch.delenv("DATABASE_URL")
    assert load_settings(str(tmp_path))["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")


def test_users_create_command(runner, db):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Root@Example.org",
            "--password",
            "first-admin-passphrase-9",
            "--role",
            "admin",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User))
    assert user.email == "root@example.org"
    assert user.role is Role.ADMIN
    weak = runner.invoke(
        args=["users", "create", "--email", "b@example.org", "--password", "123", "--role", "admin"]
    )
    assert weak.exit_code != 0
    assert "10" in weak.output  # the minimum length, in the platform's default language
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_seed_demo_is_idempotent(runner, db):
    def counts():
        return {
            table: db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))  # noqa: S608
            for table in ("users", "agencies", "suppliers", "audit_entries")
        }

    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    first = counts()
    assert first["users"] >= 12
    second_run = runner.invoke(args=["seed", "demo"])
    assert second_run.exit_code == 0
    assert "already loaded" in second_run.output
    assert counts() == first


def test_wsgi_module_exposes_app(monkeypatch, tmp_path):
    monkeypatch.setenv("GOVTECH_INSTANCE_PATH", str(tmp_path))
    import importlib

    import wsgi

    importlib.reload(wsgi)
    assert wsgi.app.name == "govtech"
    assert os.path.exists(tmp_path / "secret_key")


def test_app_factory_accepts_overrides():
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "k" * 40, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    )
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite://"


def test_demo_shows_challenges_in_every_state_built_so_far(runner, db):
    from govtech.challenges.models import Challenge

    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    statuses = {s.value for s in db.session.scalars(sa.select(Challenge.status))}
    assert {"draft", "published", "closed", "in_evaluation", "cancelled"} <= statuses
    countries = set(db.session.scalars(sa.select(Challenge.country)))
    assert len(countries) >= 3


def test_demo_has_proposals_in_every_state(runner, db):
    from govtech.proposals.models import Proposal

    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    rows = db.session.execute(sa.select(Proposal.status, Proposal.screening)).all()
    assert {status.value for status, _ in rows} == {"draft", "submitted", "withdrawn"}
    assert {screening.value for _, screening in rows} == {"pending", "eligible", "ineligible"}


def test_demo_has_an_award_with_its_notice_and_a_pilot_in_progress(runner, db):
    from govtech.awards.models import AwardNotice, MilestoneStatus, PilotMilestone
    from govtech.challenges.models import Challenge

    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    statuses = {s.value for s in db.session.scalars(sa.select(Challenge.status))}
    assert {"awarded", "in_evaluation", "void"} <= statuses
    assert db.session.scalar(sa.select(sa.func.count(AwardNotice.id))) == 2  # award + void
    milestones = {m.status for m in db.session.scalars(sa.select(PilotMilestone))}
    assert MilestoneStatus.ACCEPTED in milestones
    assert MilestoneStatus.DELIVERED in milestones


def test_demo_has_panel_invitations_accepted_and_still_pending(runner, db):
    from govtech.evaluation.models import EvaluatorAssignment

    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    accepted = {a.user_id is not None for a in db.session.scalars(sa.select(EvaluatorAssignment))}
    assert accepted == {True, False}


def test_make_run_prints_emails_whole_so_a_new_user_can_follow_their_links(app_factory, db, caplog):
    """No mail server in development: registration completes from the link in the log."""
    import logging
    import re

    printing = app_factory(MAIL_LOG_BODY=True)
    caplog.set_level(logging.INFO, logger="govtech.notifications")
    response = printing.test_client().post(
        "/accounts/password/forgot", data={"email": "nobody@example.org"}
    )
    assert response.status_code == 302
    bodies = [r.getMessage() for r in caplog.records if r.getMessage().startswith("email body")]
    assert len(bodies) == 1
    assert "nobody@example.org" in bodies[0]
    assert re.search(r"http://govtech\.test/accounts/register", bodies[0]), bodies[0]


def test_emails_are_not_logged_whole_unless_asked(client, db, caplog):
    import logging

    caplog.set_level(logging.INFO, logger="govtech.notifications")
    client.post("/accounts/password/forgot", data={"email": "nobody@example.org"})
    assert any("not sent" in r.getMessage() for r in caplog.records)
    assert not any(r.getMessage().startswith("email body") for r in caplog.records)


def test_production_never_logs_emails_whole(monkeypatch, tmp_path):
    from govtech.config import load_settings

    monkeypatch.setenv("GOVTECH_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://compras.example.gov")
    monkeypatch.setenv("MAIL_LOG_BODY", "1")
    assert load_settings(str(tmp_path))["MAIL_LOG_BODY"] is False
