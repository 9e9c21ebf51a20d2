"""The proposals' panels: suppliers see their bids; the agency sees the count once the
deadline has passed."""

from govtech.challenges import views as challenge_views
from govtech.challenges.models import ChallengeStatus
from govtech.proposals.services import proposal_for, received_count, supplier_proposals
from govtech.site.dashboards import dashboard_panel


@dashboard_panel
def supplier_panel(user) -> dict:
    """Drafts, submitted proposals with receipts, and results for supplier members."""
    if user is None or not user.is_supplier_member:
        return {}
    return {
        "my_proposals": supplier_proposals(user.supplier_id),
        "dashboard_panels": ["proposals/_supplier_panel.html"],
    }


def challenge_proposals_panel(challenge, user):
    """On the challenge page: the bid button for suppliers; for the agency, that bids are
    sealed, then after the deadline how many were received."""
    context = {"received": None, "sealed_until": None, "own_proposal": None}
    if user.is_authenticated and user.is_supplier_member:
        context["own_proposal"] = proposal_for(challenge, user.supplier_id)
    if challenge.can_manage(user):
        context["received"] = received_count(challenge)
        if context["received"] is None and challenge.status is ChallengeStatus.PUBLISHED:
            context["sealed_until"] = challenge.submission_deadline
    return "proposals/_challenge_panel.html", context


challenge_views.DETAIL_PANELS.append(challenge_proposals_panel)
