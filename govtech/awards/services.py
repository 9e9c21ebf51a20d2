"""The rules of the award: proposal, four-eyes confirmation, notice, standstill, appeals,
and the pilot's milestones with staged payments."""

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from govtech import clock
from govtech.accounts.models import User
from govtech.audit.services import record
from govtech.awards.models import (
    Appeal,
    AwardDecision,
    AwardedProposal,
    DecisionKind,
    DecisionStatus,
    MilestoneStatus,
    PilotMilestone,
)
from govtech.awards.notices import issue_notice
from govtech.challenges.models import Challenge, ChallengeStatus
from govtech.challenges.services import declare_void, mark_awarded
from govtech.evaluation.panel import panel
from govtech.evaluation.ranking import missing_scorecards, open_divergences, ranking
from govtech.evaluation.services import MIN_EVALUATORS, rubric
from govtech.extensions import db
from govtech.notifications import notify
from govtech.proposals.models import Proposal, ProposalStatus
from govtech.rules import RuleViolation

MIN_JUSTIFICATION = 30


class AwardError(RuleViolation):
    """A rule refused the action; `field` names the form field, if any."""


def pending_decision(challenge: Challenge) -> AwardDecision | None:
    """The decision waiting for confirmation, if any."""
    return db.session.scalar(
        sa.select(AwardDecision).where(
            AwardDecision.challenge_id == challenge.id,
            AwardDecision.status == DecisionStatus.PROPOSED,
        )
    )


def confirmed_decision(challenge: Challenge) -> AwardDecision | None:
    """The confirmed decision of a challenge, if any."""
    return db.session.scalar(
        sa.select(AwardDecision).where(
            AwardDecision.challenge_id == challenge.id,
            AwardDecision.status == DecisionStatus.CONFIRMED,
        )
    )


def readiness_problems(challenge: Challenge) -> list:
    """What still stands between the evaluation and an award decision."""
    problems = []
    if challenge.status is not ChallengeStatus.IN_EVALUATION:
        problems.append(_l("The challenge is not in evaluation."))
        return problems
    accepted = [m for m in panel(challenge) if m.user_id]
    if len(accepted) < MIN_EVALUATORS:
        problems.append(_l("At least %(n)s evaluators must be on the panel.", n=MIN_EVALUATORS))
    missing = missing_scorecards(challenge)
    if missing:
        problems.append(_l("%(n)s scorecards are still missing.", n=missing))
    divergent = open_divergences(challenge)
    if divergent:
        problems.append(_l("%(n)s divergences still need a consensus note.", n=divergent))
    if pending_decision(challenge) is not None:
        problems.append(_l("A decision is already waiting for confirmation."))
    return problems


def propose_award(
    challenge: Challenge, staff: User, proposal_ids: list[int], justification: str | None = None
) -> AwardDecision:
    """Propose the winner(s): normally the top of the ranking; anything else needs a
    published justification. Winners must reach the published minimum score."""
    if not challenge.can_manage(staff):
        raise AwardError(_l("Only staff of the agency can propose the award."))
    # Two colleagues proposing at once: the second waits, then sees the first's decision.
    db.session.refresh(challenge, with_for_update=True)
    problems = readiness_problems(challenge)
    if problems:
        raise AwardError(problems[0])
    if not proposal_ids:
        raise AwardError(_l("Choose at least one winning proposal."), "winners")
    if len(proposal_ids) > challenge.max_winners:
        raise AwardError(
            _l("This challenge allows at most %(n)s winners.", n=challenge.max_winners), "winners"
        )
    ranked = {r.proposal_id: r for r in ranking(challenge)}
    if any(pid not in ranked for pid in proposal_ids):
        raise AwardError(_l("Only eligible, evaluated proposals can win."), "winners")
    for pid in proposal_ids:
        if ranked[pid].score < challenge.minimum_score:
            raise AwardError(
                _l(
                    "A winner must reach the published minimum score of %(n)s.",
                    n=challenge.minimum_score,
                ),
                "winners",
            )
    top = sorted(ranked.values(), key=lambda r: r.rank)[: len(proposal_ids)]
    off_top = set(proposal_ids) != {r.proposal_id for r in top}
    justification = (justification or "").strip() or None
    if off_top and (not justification or len(justification) < MIN_JUSTIFICATION):
        raise AwardError(
            _l(
                "Choosing other than the top-ranked proposal needs a written "
                "justification (at least %(n)s characters); it will be published.",
                n=MIN_JUSTIFICATION,
            ),
            "justification",
        )
    decision = AwardDecision(
        challenge_id=challenge.id,
        kind=DecisionKind.AWARD,
        justification=justification,
        proposed_by_id=staff.id,
    )
    db.session.add(decision)
    db.session.flush()
    for pid in proposal_ids:
        proposal = db.session.get(Proposal, pid)
        db.session.add(
            AwardedProposal(
                decision_id=decision.id,
                proposal_id=pid,
                rank=ranked[pid].rank,
                score=Decimal(f"{ranked[pid].score:.1f}"),
                amount=proposal.price_amount,
            )
        )
    db.session.flush()
    record(
        "award.proposed",
        decision,
        actor=staff,
        agency_id=challenge.agency_id,
        challenge_id=challenge.id,
        winners=[ranked[p].reference for p in proposal_ids],
        off_top=off_top,
        justification=justification,
    )
    return decision


def propose_void(challenge: Challenge, staff: User, reason: str) -> AwardDecision:
    """Propose to declare the challenge void (no proposal reaches the minimum score)."""
    if not challenge.can_manage(staff):
        raise AwardError(_l("Only staff of the agency can propose the award."))
    if challenge.status not in (ChallengeStatus.CLOSED, ChallengeStatus.IN_EVALUATION):
        raise AwardError(_l("Only a closed challenge can be declared void."))
    if pending_decision(challenge) is not None:
        raise AwardError(_l("A decision is already waiting for confirmation."))
    if len((reason or "").strip()) < MIN_JUSTIFICATION:
        raise AwardError(
            _l("Explain the reason in at least %(n)s characters.", n=MIN_JUSTIFICATION),
            "justification",
        )
    decision = AwardDecision(
        challenge_id=challenge.id,
        kind=DecisionKind.VOID,
        justification=reason.strip(),
        proposed_by_id=staff.id,
    )
    db.session.add(decision)
    db.session.flush()
    record(
        "award.void_proposed",
        decision,
        actor=staff,
        agency_id=challenge.agency_id,
        challenge_id=challenge.id,
        reason=reason.strip(),
    )
    return decision


def confirm_decision(decision: AwardDecision, staff: User):
    """A second agency user confirms (four-eyes): the challenge is awarded (or void), the
    notice is issued, the standstill starts and every bidder is told."""
    challenge = decision.challenge
    if not challenge.can_manage(staff):
        raise AwardError(_l("Only staff of the agency can confirm the award."))
    # Two colleagues confirming at once: the second waits for the challenge's lock, then reads
    # the decision (and the challenge) as the first left them, confirmed.
    db.session.refresh(challenge, with_for_update=True)
    db.session.refresh(decision)
    if decision.status is not DecisionStatus.PROPOSED or challenge.status not in (
        ChallengeStatus.CLOSED,
        ChallengeStatus.IN_EVALUATION,
    ):
        raise AwardError(_l("This decision is not waiting for confirmation."))
    if decision.proposed_by_id == staff.id:
        raise AwardError(
            _l(
                "Another member of the agency must confirm: the person who "
                "proposed the decision cannot confirm it."
            )
        )
    now = clock.now()
    decision.status = DecisionStatus.CONFIRMED
    decision.confirmed_by_id = staff.id
    decision.confirmed_at = now
    decision.standstill_ends_at = now + dt.timedelta(days=challenge.standstill_days)
    db.session.flush()
    if decision.kind is DecisionKind.VOID:
        declare_void(challenge, staff, decision.justification)
    else:
        mark_awarded(challenge, staff)
        _create_milestones(decision)
    notice = issue_notice(decision)
    record(
        "award.confirmed",
        decision,
        actor=staff,
        agency_id=challenge.agency_id,
        challenge_id=challenge.id,
        notice=notice.reference,
        pdf_sha256=notice.pdf_sha256,
        standstill_ends_at=decision.standstill_ends_at,
    )
    _notify_bidders(decision, notice)
    return notice


def _create_milestones(decision: AwardDecision) -> None:
    for winner in decision.winners:
        content = winner.proposal.latest_submission.snapshot["content"]
        for position, m in enumerate(content["milestones"], start=1):
            share = Decimal(str(m["payment_share"]))
            db.session.add(
                PilotMilestone(
                    awarded_id=winner.id,
                    position=position,
                    name=m["name"],
                    week=m["week"],
                    deliverable=m["deliverable"],
                    acceptance_test=m["acceptance_test"],
                    payment_share=share,
                    payment_amount=(winner.amount * share / 100),
                )
            )
    db.session.flush()


def _notify_bidders(decision: AwardDecision, notice) -> None:
    challenge = decision.challenge
    ranked = {r.proposal_id: r for r in ranking(challenge)}
    winners = {w.proposal_id for w in decision.winners}
    criteria = rubric(challenge)
    from govtech.evaluation.ranking import scores_by_criterion

    bidders = db.session.scalars(
        sa.select(Proposal).where(
            Proposal.challenge_id == challenge.id, Proposal.status == ProposalStatus.SUBMITTED
        )
    ).all()
    for proposal in bidders:
        by_criterion = scores_by_criterion(proposal)
        feedback = [
            {
                "criterion": c,
                "mean": (
                    sum(v for _, v in by_criterion.get(c.id, []) if v is not None)
                    / max(1, len(by_criterion.get(c.id, [])))
                ),
            }
            for c in criteria
        ]
        for person in proposal.supplier.members:
            notify(
                person.email,
                "award_result",
                locale=person.locale,
                user=person,
                challenge=challenge,
                proposal=proposal,
                notice=notice,
                decision=decision,
                won=proposal.id in winners,
                ranked=ranked.get(proposal.id),
                total=len(ranked),
                feedback=feedback,
            )


def lodge_appeal(decision: AwardDecision, member: User, reason: str) -> Appeal:
    """A bidder appeals during the standstill period, giving a reason."""
    if not decision.in_standstill:
        raise AwardError(_l("Appeals can be lodged only during the standstill period."))
    proposal = (
        db.session.scalar(
            sa.select(Proposal).where(
                Proposal.challenge_id == decision.challenge_id,
                Proposal.supplier_id == member.supplier_id,
                Proposal.status == ProposalStatus.SUBMITTED,
            )
        )
        if member.is_supplier_member
        else None
    )
    if proposal is None:
        raise AwardError(_l("Only bidders can appeal."))
    if len((reason or "").strip()) < MIN_JUSTIFICATION:
        raise AwardError(
            _l("Explain the reason in at least %(n)s characters.", n=MIN_JUSTIFICATION), "reason"
        )
    appeal = Appeal(
        decision_id=decision.id,
        proposal_id=proposal.id,
        lodged_by_id=member.id,
        reason=reason.strip(),
    )
    db.session.add(appeal)
    db.session.flush()
    record(
        "award.appealed",
        appeal,
        actor=member,
        challenge_id=decision.challenge_id,
        agency_id=decision.challenge.agency_id,
        proposal=proposal.reference,
    )
    return appeal


def answer_appeal(appeal: Appeal, staff: User, answer: str) -> None:
    """The agency answers an appeal; the answer is public."""
    challenge = appeal.decision.challenge
    if not challenge.can_manage(staff):
        raise AwardError(_l("Only staff of the agency can answer appeals."))
    if appeal.answered_at is not None:
        raise AwardError(_l("This appeal has already been answered."))
    if len((answer or "").strip()) < MIN_JUSTIFICATION:
        raise AwardError(_l("Answer in at least %(n)s characters.", n=MIN_JUSTIFICATION), "answer")
    appeal.answer = answer.strip()
    appeal.answered_at = clock.now()
    appeal.answered_by_id = staff.id
    db.session.flush()
    record(
        "award.appeal_answered",
        appeal,
        actor=staff,
        challenge_id=challenge.id,
        agency_id=challenge.agency_id,
    )


def deliver_milestone(milestone: PilotMilestone, member: User, evidence: str) -> None:
    """The winning supplier marks a milestone delivered, with evidence."""
    winner = milestone.awarded
    if not member.represents(winner.proposal.supplier_id):
        raise AwardError(_l("Only the winning supplier delivers its milestones."))
    if milestone.status not in (MilestoneStatus.PENDING, MilestoneStatus.REJECTED):
        raise AwardError(_l("This milestone is already delivered."))
    if len((evidence or "").strip()) < 10:
        raise AwardError(_l("Describe the evidence in at least 10 characters."), "evidence")
    milestone.status = MilestoneStatus.DELIVERED
    milestone.evidence = evidence.strip()
    milestone.delivered_at = clock.now()
    db.session.flush()
    record(
        "milestone.delivered",
        milestone,
        actor=member,
        challenge_id=winner.decision.challenge_id,
        name=milestone.name,
    )


def decide_milestone(milestone: PilotMilestone, staff: User, accept: bool, reason: str) -> None:
    """The agency accepts (releasing the payment share) or rejects a delivered milestone."""
    challenge = milestone.awarded.decision.challenge
    if not challenge.can_manage(staff):
        raise AwardError(_l("Only staff of the agency accept or reject milestones."))
    if milestone.status is not MilestoneStatus.DELIVERED:
        raise AwardError(_l("Only a delivered milestone can be accepted or rejected."))
    if not accept and len((reason or "").strip()) < 10:
        raise AwardError(_l("Explain the rejection in at least 10 characters."), "reason")
    milestone.status = MilestoneStatus.ACCEPTED if accept else MilestoneStatus.REJECTED
    milestone.decision_reason = (reason or "").strip() or None
    milestone.decided_at = clock.now()
    milestone.decided_by_id = staff.id
    db.session.flush()
    record(
        "milestone.accepted" if accept else "milestone.rejected",
        milestone,
        actor=staff,
        agency_id=challenge.agency_id,
        challenge_id=challenge.id,
        name=milestone.name,
        payment_released=str(milestone.payment_amount) if accept else None,
    )


def pilot_milestones(challenge: Challenge) -> list[PilotMilestone]:
    """The pilot milestones of a challenge's winners, in order."""
    return pilot_milestones_by_challenge([challenge.id]).get(challenge.id, [])


def pilot_milestones_by_challenge(challenge_ids: list[int]) -> dict[int, list[PilotMilestone]]:
    """The pilot milestones of several challenges' winners, in order, by challenge id (one
    statement, e.g. for a page of open data)."""
    found: dict[int, list[PilotMilestone]] = {}
    for milestone, challenge_id in db.session.execute(
        sa.select(PilotMilestone, AwardDecision.challenge_id)
        .join(AwardedProposal, AwardedProposal.id == PilotMilestone.awarded_id)
        .join(AwardDecision, AwardDecision.id == AwardedProposal.decision_id)
        .where(AwardDecision.challenge_id.in_(challenge_ids))
        .order_by(AwardedProposal.rank, PilotMilestone.position)
    ):
        found.setdefault(challenge_id, []).append(milestone)
    return found


def issue_correction(notice, staff: User, reason: str):
    """Correct an issued notice: a new notice that supersedes it (the old one is kept)."""
    from govtech.awards.notices import superseded_by

    challenge = notice.challenge
    if not challenge.can_manage(staff):
        raise AwardError(_l("Only staff of the agency can correct its notices."))
    if superseded_by(notice) is not None:
        raise AwardError(_l("This notice has already been corrected; correct the latest one."))
    if len((reason or "").strip()) < MIN_JUSTIFICATION:
        raise AwardError(
            _l("Explain the correction in at least %(n)s characters.", n=MIN_JUSTIFICATION),
            "reason",
        )
    correction = issue_notice(notice.decision, supersedes=notice, correction_reason=reason.strip())
    record(
        "notice.corrected",
        correction,
        actor=staff,
        agency_id=challenge.agency_id,
        challenge_id=challenge.id,
        supersedes=notice.reference,
        reference=correction.reference,
        reason=reason.strip(),
        pdf_sha256=correction.pdf_sha256,
    )
    return correction
