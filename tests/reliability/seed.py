"""The data the reliability scenarios need, built through the real services (tests.factories)."""

import datetime as dt
from dataclasses import dataclass

import pytest
from werkzeug.security import generate_password_hash

from govtech import clock
from govtech.accounts import services as account_services
from govtech.awards.services import propose_award
from tests import factories

# One cheap hash for every account: the sign-in form checks it as usual, but 200 suppliers
# signing in do not spend a minute in scrypt at production cost.
_FAST_HASH = generate_password_hash(factories.PASSWORD, method="scrypt:1024:8:1")


@dataclass
class Storm:
    challenge_id: int
    bidders: list[tuple[str, int]]  # (email, proposal id), each a different company


@dataclass
class Scoring:
    proposal_ids: list[int]
    evaluators: list[str]  # emails


@dataclass
class Awards:
    decisions: dict[int, int]  # decision id -> challenge id, proposed and awaiting a colleague
    confirmers: list[str]  # emails of two colleagues of the proposer


@dataclass
class Seeded:
    storm: Storm
    scoring: Scoring
    awards: Awards


def seed(n_bidders: int, n_awards: int) -> Seeded:
    """Everything, committed: a challenge open for proposals with `n_bidders` complete drafts,
    one in evaluation with an accepted panel, and `n_awards` awards proposed in one agency."""
    from govtech.extensions import db

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(account_services, "hash_password", lambda password: _FAST_HASH)
        seeded = Seeded(_storm(n_bidders), _scoring(), _awards(n_awards, patch))
    db.session.commit()
    return seeded


def _storm(n_bidders: int) -> Storm:
    # Deadlines beyond those of the other challenges: setting those up closes every challenge
    # due at their (travelled-to) deadline.
    now = clock.now().replace(microsecond=0)
    challenge = factories.published_challenge(
        question_deadline=now + dt.timedelta(days=50),
        submission_deadline=now + dt.timedelta(days=60),
        expected_award_date=now + dt.timedelta(days=90),
    )
    bidders = []
    for n in range(n_bidders):
        member = factories.supplier_member(email=f"bidder{n:03d}@example.org")
        bidders.append((member.email, factories.complete_proposal(challenge, member).id))
    return Storm(challenge.id, bidders)


def _scoring() -> Scoring:
    _, _, proposals, evaluators = factories.evaluation_scenario(n_bidders=3, n_evaluators=4)
    return Scoring([p.id for p in proposals], [e.email for e in evaluators])


def _awards(n_awards: int, patch: pytest.MonkeyPatch) -> Awards:
    proposer = factories.agency_staff()
    confirmers = [factories.agency_staff(proposer.agency) for _ in range(2)]
    # Every challenge in the proposer's agency, so concurrent notices share its numbering.
    patch.setattr(factories, "agency_staff", lambda *args, **kwargs: proposer)
    decisions = {}
    for _ in range(n_awards):
        challenge, _, proposals, evaluators = factories.evaluation_scenario(n_bidders=2)
        for person in evaluators:
            for proposal, value in zip(proposals, (4, 3), strict=True):
                factories.score(proposal, person, [value] * 4)
        decisions[propose_award(challenge, proposer, [proposals[0].id]).id] = challenge.id
    return Awards(decisions, [c.email for c in confirmers])
