"""Demo readiness, rubrics, panels, declarations and scorecards, from `seeds/demo.json`."""

import sqlalchemy as sa

from govtech.accounts.models import User
from govtech.challenges.models import Challenge
from govtech.evaluation.checklist import checklist_items
from govtech.evaluation.models import AppliesTo, ConflictKind
from govtech.evaluation.panel import (
    accept_panel_invitation,
    declare_conflicts,
    eligible_proposals,
    invite_evaluator,
)
from govtech.evaluation.scorecards import save_scorecard, scorecard_for
from govtech.evaluation.services import rubric, save_readiness, set_rubric
from govtech.extensions import db
from govtech.proposals.services import proposal_for

JUSTIFICATION = (
    "La propuesta aborda el criterio con evidencia concreta y un plan verificable para el piloto."
)


def _user(email: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == email))


def prepare_demo_challenge(challenge: Challenge, spec: dict, data: dict) -> None:
    """The readiness self-assessment (with the spec's gaps) and a 13-criterion rubric."""
    author = _user(spec["author"])
    gaps = spec.get("readiness_gaps", {})
    save_readiness(
        challenge,
        author,
        {
            item.id: (gaps.get(item.code, "yes"), None)
            for item in checklist_items(AppliesTo.CHALLENGE)
        },
    )
    items = checklist_items(AppliesTo.PROPOSAL)
    set_rubric(
        challenge,
        author,
        [
            {"item_id": item.id, "weight": weight}
            for item, weight in zip(items, data["rubric_weights"], strict=True)
        ],
    )


def evaluate_demo_challenge(challenge: Challenge, spec: dict) -> int:
    """The panel, its declarations and scorecards for a challenge in evaluation."""
    plan = spec.get("evaluation")
    if not plan:
        return 0
    author = _user(spec["author"])
    for member in plan["panel"]:
        invitation = invite_evaluator(challenge, author, member["email"], member["role"])
        accept_panel_invitation(invitation, _user(member["email"]))
    for member in plan.get("invited", []):  # sent, not yet accepted: shows that state
        invite_evaluator(challenge, author, member["email"], member["role"])
    proposals = eligible_proposals(challenge)
    conflicts = {(c["evaluator"], c["member"]): c for c in plan.get("conflicts", [])}
    for member in plan["panel"]:
        evaluator = _user(member["email"])
        answers = {}
        for proposal in proposals:
            bidder = next(m.email for m in proposal.supplier.members)
            conflict = conflicts.get((member["email"], bidder))
            answers[proposal.id] = (
                conflict is not None,
                ConflictKind(conflict["kind"]) if conflict else None,
                conflict["note"] if conflict else None,
            )
        declare_conflicts(challenge, evaluator, answers)
    criteria = rubric(challenge)
    for kind, submit in (("scores", True), ("drafts", False)):
        for email, by_bidder in plan.get(kind, {}).items():
            evaluator = _user(email)
            for bidder, values in by_bidder.items():
                proposal = proposal_for(challenge, _user(bidder).supplier_id)
                card = scorecard_for(proposal, evaluator, create=True)
                save_scorecard(
                    card,
                    evaluator,
                    card.version,
                    {
                        c.id: (v, JUSTIFICATION if v is not None else None)
                        for c, v in zip(criteria, values, strict=True)
                    },
                    submit=submit,
                )
    return len(plan["panel"])
