"""The award's sections on the challenge page and the home page."""

import sqlalchemy as sa

from govtech.awards.forms import AnswerForm, AppealForm, EvidenceForm, MilestoneDecisionForm
from govtech.awards.models import AwardDecision, AwardNotice, DecisionStatus
from govtech.awards.services import confirmed_decision, pilot_milestones
from govtech.challenges import views as challenge_views
from govtech.challenges.models import Challenge
from govtech.extensions import db
from govtech.site.dashboards import dashboard_panel


def award_panel(challenge: Challenge, user):
    """Winners, notice, appeals and pilot progress once the decision is confirmed."""
    decision = confirmed_decision(challenge)
    manager = challenge.can_manage(user)
    if decision is None:
        if manager and challenge.closed_at is not None:
            return "awards/_manage_link.html", {}
        return None
    notice = db.session.scalar(sa.select(AwardNotice).where(AwardNotice.decision_id == decision.id))
    milestones = pilot_milestones(challenge)
    winner_suppliers = {w.proposal.supplier_id for w in decision.winners}
    is_bidder = bool(user.is_authenticated and user.is_supplier_member)
    from govtech.evaluation.ranking import ranking

    return "awards/_challenge_panel.html", {
        "ranked": ranking(challenge),
        "decision": decision,
        "notice": notice,
        "milestones": milestones,
        "manager": manager,
        "is_bidder": is_bidder,
        "is_winner": bool(user.is_authenticated and user.supplier_id in winner_suppliers),
        # Only signed-in users see forms; building one for a visitor would start a session
        # token and keep the page out of the shared page cache.
        **(
            {
                "appeal_form": AppealForm(),
                "answer_form": AnswerForm(),
                "evidence_form": EvidenceForm(),
                "milestone_form": MilestoneDecisionForm(),
            }
            if user.is_authenticated
            else {}
        ),
        "accepted_share": sum(m.payment_share for m in milestones if m.status.value == "accepted"),
    }


challenge_views.DETAIL_PANELS.append(award_panel)


@dashboard_panel
def latest_awards(user) -> dict:
    """The latest confirmed decisions, for the home page."""
    if user is not None:
        return {}
    notices = db.session.scalars(
        sa.select(AwardNotice)
        .join(AwardDecision, AwardDecision.id == AwardNotice.decision_id)
        .where(AwardDecision.status == DecisionStatus.CONFIRMED)
        .order_by(AwardNotice.issued_at.desc())
        .limit(5)
    ).all()
    return {"latest_awards": notices}
