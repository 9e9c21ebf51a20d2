"""The govtech challenge platform: agile public procurement of innovation."""

import datetime as dt
import logging
import os
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask, Request, Response, g, has_request_context, request, session
from flask_login import current_user
from werkzeug.exceptions import BadRequest, SecurityError
from werkzeug.routing import MapAdapter
from werkzeug.wsgi import get_host

from govtech import page_cache
from govtech.config import check_public_base_url, load_settings
from govtech.extensions import (
    babel,
    cache,
    csrf,
    db,
    limiter,
    login_manager,
    mail,
    migrate,
    talisman,
)

ROOT = Path(__file__).resolve().parent.parent

CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "img-src": ["'self'", "data:"],
    "style-src": "'self'",
    "script-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


log = logging.getLogger(__name__)

# Load balancers probe by IP: the health check answers whatever the Host, as it builds no
# link and reads no session, so a forged Host can poison nothing there.
HOST_EXEMPT_PATHS = frozenset({"/healthz"})


class PublicURLFlask(Flask):
    """Flask whose absolute URLs are built on PUBLIC_BASE_URL when it is set, inside a
    request and outside one (CLI), never on the Host header a client sent."""

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        """Bind the URL map; external URLs take the public URL's scheme, host and path."""
        base = self.config.get("PUBLIC_BASE_URL")
        if request is None:
            if not base:
                return super().create_url_adapter(None)
            parts = urlsplit(base)
            return self.url_map.bind(
                parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
            )
        # Flask's own TRUSTED_HOSTS check would run here and leave a refused request
        # without an adapter (its error page then fails to build a link: a 500); the
        # Host is checked before the app instead (HostGuard).
        subdomain = self.url_map.default_subdomain or ""
        if not base:
            return self.url_map.bind_to_environ(
                request.environ, server_name=self.config["SERVER_NAME"], subdomain=subdomain
            )
        parts = urlsplit(base)
        # Matching still uses the request's path; building uses the public URL.
        adapter = self.url_map.bind_to_environ(
            request.environ, server_name=parts.netloc, subdomain=subdomain
        )
        adapter.url_scheme = parts.scheme
        if parts.path.rstrip("/"):
            adapter.script_name = parts.path
        return adapter


class HostGuard:
    """WSGI middleware: a request whose Host is not in TRUSTED_HOSTS gets a bare 400
    before any of the app runs (nothing rendered, no link built, no session read)."""

    def __init__(self, wsgi_app, app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app

    def __call__(self, environ, start_response):
        hosts = self.app.config.get("TRUSTED_HOSTS")
        if hosts and environ.get("PATH_INFO") not in HOST_EXEMPT_PATHS:
            try:
                get_host(environ, trusted_hosts=hosts)
            except SecurityError:
                log.warning("request for an untrusted host refused")
                return BadRequest("Unknown host.")(environ, start_response)
        return self.wsgi_app(environ, start_response)


def create_app(config: dict | None = None) -> Flask:
    """Application factory: settings from the environment, overridden by `config`."""
    app = PublicURLFlask(
        __name__,
        instance_path=os.environ.get("GOVTECH_INSTANCE_PATH", str(ROOT / "instance")),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(load_settings(app.instance_path))
    app.config["MIGRATIONS_DIR"] = str(ROOT / "migrations")
    app.config["SEEDS_DIR"] = str(ROOT / "seeds")
    if config:
        app.config.from_mapping(config)
    if app.config.get("PUBLIC_BASE_URL"):
        check_public_base_url(app.config["PUBLIC_BASE_URL"])
        app.config["PUBLIC_BASE_URL"] = app.config["PUBLIC_BASE_URL"].rstrip("/")

    # Inside ProxyFix: the Host checked is the one the proxy forwarded.
    app.wsgi_app = HostGuard(app.wsgi_app, app)
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)

    from govtech.logging_setup import configure_logging

    configure_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    register_response_headers(app)
    return app


def register_response_headers(app: Flask) -> None:
    """Headers every response gets after its view (cached pages replayed included)."""

    @app.after_request
    def keep_personal_pages_private(response: Response) -> Response:
        # A signed-in page, or one that sets or carries a session (its cookie, a CSRF
        # token made for it), must not be kept by a shared cache or the browser's disk.
        if _is_personal(app, response):
            response.headers["Cache-Control"] = "private, no-store"
        return response


def _is_personal(app: Flask, response: Response) -> bool:
    if "Set-Cookie" in response.headers or app.session_interface.should_set_cookie(app, session):
        return True
    if "csrf_token" in g:  # flask-wtf keeps the token it put in this page here
        return True
    # Static files are the same for everyone; they keep their own caching headers.
    return current_user.is_authenticated and request.endpoint != "static"


def select_locale() -> str:
    """The visitor's chosen language, else their account's, else the browser's best match."""
    from flask import current_app

    if not has_request_context():  # CLI and background work: the platform's default
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = list(current_app.config["LANGUAGES"])
    chosen = session.get("language")
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    best = request.accept_languages.best_match(list(_BROWSER_LANGUAGES))
    return _BROWSER_LANGUAGES.get(best, current_app.config["BABEL_DEFAULT_LOCALE"])


# Accept-Language tags mapped to the catalogues we ship.
_BROWSER_LANGUAGES = {"es": "es", "pt-BR": "pt_BR", "pt": "pt_BR", "en": "en"}


def register_extensions(app: Flask) -> None:
    """Bind every extension to the app."""
    db.init_app(app)
    with app.app_context():
        # Each check-out's liveness check is the read of the data version (no pre-ping).
        page_cache.read_version_at_checkout(db.engine)
    _import_models()
    # Batch mode lets the same migrations alter tables on SQLite.
    migrate.init_app(
        app, db, directory=app.config["MIGRATIONS_DIR"], render_as_batch=True, compare_type=True
    )
    csrf.init_app(app)
    cache.init_app(app)
    mail.init_app(app)
    limiter.init_app(app)
    global_check = limiter._check_request_limit
    limits_everywhere = app.config.get("RATELIMIT_DEFAULT") or app.config.get(
        "RATELIMIT_APPLICATION"
    )
    if not limits_everywhere and global_check in app.before_request_funcs.get(None, []):
        # Every limit here is a route's own decorator, which checks it when the route runs;
        # with no default or application-wide limit, the limiter's global hook before every
        # request finds nothing to check and only costs time (a tenth of a small request).
        app.before_request_funcs[None].remove(global_check)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(ROOT / "govtech" / "translations"),
    )
    talisman.init_app(
        app,
        force_https=app.config["FORCE_HTTPS"],
        strict_transport_security=app.config["ENV_NAME"] == "production",
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        content_security_policy=CONTENT_SECURITY_POLICY,
        frame_options="DENY",
        referrer_policy="strict-origin-when-cross-origin",
        permissions_policy={"geolocation": "()", "camera": "()", "microphone": "()"},
    )

    from govtech.accounts.sessions import session_user

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please sign in to see this page.")

    @login_manager.user_loader
    def load_user(session_id: str):
        user_id, _, nonce = session_id.partition(":")
        if not user_id.isdigit():
            return None
        user = session_user(int(user_id))
        if user is None or not user.active or user.session_nonce != nonce:
            return None
        return user

    from govtech.notifications import register_mail_hooks

    register_mail_hooks()
    _enable_sqlite_foreign_keys(app)


def _import_models() -> None:
    """Import every domain's models so the metadata (and Alembic) sees all tables."""
    import govtech.accounts.models
    import govtech.audit.models
    import govtech.awards.models
    import govtech.challenges.models
    import govtech.evaluation.models
    import govtech.files
    import govtech.proposals.models  # noqa: F401


def _enable_sqlite_foreign_keys(app: Flask) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        engine = db.engine

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()

        @sa.event.listens_for(engine, "savepoint")
        def _on_savepoint(conn, _name):
            # pysqlite opens a transaction only before a write, and a SAVEPOINT outside
            # one is committed by its RELEASE: a request that then fails would keep it.
            dbapi_connection = conn.connection.dbapi_connection
            if not dbapi_connection.in_transaction:
                dbapi_connection.execute("BEGIN")


def register_blueprints(app: Flask) -> None:
    """Mount one blueprint per domain."""
    from govtech import accounts, awards, challenges, evaluation, proposals, site, transparency
    from govtech.site import IdConverter

    # Before any route is added: ids past the database's INTEGER range are a 404.
    app.url_map.converters["int"] = IdConverter
    from govtech.awards import presentation as _award_panels  # noqa: F401
    from govtech.challenges import dashboard as _challenge_panels  # noqa: F401
    from govtech.evaluation import presentation as _evaluation_panels  # noqa: F401
    from govtech.proposals import dashboard as _proposal_panels  # noqa: F401

    app.register_blueprint(site.bp)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(challenges.bp)
    app.register_blueprint(challenges.api)
    app.register_blueprint(proposals.bp)
    app.register_blueprint(evaluation.bp)
    app.register_blueprint(evaluation.api)
    app.register_blueprint(awards.bp)
    app.register_blueprint(transparency.bp)
    app.register_blueprint(transparency.api)


def register_errorhandlers(app: Flask) -> None:
    """Error pages in the layout."""
    from govtech.site.errors import register_error_handlers

    register_error_handlers(app)


def register_commands(app: Flask) -> None:
    """`flask users ...`, `flask seed ...` and each domain's commands."""
    from govtech.audit.commands import audit_cli
    from govtech.awards.commands import notices_cli
    from govtech.backups import backup_cli
    from govtech.challenges.commands import challenges_cli
    from govtech.commands import seed_cli, users_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(seed_cli)
    app.cli.add_command(challenges_cli)
    app.cli.add_command(notices_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(backup_cli)


def register_template_helpers(app: Flask) -> None:
    """Filters and globals the templates use."""
    from flask_babel import format_timedelta

    from govtech import clock
    from govtech.accounts.models import SIZE_BAND_LABELS, SizeBand
    from govtech.challenges.models import PROCEDURE_LABELS, ProcedureType
    from govtech.countries import country_name
    from govtech.evaluation.checklist import scoring_scale
    from govtech.form_fields import flat_errors
    from govtech.formatting import moment_in_zone, register_filters
    from govtech.navigation import main_navigation, public_url
    from govtech.proposals.presentation import proposal_template_helpers
    from govtech.rich_text import render_markdown

    register_filters(app)
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.globals["LANGUAGES"] = app.config["LANGUAGES"]
    app.jinja_env.globals["main_navigation"] = main_navigation
    app.jinja_env.globals["country_name"] = country_name
    app.jinja_env.globals["public_url"] = public_url
    app.jinja_env.globals["format_timedelta"] = format_timedelta
    app.jinja_env.globals["now"] = clock.now
    app.jinja_env.globals["size_band_label"] = lambda band: SIZE_BAND_LABELS[SizeBand(band)]
    app.jinja_env.globals.update(proposal_template_helpers())
    app.jinja_env.filters["decimal"] = lambda value: Decimal(str(value))
    app.jinja_env.globals["flat_errors"] = flat_errors
    app.jinja_env.filters["zip_scores"] = lambda names, ranked: [
        (name, round(r.score, 1)) for name, r in zip(names, ranked, strict=True)
    ]
    app.jinja_env.globals["scoring_scale"] = scoring_scale
    app.jinja_env.globals["procedure_label"] = lambda code: PROCEDURE_LABELS[ProcedureType(code)]
    app.jinja_env.filters["iso_in_zone"] = lambda iso, zone: moment_in_zone(
        dt.datetime.fromisoformat(iso), zone
    )
