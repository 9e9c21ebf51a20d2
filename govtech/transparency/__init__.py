"""Transparency: the public audit chain head and audit trails (OCDS and results to come)."""

from flask import Blueprint

bp = Blueprint("transparency", __name__)

from govtech.transparency import views  # noqa: E402, F401
