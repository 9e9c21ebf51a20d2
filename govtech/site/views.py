"""Home page, role dashboards, the language switcher and the health check."""

import logging

import sqlalchemy as sa
from flask import current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user

from govtech.accounts.forms import ConfirmForm
from govtech.accounts.models import Agency, Role
from govtech.audit.services import record
from govtech.demo import demo_logins
from govtech.extensions import csrf, db
from govtech.navigation import safe_next
from govtech.page_cache import cached_page
from govtech.permissions import public, signed_in
from govtech.site import bp
from govtech.site.dashboards import dashboard_context

log = logging.getLogger(__name__)


@bp.route("/")
@public
@cached_page
def home():
    """The platform in three lines, open challenges, latest awards and the demo logins."""
    logins = []
    if current_app.config["SHOW_DEMO_LOGINS"]:
        logins = demo_logins(current_app.config["SEEDS_DIR"])
    return render_template("site/home.html", demo_logins=logins, **dashboard_context(None))


@bp.route("/dashboard")
@signed_in
@cached_page
def dashboard():
    """The signed-in user's dashboard for their role."""
    context = dashboard_context(current_user)
    if current_user.role is Role.ADMIN:
        context["unverified_agencies"] = db.session.scalars(
            sa.select(Agency).where(Agency.verified_at.is_(None)).order_by(Agency.created_at)
        ).all()
    return render_template("site/dashboard.html", form=ConfirmForm(), **context)


@bp.route("/language", methods=["POST"])
@public
@csrf.exempt
def set_language():
    """Remember the visitor's language choice (a form, so it works without JavaScript).

    A visitor's choice changes only their own cookie, so it needs no CSRF token (pages for
    visitors then carry none and can be shared); a signed-in user's choice is saved to
    their account, so for them the token is checked.
    """
    if current_user.is_authenticated and current_app.config["WTF_CSRF_ENABLED"]:
        csrf.protect()
    language = request.form.get("language", "")
    if language in current_app.config["LANGUAGES"]:
        session["language"] = language
        if current_user.is_authenticated and current_user.locale != language:
            before = current_user.locale
            current_user.locale = language
            record("user.language_changed", current_user, before=before, after=language)
            db.session.commit()
    return redirect(safe_next(request.form.get("next"), "site.home"))


@bp.route("/healthz")
@public
def healthz():
    """Liveness and database reachability, for load balancers."""
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        log.exception("health check: database unreachable")
        db.session.rollback()
        return jsonify(status="error", database="error"), 503
    return jsonify(status="ok", database="ok")


@bp.route("/favicon.ico")
@public
def favicon():
    """Browsers ask for it at the root; serve the platform's icon."""
    return redirect(url_for("static", filename="img/favicon.svg"), code=301)
