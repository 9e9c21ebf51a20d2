"""Site-wide pages: home, dashboard, language choice, health check and error pages."""

from flask import Blueprint

bp = Blueprint("site", __name__)

from govtech.site import errors, views  # noqa: E402, F401
