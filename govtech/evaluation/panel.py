"""The evaluation panel: invitations, who sits on it, and conflicts of interest declared
before anyone opens a proposal."""

from collections.abc import Mapping

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from govtech import clock
from govtech.accounts.models import Role, User
from govtech.accounts.services import normalise_email
from govtech.audit.services import record
from govtech.challenges.models import Challenge, ChallengeStatus
from govtech.evaluation.models import (
    ConflictDeclaration,
    ConflictKind,
    EvaluatorAssignment,
)
from govtech.evaluation.services import EvaluationError
from govtech.extensions import db
from govtech.notifications import notify
from govtech.proposals.models import Proposal, ProposalStatus, Screening

# --- the panel -------------------------------------------------------------------------
_EVALUATION_OVER = (ChallengeStatus.AWARDED, ChallengeStatus.CANCELLED, ChallengeStatus.VOID)


def may_sit_on_panel(user: User) -> bool:
    """Evaluators and agency staff evaluate; bidders and platform administrators never do."""
    return user.role in (Role.EVALUATOR, Role.AGENCY_STAFF)


def invite_evaluator(challenge: Challenge, staff: User, email: str, role_on_panel: str):
    """Invite a person by email to the panel (an expert may be external to the agency).

    The invitation is the same whoever the email belongs to, and it seats nobody: the
    person accepts it (`accept_panel_invitation`, or a new evaluator account from its
    link). So the agency is never told whether an email has an account, or of what
    kind, and a bidder's or an administrator's address can never join the panel.
    """
    if not challenge.can_manage(staff):
        raise EvaluationError(_l("Only staff of the agency can invite evaluators."))
    if challenge.status in _EVALUATION_OVER:
        raise EvaluationError(_l("The evaluation of this challenge is over."))
    email = normalise_email(email)
    if db.session.scalar(
        sa.select(EvaluatorAssignment.id).where(
            EvaluatorAssignment.challenge_id == challenge.id, EvaluatorAssignment.email == email
        )
    ):
        raise EvaluationError(_l("This person is already on the panel."), "email")
    assignment = EvaluatorAssignment(
        challenge_id=challenge.id,
        email=email,
        role_on_panel=role_on_panel.strip(),
        invited_by_id=staff.id,
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
    )
    # The email alone may say what the address's owner can do with it.
    owner = db.session.scalar(sa.select(User).where(User.email == email))
    account = "none" if owner is None else "panel" if may_sit_on_panel(owner) else "excluded"
    notify(
        email,
        "evaluator_invitation",
        locale=owner.locale if owner else challenge.agency.locale,
        challenge=challenge,
        assignment=assignment,
        token=invitation_token(assignment),
        account=account,
    )
    return assignment


def accept_panel_invitation(assignment: EvaluatorAssignment, user: User) -> None:
    """Seat the invited person on the panel: signed in with the account that uses the
    invited email, one that may evaluate."""
    if assignment.user_id is not None:
        raise EvaluationError(_l("This invitation is already accepted."))
    if user.email != assignment.email:
        raise EvaluationError(_l("This invitation is for another email address."))
    if not may_sit_on_panel(user):
        raise EvaluationError(
            _l("This account cannot evaluate: bidders and administrators are excluded.")
        )
    challenge = db.session.get(Challenge, assignment.challenge_id)
    if challenge.status in _EVALUATION_OVER:
        raise EvaluationError(_l("The evaluation of this challenge is over."))
    assignment.user_id = user.id
    assignment.accepted_at = clock.now()
    db.session.flush()
    record(
        "evaluator.accepted",
        assignment,
        actor=user,
        agency_id=challenge.agency_id,
        challenge_id=challenge.id,
    )


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
