"""Awards: the decision (four-eyes), standstill and appeals, the verifiable PDF notice,
and the pilot's milestones."""

from flask import Blueprint

bp = Blueprint("awards", __name__)

from govtech.awards import views  # noqa: E402, F401
