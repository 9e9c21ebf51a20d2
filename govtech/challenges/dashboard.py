"""The challenges' panels on the home page and the dashboards."""

from collections import defaultdict

from govtech.challenges.models import ChallengeStatus
from govtech.challenges.queries import (
    agency_challenges,
    open_challenges,
    unanswered_question_counts,
)
from govtech.site.dashboards import dashboard_panel


@dashboard_panel
def challenges_panel(user) -> dict:
    """Open challenges for everyone; the agency's challenges by state for its staff."""
    context = {"open_challenges": open_challenges()}
    if user is not None and user.is_agency_staff:
        mine = agency_challenges(user.agency_id)
        by_status = defaultdict(list)
        for challenge in mine:
            by_status[challenge.status].append(challenge)
        context["agency_challenges_by_status"] = [
            (status, by_status[status]) for status in ChallengeStatus if by_status[status]
        ]
        context["unanswered_questions"] = unanswered_question_counts([c.id for c in mine])
        context.setdefault("dashboard_panels", []).append("challenges/_agency_panel.html")
    return context
