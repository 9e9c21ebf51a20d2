"""Scorecards: each evaluator's scores with justifications (optimistic locking), reopening,
consensus notes on divergences and recorded reasons for missing scorecards."""

from collections.abc import Mapping

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from govtech import clock
from govtech.accounts.models import User
from govtech.audit.services import record
from govtech.challenges.models import ChallengeStatus
from govtech.evaluation.models import (
    ConsensusNote,
    Criterion,
    EvaluatorAssignment,
    MissingScorecardReason,
    Score,
    Scorecard,
    ScorecardStatus,
)
from govtech.evaluation.panel import assignment_of, can_open
from govtech.evaluation.services import MIN_JUSTIFICATION, EvaluationError, StaleScorecard, rubric
from govtech.extensions import db
from govtech.proposals.models import Proposal, ProposalStatus, Screening


# --- scorecards ------------------------------------------------------------------------
def scorecard_for(proposal: Proposal, user: User, *, create: bool = False) -> Scorecard | None:
    """The evaluator's scorecard for a proposal (created on first opening)."""
    assignment = assignment_of(proposal.challenge, user)
    if assignment is None:
        return None
    card = db.session.scalar(
        sa.select(Scorecard).where(
            Scorecard.assignment_id == assignment.id, Scorecard.proposal_id == proposal.id
        )
    )
    if card is None and create:
        card = Scorecard(
            assignment_id=assignment.id, proposal_id=proposal.id, status=ScorecardStatus.DRAFT
        )
        try:
            # Added inside the savepoint: begin_nested() flushes what is already pending.
            with db.session.begin_nested():
                db.session.add(card)
                db.session.flush()
        except sa.exc.IntegrityError:
            # Another tab created it at the same moment: theirs, whose version the save checks.
            card = db.session.scalar(
                sa.select(Scorecard).where(
                    Scorecard.assignment_id == assignment.id, Scorecard.proposal_id == proposal.id
                )
            )
            if card is None:
                raise
    return card


def save_scorecard(
    card: Scorecard,
    evaluator: User,
    expected_version: int,
    scores: Mapping[int, tuple[int | None, str | None]],
    *,
    submit: bool = False,
) -> None:
    """Save (and optionally submit) a scorecard: {criterion_id: (score, justification)}.

    `expected_version` is the version the evaluator's form was loaded with; if someone else
    saved meanwhile, StaleScorecard is raised and nothing is written, so no update is lost.
    """
    proposal = db.session.get(Proposal, card.proposal_id)
    if card.assignment.user_id != evaluator.id or not can_open(evaluator, proposal):
        raise EvaluationError(_l("You cannot score this proposal."))
    if card.status is ScorecardStatus.SUBMITTED:
        raise EvaluationError(
            _l("This scorecard is submitted and final. The agency can reopen it, with a reason.")
        )
    if card.version != expected_version:
        raise StaleScorecard(
            _l(
                "Someone saved this scorecard after you opened it. Your input "
                "is kept below: check it and save again."
            )
        )
    criteria = {c.id: c for c in rubric(proposal.challenge)}
    problems = []
    for criterion_id in criteria:
        value, text = scores.get(criterion_id, (None, None))
        if value is not None and not 0 <= value <= 5:
            problems.append(EvaluationError(_l("Scores go from 0 to 5."), f"score_{criterion_id}"))
        if submit and value is None:
            problems.append(
                EvaluationError(
                    _l("Score every criterion before submitting."), f"score_{criterion_id}"
                )
            )
        if submit and len((text or "").strip()) < MIN_JUSTIFICATION:
            problems.append(
                EvaluationError(
                    _l("Justify the score in at least a sentence."), f"justification_{criterion_id}"
                )
            )
    if problems:
        raise problems[0]
    current = {s.criterion_id: s for s in card.scores}
    for criterion_id in criteria:
        value, text = scores.get(criterion_id, (None, None))
        row = current.get(criterion_id) or Score(scorecard=card, criterion_id=criterion_id)
        row.score = value
        row.justification = (text or "").strip() or None
        db.session.add(row)
    card.updated_at = clock.now()
    if submit:
        card.status = ScorecardStatus.SUBMITTED
        card.submitted_at = clock.now()
    try:
        db.session.flush()  # the version column makes a concurrent save fail here
    except StaleDataError as exc:
        raise StaleScorecard(
            _l(
                "Someone saved this scorecard after you opened it. Your input "
                "is kept below: check it and save again."
            )
        ) from exc
    # A draft save is audited too (without the scores, which stay the evaluator's until
    # submitted): every state change moves the audit head, which cached pages rely on.
    record(
        "scorecard.submitted" if submit else "scorecard.saved",
        card,
        actor=evaluator,
        agency_id=proposal.challenge.agency_id,
        challenge_id=proposal.challenge_id,
        proposal=proposal.reference,
        **({"scores": {str(k): v[0] for k, v in scores.items()}} if submit else {}),
    )


def reopen_scorecard(card: Scorecard, staff: User, reason: str) -> None:
    """The agency reopens a submitted scorecard for correction, with an audited reason."""
    proposal = db.session.get(Proposal, card.proposal_id)
    if not proposal.challenge.can_manage(staff):
        raise EvaluationError(_l("Only staff of the agency can reopen scorecards."))
    if proposal.challenge.status is not ChallengeStatus.IN_EVALUATION:
        raise EvaluationError(_l("The evaluation is over."))
    if card.status is not ScorecardStatus.SUBMITTED:
        raise EvaluationError(_l("Only submitted scorecards can be reopened."))
    if len((reason or "").strip()) < 10:
        raise EvaluationError(_l("Explain the reason in at least 10 characters."), "reason")
    card.status = ScorecardStatus.DRAFT
    card.submitted_at = None
    db.session.flush()
    record(
        "scorecard.reopened",
        card,
        actor=staff,
        agency_id=proposal.challenge.agency_id,
        challenge_id=proposal.challenge_id,
        proposal=proposal.reference,
        reason=reason.strip(),
    )


def record_consensus(proposal: Proposal, criterion: Criterion, staff: User, note: str) -> None:
    """The agency records the panel's consensus on a divergent criterion."""
    if not proposal.challenge.can_manage(staff):
        raise EvaluationError(_l("Only staff of the agency record consensus notes."))
    if (
        proposal.challenge.status is not ChallengeStatus.IN_EVALUATION
        or proposal.status is not ProposalStatus.SUBMITTED
        or proposal.screening is not Screening.ELIGIBLE
    ):
        raise EvaluationError(
            _l("Consensus notes are recorded on eligible proposals during the evaluation.")
        )
    if len((note or "").strip()) < 10:
        raise EvaluationError(_l("Write the consensus in at least 10 characters."), "note")
    existing = db.session.scalar(
        sa.select(ConsensusNote).where(
            ConsensusNote.proposal_id == proposal.id, ConsensusNote.criterion_id == criterion.id
        )
    )
    if existing:
        raise EvaluationError(_l("A consensus note already exists for this criterion."))
    db.session.add(
        ConsensusNote(
            proposal_id=proposal.id,
            criterion_id=criterion.id,
            note=note.strip(),
            author_id=staff.id,
        )
    )
    db.session.flush()
    record(
        "evaluation.consensus_recorded",
        proposal,
        actor=staff,
        agency_id=proposal.challenge.agency_id,
        challenge_id=proposal.challenge_id,
        criterion=criterion.id,
    )


def record_missing_scorecard(
    assignment: EvaluatorAssignment, proposal: Proposal, staff: User, reason: str
) -> None:
    """The agency records why an evaluator's scorecard will be missing (illness, a conflict
    found late...), so the award can go ahead without it."""
    challenge = proposal.challenge
    if not challenge.can_manage(staff) or assignment.challenge_id != challenge.id:
        raise EvaluationError(_l("Only staff of the agency record missing scorecards."))
    if challenge.status is not ChallengeStatus.IN_EVALUATION:
        raise EvaluationError(_l("The evaluation is over."))
    if len((reason or "").strip()) < 10:
        raise EvaluationError(_l("Explain the reason in at least 10 characters."), "reason")
    already = sa.select(MissingScorecardReason.id).where(
        MissingScorecardReason.assignment_id == assignment.id,
        MissingScorecardReason.proposal_id == proposal.id,
    )
    if db.session.scalar(already) is not None:
        # A recorded reason is final; say so rather than pretend a second one was recorded.
        raise EvaluationError(_l("A reason is already recorded for this missing scorecard."))
    db.session.add(
        MissingScorecardReason(
            assignment_id=assignment.id,
            proposal_id=proposal.id,
            reason=reason.strip(),
            recorded_by_id=staff.id,
        )
    )
    db.session.flush()
    record(
        "scorecard.excused",
        proposal,
        actor=staff,
        agency_id=challenge.agency_id,
        challenge_id=challenge.id,
        assignment=assignment.id,
        reason=reason.strip(),
    )
