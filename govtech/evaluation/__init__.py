"""Evaluation: the checklist of 30 recommendations, rubrics, conflicts of interest and scoring."""

from flask import Blueprint

bp = Blueprint("evaluation", __name__)
api = Blueprint("evaluation_api", __name__, url_prefix="/api/v1")

from govtech.evaluation import api_views, views  # noqa: E402, F401
