"""The rules of evaluation: readiness, rubric, panel, conflicts of interest and scorecards."""

from collections.abc import Mapping

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from govtech import clock
from govtech.accounts.models import Role, User
from govtech.accounts.services import normalise_email
from govtech.audit.services import record
from govtech.challenges.models import Challenge, ChallengeStatus
from govtech.challenges.services import ChallengeError, on_publication, publication_check
from govtech.evaluation.checklist import checklist_items
from govtech.evaluation.models import (
    AppliesTo,
    ChecklistItem,
    ConflictDeclaration,
    ConflictKind,
    ConsensusNote,
    Criterion,
    EvaluatorAssignment,
    Readiness,
    ReadinessAnswer,
    Score,
    Scorecard,
    ScorecardStatus,
)
from govtech.extensions import db
from govtech.notifications import notify
from govtech.proposals.models import Proposal, ProposalStatus, Screening
from govtech.rules import RuleViolation

MAX_OWN_CRITERIA = 5
MIN_EVALUATORS = 3
MIN_JUSTIFICATION = 20  # about a sentence


class EvaluationError(RuleViolation):
    """A rule refused the action; `field` names the form field, if any."""


class StaleScorecard(EvaluationError):
    """Someone else saved the scorecard since it was opened."""


# --- readiness -------------------------------------------------------------------------
def save_readiness(challenge: Challenge, staff: User, answers: Mapping[int, tuple]) -> None:
    """Record the agency's self-assessment: {item_id: (Readiness, note)} for challenge items."""
    if not challenge.can_edit(staff):
        raise EvaluationError(_l("The readiness assessment is completed before publication."))
    items = {i.id: i for i in checklist_items(AppliesTo.CHALLENGE)}
    existing = {
        a.item_id: a
        for a in db.session.scalars(
            sa.select(ReadinessAnswer).where(ReadinessAnswer.challenge_id == challenge.id)
        )
    }
    for item_id, (answer, note) in answers.items():
        if item_id not in items:
            raise EvaluationError(_l("Unknown checklist item."))
        row = existing.get(item_id) or ReadinessAnswer(challenge_id=challenge.id, item_id=item_id)
        row.answer = Readiness(answer)
        row.note = (note or "").strip() or None
        db.session.add(row)
    db.session.flush()
    record(
        "challenge.readiness_assessed",
        challenge,
        actor=staff,
        agency_id=challenge.agency_id,
        challenge_id=challenge.id,
        answered=len(answers),
    )


def readiness_answers(challenge: Challenge) -> dict[int, ReadinessAnswer]:
    """The challenge's answers by checklist item id."""
    return {
        a.item_id: a
        for a in db.session.scalars(
            sa.select(ReadinessAnswer).where(ReadinessAnswer.challenge_id == challenge.id)
        )
    }


def readiness_profile(challenge: Challenge) -> list[dict]:
    """Per line of action: how many challenge-side items are met, partly met or missing."""
    rows = db.session.execute(
        sa.select(ChecklistItem.line_of_action, ReadinessAnswer.answer, sa.func.count())
        .join(ReadinessAnswer, ReadinessAnswer.item_id == ChecklistItem.id)
        .where(ReadinessAnswer.challenge_id == challenge.id)
        .group_by(ChecklistItem.line_of_action, ReadinessAnswer.answer)
    ).all()
    profile: dict[int, dict] = {}
    for line, answer, count in rows:
        entry = profile.setdefault(line, {"line": line, "yes": 0, "partly": 0, "no": 0})
        entry[answer.value] = count
    for entry in profile.values():
        total = entry["yes"] + entry["partly"] + entry["no"]
        entry["total"] = total
        entry["percent"] = (
            round(100 * (entry["yes"] + 0.5 * entry["partly"]) / total) if total else 0
        )
    return [profile[line] for line in sorted(profile)]


@publication_check
def _readiness_complete(challenge: Challenge) -> list:
    expected = {i.id for i in checklist_items(AppliesTo.CHALLENGE)}
    if expected and not expected <= set(readiness_answers(challenge)):
        return [
            ChallengeError(
                _l(
                    "Complete the readiness self-assessment before publishing (gaps are allowed "
                    "and will be shown)."
                )
            )
        ]
    return []


# --- rubric ----------------------------------------------------------------------------
def rubric(challenge: Challenge) -> list[Criterion]:
    """The challenge's criteria in order, with their checklist items loaded."""
    from sqlalchemy.orm import joinedload

    return list(
        db.session.scalars(
            sa.select(Criterion)
            .options(joinedload(Criterion.item))
            .where(Criterion.challenge_id == challenge.id)
            .order_by(Criterion.position)
        )
    )


def set_rubric(challenge: Challenge, staff: User, rows: list[dict]) -> list[Criterion]:
    """Replace the draft's rubric: proposal-side items and up to five own criteria,
    each weighted, the weights adding up to 100. Frozen once the challenge is published."""
    if not challenge.can_edit(staff):
        raise EvaluationError(
            _l("The rubric is frozen at publication; changing it needs an addendum.")
        )
    proposal_items = {i.id for i in checklist_items(AppliesTo.PROPOSAL)}
    own = [r for r in rows if r.get("item_id") is None]
    if len(own) > MAX_OWN_CRITERIA:
        raise EvaluationError(_l("At most %(n)s criteria of your own.", n=MAX_OWN_CRITERIA), "own")
    for row in rows:
        if row.get("item_id") is not None and row["item_id"] not in proposal_items:
            raise EvaluationError(_l("Only checklist items that judge proposals can be criteria."))
        if row.get("item_id") is None and not (row.get("title") or "").strip():
            raise EvaluationError(_l("Give each criterion of your own a title."), "own")
        if not 1 <= int(row["weight"]) <= 100:
            raise EvaluationError(_l("Each weight must be between 1 and 100."), "weights")
    total = sum(int(r["weight"]) for r in rows)
    if total != 100:
        raise EvaluationError(
            _l("The weights add up to %(total)s; they must add up to 100.", total=total), "weights"
        )
    db.session.execute(sa.delete(Criterion).where(Criterion.challenge_id == challenge.id))
    criteria = []
    for position, row in enumerate(rows, start=1):
        criterion = Criterion(
            challenge_id=challenge.id,
            item_id=row.get("item_id"),
            title=(row.get("title") or "").strip() or None,
            description=(row.get("description") or "").strip() or None,
            weight=int(row["weight"]),
            position=position,
        )
        db.session.add(criterion)
        criteria.append(criterion)
    db.session.flush()
    record(
        "challenge.rubric_set",
        challenge,
        actor=staff,
        agency_id=challenge.agency_id,
        challenge_id=challenge.id,
        weights={(c.item.code if c.item else c.title): c.weight for c in criteria},
    )
    return criteria


@publication_check
def _rubric_complete(challenge: Challenge) -> list:
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Criterion.weight), 0)).where(
            Criterion.challenge_id == challenge.id
        )
    )
    if total != 100:
        return [
            ChallengeError(
                _l("Build the evaluation rubric: weights must add up to 100 before publishing.")
            )
        ]
    return []


@on_publication
def _freeze_rubric(challenge: Challenge, actor: User) -> None:
    record(
        "challenge.rubric_frozen",
        challenge,
        actor=actor,
        agency_id=challenge.agency_id,
        challenge_id=challenge.id,
        weights={c.label("en"): c.weight for c in rubric(challenge)},
    )


# --- the panel -------------------------------------------------------------------------
def invite_evaluator(challenge: Challenge, staff: User, email: str, role_on_panel: str):
    """Invite an evaluator by email (an expert may be external to the agency)."""
    if not challenge.can_manage(staff):
        raise EvaluationError(_l("Only staff of the agency can invite evaluators."))
    if challenge.status in (
        ChallengeStatus.AWARDED,
        ChallengeStatus.CANCELLED,
        ChallengeStatus.VOID,
    ):
        raise EvaluationError(_l("The evaluation of this challenge is over."))
    email = normalise_email(email)
    if db.session.scalar(
        sa.select(EvaluatorAssignment.id).where(
            EvaluatorAssignment.challenge_id == challenge.id, EvaluatorAssignment.email == email
        )
    ):
        raise EvaluationError(_l("This person is already on the panel."), "email")
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if user is not None and user.role not in (Role.EVALUATOR, Role.AGENCY_STAFF):
        raise EvaluationError(
            _l("This account cannot evaluate: bidders and administrators are excluded."), "email"
        )
    assignment = EvaluatorAssignment(
        challenge_id=challenge.id,
        email=email,
        role_on_panel=role_on_panel.strip(),
        invited_by_id=staff.id,
        user_id=user.id if user else None,
        accepted_at=clock.now() if user else None,
    )
    db.session.add(assignment)
    db.session.flush()
    record(
        "evaluator.invited",
        assignment,
        actor=staff,
        agency_id=challenge.agency_id,
        challenge_id=challenge.id,
        email=email,
        existing_account=user is not None,
    )
    token = invitation_token(assignment)
    notify(
        email,
        "evaluator_invitation",
        locale=user.locale if user else challenge.agency.locale,
        challenge=challenge,
        assignment=assignment,
        token=token,
        has_account=user is not None,
    )
    return assignment


def invitation_token(assignment: EvaluatorAssignment) -> str:
    """A signed token that lets the invited person create their evaluator account."""
    from flask import current_app
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="govtech.evaluator").dumps(
        {"a": assignment.id, "e": assignment.email}
    )


def assignment_for_token(token: str) -> EvaluatorAssignment | None:
    """The pending assignment a valid invitation token belongs to."""
    from flask import current_app
    from itsdangerous import BadSignature, URLSafeSerializer

    try:
        data = URLSafeSerializer(current_app.config["SECRET_KEY"], salt="govtech.evaluator").loads(
            token
        )
    except BadSignature:
        return None
    assignment = (
        db.session.get(EvaluatorAssignment, data.get("a")) if isinstance(data, dict) else None
    )
    if assignment is None or assignment.email != data.get("e"):
        return None
    return assignment


def link_invited_account(assignment: EvaluatorAssignment, user: User) -> None:
    """Attach the evaluator's new account to every pending invitation for their email."""
    pending = db.session.scalars(
        sa.select(EvaluatorAssignment).where(
            EvaluatorAssignment.email == user.email, EvaluatorAssignment.user_id.is_(None)
        )
    ).all()
    for item in pending:
        item.user_id = user.id
        item.accepted_at = clock.now()
        record("evaluator.accepted", item, actor=user, challenge_id=item.challenge_id)
    db.session.flush()


def assignment_of(challenge: Challenge, user) -> EvaluatorAssignment | None:
    """The user's accepted place on the challenge's panel, if any."""
    if not (user and user.is_authenticated):
        return None
    return db.session.scalar(
        sa.select(EvaluatorAssignment).where(
            EvaluatorAssignment.challenge_id == challenge.id, EvaluatorAssignment.user_id == user.id
        )
    )


def panel(challenge: Challenge) -> list[EvaluatorAssignment]:
    """The challenge's evaluators in invitation order."""
    from sqlalchemy.orm import joinedload

    return list(
        db.session.scalars(
            sa.select(EvaluatorAssignment)
            .options(joinedload(EvaluatorAssignment.user))
            .where(EvaluatorAssignment.challenge_id == challenge.id)
            .order_by(EvaluatorAssignment.id)
        )
    )


def eligible_proposals(challenge: Challenge) -> list[Proposal]:
    """Submitted proposals the agency found eligible, in submission order."""
    from sqlalchemy.orm import joinedload

    return list(
        db.session.scalars(
            sa.select(Proposal)
            .options(joinedload(Proposal.supplier))
            .where(
                Proposal.challenge_id == challenge.id,
                Proposal.status == ProposalStatus.SUBMITTED,
                Proposal.screening == Screening.ELIGIBLE,
            )
            .order_by(Proposal.submitted_at)
        )
    )


# --- conflicts of interest -------------------------------------------------------------
def declarations_of(challenge: Challenge, user) -> dict[int, ConflictDeclaration]:
    """A person's declarations for a challenge, by proposal id."""
    if not (user and user.is_authenticated):
        return {}
    return {
        d.proposal_id: d
        for d in db.session.scalars(
            sa.select(ConflictDeclaration).where(
                ConflictDeclaration.challenge_id == challenge.id,
                ConflictDeclaration.user_id == user.id,
            )
        )
    }


def _affiliation_matches(user: User, proposal: Proposal) -> bool:
    from govtech.evaluation.models import Affiliation

    supplier = proposal.supplier
    return (
        db.session.scalar(
            sa.select(Affiliation.id).where(
                Affiliation.user_id == user.id,
                Affiliation.country == supplier.country,
                Affiliation.tax_id == supplier.tax_id,
            )
        )
        is not None
    )


def declare_conflicts(
    challenge: Challenge,
    person: User,
    answers: Mapping[int, tuple[bool, ConflictKind | None, str | None]],
) -> None:
    """Record, for each eligible bidder, whether the person has a conflict of interest.

    Evaluators declare before seeing any proposal; agency staff may declare too. The platform
    flags a likely conflict when one of the person's affiliations is the bidder.
    """
    is_evaluator = assignment_of(challenge, person) is not None
    if not (is_evaluator or challenge.can_manage(person)):
        raise EvaluationError(_l("Only the panel and the agency declare conflicts here."))
    if challenge.status is not ChallengeStatus.IN_EVALUATION:
        raise EvaluationError(_l("Conflicts are declared once the evaluation has started."))
    proposals = {p.id: p for p in eligible_proposals(challenge)}
    existing = declarations_of(challenge, person)
    for proposal_id, (has_conflict, kind, note) in answers.items():
        if proposal_id not in proposals:
            raise EvaluationError(_l("Unknown proposal."))
        if proposal_id in existing:
            continue  # a declaration is final; a change of mind is a new audited record
        if has_conflict and kind is None:
            raise EvaluationError(_l("Say what kind of conflict it is."), f"kind_{proposal_id}")
        declaration = ConflictDeclaration(
            challenge_id=challenge.id,
            user_id=person.id,
            proposal_id=proposal_id,
            has_conflict=has_conflict,
            kind=kind if has_conflict else None,
            note=(note or "").strip() or None,
            flagged=not has_conflict and _affiliation_matches(person, proposals[proposal_id]),
        )
        db.session.add(declaration)
        db.session.flush()
        record(
            "conflict.declared",
            declaration,
            actor=person,
            agency_id=challenge.agency_id,
            challenge_id=challenge.id,
            proposal=proposals[proposal_id].reference,
            has_conflict=has_conflict,
            kind=kind,
            flagged=declaration.flagged,
        )


def resolve_flag(declaration: ConflictDeclaration, staff: User, conflict: bool, note: str) -> None:
    """The agency resolves a flagged likely conflict: confirm it or clear it, with a reason."""
    challenge = db.session.get(Challenge, declaration.challenge_id)
    if not challenge.can_manage(staff):
        raise EvaluationError(_l("Only staff of the agency resolve conflict flags."))
    if not declaration.flagged or declaration.flag_resolved_at is not None:
        raise EvaluationError(_l("This flag is already resolved."))
    if len((note or "").strip()) < 10:
        raise EvaluationError(_l("Explain the decision in at least 10 characters."), "note")
    declaration.flag_resolved_at = clock.now()
    declaration.flag_resolved_by_id = staff.id
    declaration.flag_resolution = note.strip()
    if conflict:
        declaration.has_conflict = True
        declaration.kind = ConflictKind.EMPLOYMENT
    db.session.flush()
    record(
        "conflict.flag_resolved",
        declaration,
        actor=staff,
        agency_id=challenge.agency_id,
        challenge_id=challenge.id,
        conflict=conflict,
        note=note.strip(),
    )


def can_open(user, proposal: Proposal) -> bool:
    """An evaluator opens a proposal only if assigned, it is eligible, they declared no
    conflict with it and no flag is pending."""
    if not (user and user.is_authenticated):
        return False
    challenge = proposal.challenge
    if challenge.status is not ChallengeStatus.IN_EVALUATION:
        return False
    if (
        proposal.screening is not Screening.ELIGIBLE
        or proposal.status is not ProposalStatus.SUBMITTED
    ):
        return False
    if assignment_of(challenge, user) is None:
        return False
    declaration = db.session.scalar(
        sa.select(ConflictDeclaration).where(
            ConflictDeclaration.user_id == user.id, ConflictDeclaration.proposal_id == proposal.id
        )
    )
    return declaration is not None and not declaration.blocks


def blocked_proposal_ids(challenge: Challenge, user) -> set[int]:
    """Proposals a person has a declared (or unresolved flagged) conflict with."""
    return {pid for pid, d in declarations_of(challenge, user).items() if d.blocks}


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
    if submit:
        record(
            "scorecard.submitted",
            card,
            actor=evaluator,
            agency_id=proposal.challenge.agency_id,
            challenge_id=proposal.challenge_id,
            proposal=proposal.reference,
            scores={str(k): v[0] for k, v in scores.items()},
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
    from govtech.evaluation.models import MissingScorecardReason

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
        return  # a recorded reason is final (a second press of the button is not an error)
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
