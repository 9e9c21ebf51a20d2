"""Demo proposals in every state on the demo challenges, from `seeds/demo.json`."""

from decimal import Decimal

import sqlalchemy as sa

from govtech.accounts.models import User
from govtech.challenges.models import Challenge
from govtech.extensions import db
from govtech.proposals.models import IneligibilityReason, Maturity
from govtech.proposals.services import (
    save_draft,
    screen_proposal,
    start_proposal,
    submit_proposal,
    withdraw_proposal,
)


def _user(email: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == email))


def add_demo_proposals(challenge: Challenge, spec: dict, template: dict) -> int:
    """Drafts, submitted and withdrawn proposals, while the challenge is still open."""
    created = 0
    for item in spec.get("proposals", []):
        member = _user(item["member"])
        proposal = start_proposal(challenge, member)
        values = {
            **template,
            "maturity": Maturity(template["maturity"]),
            "summary": item["summary"],
            "price_amount": Decimal(item["price"]) if item.get("price") else None,
            "scale_up_cost": Decimal(item["scale_up_cost"]) if item.get("scale_up_cost") else None,
        }
        save_draft(proposal, member, values)
        if item["state"] in ("submitted", "withdrawn"):
            submit_proposal(proposal, member)
        if item["state"] == "withdrawn":
            withdraw_proposal(proposal, member)
        created += 1
    return created


def screen_demo_proposals(challenge: Challenge, spec: dict) -> None:
    """After the deadline: the agency's screening decisions from the spec."""
    from govtech.proposals.services import proposal_for

    staff = _user(spec["author"])
    for item in spec.get("proposals", []):
        if "screening" not in item:
            continue
        proposal = proposal_for(challenge, _user(item["member"]).supplier_id)
        eligible = item["screening"] == "eligible"
        reason = IneligibilityReason(item["reason"]) if item.get("reason") else None
        screen_proposal(proposal, staff, eligible, reason, item.get("note"))
