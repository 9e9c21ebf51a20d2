"""Back up, restore into an empty database, and check every digest and the audit chain."""

import os
import uuid

import psycopg
import pytest
import sqlalchemy as sa

from govtech.audit.services import verify_chain
from govtech.backups import create_backup, restore_backup
from govtech.extensions import db as _db
from govtech.proposals.models import ProposalSubmission
from govtech.proposals.services import content_digest
from tests.conftest import TEST_DATABASE_URL, _dispose, build_app


@pytest.fixture
def empty_database_url(tmp_path):
    """A URL to an empty database of the same kind as the suite's."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'restored.sqlite'}"
        return
    base = sa.engine.make_url(TEST_DATABASE_URL.replace("postgres://", "postgresql://", 1))
    name = f"govtech_restore_{uuid.uuid4().hex[:8]}"
    admin_url = base.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield base.set(drivername="postgresql+psycopg", database=name).render_as_string(
        hide_password=False
    )
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _facts():
    submissions = _db.session.scalars(
        sa.select(ProposalSubmission).order_by(ProposalSubmission.id)
    ).all()
    return {
        "digests": [(s.receipt, s.digest) for s in submissions],
        "recomputed": all(content_digest(s.snapshot["content"]) == s.digest for s in submissions),
        "chain": verify_chain(),
        "notices": _db.session.scalar(sa.text("SELECT count(*) FROM award_notices")),
    }


def test_backup_and_restore_into_an_empty_database(runner, db, tmp_path, empty_database_url):
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    before = _facts()
    assert before["digests"]
    assert before["recomputed"]
    assert before["chain"][0] is True
    path = str(tmp_path / "govtech.backup")
    result = runner.invoke(args=["backup", "create", path])
    assert result.exit_code == 0, result.output
    assert os.path.getsize(path) > 10_000

    restored = build_app(SQLALCHEMY_DATABASE_URI=empty_database_url)
    try:
        with restored.app_context():
            restore_backup(path)
            after = _facts()
            assert after["digests"] == before["digests"]
            assert after["recomputed"] is True
            assert after["chain"][0] is True
            assert after["chain"][2] == before["chain"][2]
            assert after["notices"] == before["notices"] == 2  # an award and a void
    finally:
        _dispose(restored)


def test_restore_refuses_a_missing_file(runner):
    result = runner.invoke(args=["backup", "restore", "/nonexistent/backup.file"])
    assert result.exit_code != 0
    assert "no backup file" in result.output


def test_create_backup_function_writes_a_file(db, tmp_path):
    path = tmp_path / "direct.backup"
    create_backup(str(path))
    assert path.stat().st_size > 0
