"""The govtech challenge platform: agile public procurement of innovation."""

import datetime as dt
import os
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, has_request_context, request, session
from flask_login import current_user

from govtech import page_cache
from govtech.config import load_settings
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


def create_app(config: dict | None = None) -> Flask:
    """Application factory: settings from the environment, overridden by `config`."""
    app = Flask(
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
    return app


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
