"""What the database must hold after each scenario, read in an app context on its database.

Each function returns a Counter of problems (all must be 0: they are what the test calls lost)
and the facts the test reports.
"""

import datetime as dt
import hashlib
from collections import Counter

import sqlalchemy as sa

from govtech.audit.models import AuditEntry
from govtech.awards.models import AwardDecision, AwardNotice, DecisionStatus, PilotMilestone
from govtech.awards.notices import record_digest
from govtech.challenges.models import Challenge, ChallengeStatus
from govtech.extensions import db
from govtech.proposals.models import Proposal, ProposalStatus, ProposalSubmission
from govtech.proposals.services import content_digest


def _audited(action: str) -> Counter:
    """How many audit entries of `action` each object has (by object id)."""
    return Counter(
        db.session.scalars(sa.select(AuditEntry.object_id).where(AuditEntry.action == action))
    )


def submission_problems(storm, attempts: dict, deadline: dt.datetime) -> tuple[Counter, int, int]:
    """Each submission stored once, complete, before the deadline, its digest verifying, and
    as its supplier was told; return (problems, proposals stored, times the challenge closed).

    `attempts` maps a bidder's index to its requests' outcomes, the last one final. A supplier
    whose request died with its worker has no answer: the database is the truth for it.
    """
    ids = [proposal_id for _, proposal_id in storm.bidders]
    proposals = {
        p.id: p for p in db.session.scalars(sa.select(Proposal).where(Proposal.id.in_(ids)))
    }
    stored = {pid: [] for pid in ids}
    for s in db.session.scalars(
        sa.select(ProposalSubmission).where(ProposalSubmission.proposal_id.in_(ids))
    ):
        stored[s.proposal_id].append(s)
    audited = _audited("proposal.submitted")
    problems = Counter()
    for pid, rows in stored.items():
        proposal = proposals[pid]
        problems["duplicates"] += max(0, len(rows) - 1)
        for s in rows:
            problems["late"] += s.submitted_at >= deadline
            problems["bad digest"] += not (
                s.digest == s.snapshot["digest"] == content_digest(s.snapshot["content"])
                and dt.datetime.fromisoformat(s.snapshot["submitted_at"]) == s.submitted_at
            )
        problems["half-written"] += (
            (proposal.status is ProposalStatus.SUBMITTED) != bool(rows)
            or proposal.submission_count != len(rows)
            or audited[str(pid)] != len(rows)
        )
    for n, tries in attempts.items():
        final, pid = tries[-1], storm.bidders[n][1]
        problems["accepted, not stored"] += final.outcome == "accepted" and not stored[pid]
        problems["refused, stored"] += final.outcome == "refused" and bool(stored[pid])
        problems["refused before the deadline"] += (
            final.outcome == "refused" and final.answered_at < deadline.timestamp()
        )
    closings = db.session.scalar(
        sa.select(sa.func.count(AuditEntry.id)).where(
            AuditEntry.action == "challenge.closed", AuditEntry.challenge_id == storm.challenge_id
        )
    )
    return problems, sum(map(bool, stored.values())), closings


def notice_problems(awards) -> tuple[Counter, dict[str, str]]:
    """No notice without its award, no award without its notice, each confirmed once and its
    digests verifying; return (problems, {notice reference: PDF SHA-256})."""
    problems = Counter()
    notices = db.session.scalars(sa.select(AwardNotice)).all()
    by_decision = Counter(n.decision_id for n in notices)
    for notice in notices:
        problems["notice without award"] += (
            db.session.get(AwardDecision, notice.decision_id).status is not DecisionStatus.CONFIRMED
        )
        problems["bad digest"] += not (
            notice.record_sha256 == record_digest(notice.record)
            and notice.pdf_sha256 == hashlib.sha256(notice.pdf).hexdigest()
        )
    confirmed = db.session.scalars(
        sa.select(AwardDecision).where(AwardDecision.status == DecisionStatus.CONFIRMED)
    ).all()
    for decision in confirmed:
        problems["award without notice"] += by_decision[decision.id] == 0
        problems["duplicate notice"] += max(0, by_decision[decision.id] - 1)
    confirmations = _audited("award.confirmed")
    for decision_id, challenge_id in awards.decisions.items():
        decision = db.session.get(AwardDecision, decision_id)
        problems["not confirmed"] += decision.status is not DecisionStatus.CONFIRMED
        problems["not awarded"] += (
            db.session.get(Challenge, challenge_id).status is not ChallengeStatus.AWARDED
        )
        problems["confirmed twice"] += max(0, confirmations[str(decision_id)] - 1)
        milestones = db.session.scalar(
            sa.select(sa.func.count(PilotMilestone.id)).where(
                PilotMilestone.awarded_id.in_([w.id for w in decision.winners])
            )
        )
        problems["duplicate milestones"] += milestones != 2  # the winning proposal has two
    return problems, {n.reference: n.pdf_sha256 for n in notices}
