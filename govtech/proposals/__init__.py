"""Proposals: suppliers submit agile pilot proposals, sealed until the deadline."""

from flask import Blueprint

bp = Blueprint("proposals", __name__, url_prefix="/proposals")

from govtech.proposals import views  # noqa: E402, F401
