"""Fixtures: the app on a real database (SQLite file, or PostgreSQL via TEST_DATABASE_URL)."""

import os
import tempfile

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade

_INSTANCE = tempfile.mkdtemp(prefix="govtech-test-instance-")
os.environ["GOVTECH_INSTANCE_PATH"] = _INSTANCE
os.environ.pop("DATABASE_URL", None)  # never point tests at a configured database by accident

from bench.measures import clear_page_cache  # noqa: E402
from govtech import create_app  # noqa: E402
from govtech.extensions import db as _db  # noqa: E402
from govtech.extensions import limiter, mail  # noqa: E402
from tests.audit_guard import AuditGuard  # noqa: E402

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def _database_url() -> str:
    if TEST_DATABASE_URL:
        url = TEST_DATABASE_URL
        for prefix in ("postgres://", "postgresql://"):
            if url.startswith(prefix):
                url = "postgresql+psycopg://" + url[len(prefix) :]
        return url
    return f"sqlite:///{os.path.join(_INSTANCE, 'test.sqlite')}"


def make_config(**overrides) -> dict:
    """The test configuration (CSRF and rate limits off unless a test turns them on)."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production-000000",
        "SQLALCHEMY_DATABASE_URI": _database_url(),
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "MAIL_SUPPRESS_SEND": True,
        "SERVER_NAME": "govtech.test",
        "SHOW_DEMO_LOGINS": True,
    }
    config.update(overrides)
    return config


class EnglishClient(FlaskClient):
    """Test clients browse in English (the source language) unless a test says otherwise."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.environ_base.setdefault("HTTP_ACCEPT_LANGUAGE", "en")


def build_app(**overrides):
    app = create_app(make_config(**overrides))
    app.test_client_class = EnglishClient
    return app


def _dispose(app) -> None:
    with app.app_context():
        _db.session.remove()
        for engine in _db.engines.values():
            engine.dispose()


@pytest.fixture(scope="session")
def app():
    """The app that serves the test clients; the schema is built by the real migrations."""
    app = build_app()
    with app.app_context():
        if TEST_DATABASE_URL:
            _db.session.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            _db.session.commit()
        else:
            _db.drop_all()
        upgrade()
        AUDIT_GUARD.install(_db.engine)
    SERVING_APPS.append(app)
    yield app
    SERVING_APPS.remove(app)
    _dispose(app)


# Watches the serving apps' writes (tests/audit_guard.py); checked after every test.
AUDIT_GUARD = AuditGuard()
SERVING_APPS: list = []


def _clear_page_caches() -> None:
    for serving in SERVING_APPS:
        clear_page_cache(serving)


@pytest.fixture(scope="session")
def data_app(app):
    """A second app on the same database for the test's own setup and checks.

    Requests then run in their own app context (fresh `g`, fresh session), as they would
    in production, instead of reusing the test's.
    """
    # Messages of services called directly by tests read in English.
    data_app = build_app(BABEL_DEFAULT_LOCALE="en")
    with data_app.app_context():
        # A test that changes rows behind the app's back (setup, fixtures) is an
        # out-of-band write, which the app's audit head cannot see: it empties the
        # serving app's page cache, as an operator would after editing the database.
        sa.event.listen(_db.engine, "commit", lambda _conn: _clear_page_caches())
    yield data_app
    _dispose(data_app)


@pytest.fixture
def app_factory():
    """Build extra apps with config overrides; their connections are closed afterwards."""
    made = []

    def build(**overrides):
        extra = build_app(**overrides)
        with extra.app_context():
            AUDIT_GUARD.install(_db.engine)
        made.append(extra)
        SERVING_APPS.append(extra)
        return extra

    yield build
    for extra in made:
        SERVING_APPS.remove(extra)
        _dispose(extra)


def _wipe(app) -> None:
    with app.app_context():
        _db.session.remove()
        tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
        with _db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                conn.execute(sa.text("PRAGMA foreign_keys=OFF"))
                for table in tables:
                    conn.execute(sa.text(f"DELETE FROM {table}"))  # noqa: S608
                conn.execute(sa.text("PRAGMA foreign_keys=ON"))


@pytest.fixture(autouse=True)
def clean_database(request):
    """Each test starts on empty tables."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    _wipe(app)
    _clear_page_caches()
    AUDIT_GUARD.violations.clear()
    # The limiter is one object shared by every app: a test that enables it (through
    # app_factory) must not leave it on, nor its counts, for the next test.
    limiter.enabled = False
    if limiter._storage is not None:
        limiter.reset()
    ctx = request.getfixturevalue("data_app").app_context()
    ctx.push()
    yield
    _db.session.remove()
    ctx.pop()
    unaudited, AUDIT_GUARD.violations[:] = list(AUDIT_GUARD.violations), []
    assert not unaudited, f"the app committed writes without an audit entry: {unaudited}"


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def outbox(app):
    """Emails sent during the test (captured, never delivered)."""
    with mail.record_messages() as messages:
        yield messages


def login(client, email: str, password: str):
    """Sign a test client in through the real login form."""
    response = client.post("/accounts/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


_BROWSER_TESTS_NOT_RUN = pytest.StashKey[tuple[int, str]]()


def pytest_collection_modifyitems(config, items):
    """Without Chromium the browser tests are left out with one line, not a skip each
    (with BROWSER_REQUIRED=1 they run, and fail)."""
    from tests.browser.conftest import chromium_missing

    reason = chromium_missing()
    if reason is None or os.environ.get("BROWSER_REQUIRED") == "1":
        return
    browser = [item for item in items if item.get_closest_marker("browser")]
    if browser:
        items[:] = [item for item in items if not item.get_closest_marker("browser")]
        config.hook.pytest_deselected(items=browser)
        config.stash[_BROWSER_TESTS_NOT_RUN] = (len(browser), reason)


def pytest_terminal_summary(terminalreporter, config):
    if _BROWSER_TESTS_NOT_RUN in config.stash:
        count, reason = config.stash[_BROWSER_TESTS_NOT_RUN]
        terminalreporter.write_line(
            f"SKIPPED [{count}] tests/browser: {reason} (make browser-deps)"
        )


def pytest_report_header(config):
    """One line on the optional system packages: what degrades or skips without them."""

    from govtech.awards.notices import HARFBUZZ_SUBSET
    from tests.browser.conftest import chromium_missing
    from tests.test_html_validity import nu_checker

    return (
        "optional system packages: HarfBuzz subsetter: "
        + ("present" if HARFBUZZ_SUBSET else "absent (notices use fontTools; make pdf-deps)")
        + "; Chromium: "
        + ("absent (browser tests skip; make browser-deps)" if chromium_missing() else "present")
        + "; Nu HTML checker: "
        + ("present" if nu_checker() else "absent (its test skips; make html-checker)")
    )
