"""Transparency: the public audit chain head and audit trails (OCDS and results to come)."""

from flask import Blueprint

bp = Blueprint("transparency", __name__)
api = Blueprint("transparency_api", __name__, url_prefix="/api/v1")

from govtech.transparency import api_views, views  # noqa: E402, F401
