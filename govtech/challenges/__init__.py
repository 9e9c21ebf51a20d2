"""Challenges: agencies publish problem statements; the public finds them and asks questions."""

from flask import Blueprint

bp = Blueprint("challenges", __name__, url_prefix="/challenges")
api = Blueprint("challenges_api", __name__, url_prefix="/api/v1/challenges")

from govtech.challenges import api_views, views  # noqa: E402, F401
