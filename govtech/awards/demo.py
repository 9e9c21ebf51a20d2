"""Demo award: decision, four-eyes confirmation, notice and a pilot in progress."""

import sqlalchemy as sa

from govtech.accounts.models import User
from govtech.awards.services import (
    confirm_decision,
    decide_milestone,
    deliver_milestone,
    pilot_milestones,
    propose_award,
    propose_void,
)
from govtech.challenges.models import Challenge
from govtech.extensions import db
from govtech.proposals.services import proposal_for


def _user(email: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == email))


def award_demo_challenge(challenge: Challenge, spec: dict) -> int:
    """Propose, confirm (by a second person) and start the pilot, as the spec says; or
    declare the challenge void."""
    if spec.get("void"):
        decision = propose_void(challenge, _user(spec["author"]), spec["void"]["reason"])
        confirm_decision(decision, _user(spec["confirmer"]))
        return 1
    plan = spec.get("award")
    if not plan:
        return 0
    proposer, confirmer = _user(spec["author"]), _user(spec["confirmer"])
    winners = [proposal_for(challenge, _user(email).supplier_id).id for email in plan["winners"]]
    decision = propose_award(challenge, proposer, winners)
    confirm_decision(decision, confirmer)
    milestones = pilot_milestones(challenge)
    supplier_member = _user(plan["winners"][0])
    for milestone, step in zip(milestones, plan.get("delivered", []), strict=False):
        deliver_milestone(milestone, supplier_member, step["evidence"])
        if step.get("accept"):
            decide_milestone(milestone, proposer, True, "Cumple la prueba de aceptación.")
    return 1
