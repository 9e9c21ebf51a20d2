"""The rules of a challenge's life: drafting, publication, clock-driven closing, amendments,
cancellation and clarification questions. Each transition is one function, audited."""

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from govtech import clock
from govtech.accounts.models import User
from govtech.audit.services import record
from govtech.challenges.models import (
    Addendum,
    Challenge,
    ChallengeDocument,
    ChallengeFollower,
    ChallengeStatus,
    Question,
)
from govtech.extensions import db
from govtech.files import store_file
from govtech.notifications import notify
from govtech.rules import RuleViolation

S = ChallengeStatus
# Which state may follow which; every transition function checks this table.
TRANSITIONS: Mapping[ChallengeStatus, frozenset[ChallengeStatus]] = {
    S.DRAFT: frozenset({S.PUBLISHED, S.CANCELLED}),
    S.PUBLISHED: frozenset({S.CLOSED, S.CANCELLED}),
    S.CLOSED: frozenset({S.IN_EVALUATION, S.CANCELLED, S.VOID}),
    S.IN_EVALUATION: frozenset({S.AWARDED, S.CANCELLED, S.VOID}),
    S.AWARDED: frozenset(),
    S.CANCELLED: frozenset(),
    S.VOID: frozenset(),
}

EDITABLE_FIELDS = (
    "title", "problem_statement", "current_situation", "expected_results", "sector", "country",
    "region", "budget_amount", "currency", "procedure_type", "eligible_size_bands",
    "eligible_countries", "min_company_age_years", "max_company_age_years", "question_deadline",
    "submission_deadline", "expected_award_date", "pilot_duration_weeks", "contact_name",
    "contact_email", "blind_review", "max_winners", "minimum_score", "standstill_days",
)  # fmt: skip


class ChallengeError(RuleViolation):
    """A rule refused the action; `field` names the form field it concerns, if any."""


def _transition(challenge: Challenge, to: ChallengeStatus, actor, reason: str | None = None):
    if to not in TRANSITIONS[challenge.status]:
        raise ChallengeError(
            _l(
                "A challenge cannot go from “%(from)s” to “%(to)s”.",
                **{"from": challenge.status.label, "to": to.label},
            )
        )
    before = challenge.status
    challenge.status = to
    challenge.status_changed_at = clock.now()
    if reason is not None:
        challenge.status_reason = reason
    db.session.flush()
    record(
        f"challenge.{to.value}",
        challenge,
        actor=actor,
        agency_id=challenge.agency_id,
        challenge_id=challenge.id,
        **{"from": before, "to": to, "reason": reason},
    )


def check_timeline(values: Mapping[str, Any], *, at_publication: bool) -> list[ChallengeError]:
    """Deadlines in order (and in the future when publishing); one error per offending field."""
    errors = []
    q, s, a = (
        values.get(k) for k in ("question_deadline", "submission_deadline", "expected_award_date")
    )
    now = clock.now()
    if at_publication:
        for name, moment in (
            ("question_deadline", q),
            ("submission_deadline", s),
            ("expected_award_date", a),
        ):
            if moment is not None and moment <= now:
                errors.append(ChallengeError(_l("This date must be in the future."), name))
    if q and s and q >= s:
        errors.append(
            ChallengeError(
                _l("The question deadline must come before the submission deadline."),
                "question_deadline",
            )
        )
    if s and a and s >= a:
        errors.append(
            ChallengeError(
                _l("The expected award date must come after the submission deadline."),
                "expected_award_date",
            )
        )
    lo, hi = values.get("min_company_age_years"), values.get("max_company_age_years")
    if lo is not None and hi is not None and lo > hi:
        errors.append(
            ChallengeError(
                _l("The minimum company age cannot exceed the maximum."), "max_company_age_years"
            )
        )
    if values.get("budget_amount") is not None and values["budget_amount"] <= 0:
        errors.append(ChallengeError(_l("The budget must be greater than zero."), "budget_amount"))
    return errors


def _next_reference(agency) -> str:
    # AGENCY-YYYY-Cnnnn: the C keeps challenge references apart from notice references.
    prefix = f"{agency.code}-{clock.now().year}-C"
    last = db.session.scalar(
        sa.select(sa.func.max(Challenge.reference)).where(Challenge.reference.like(f"{prefix}%"))
    )
    number = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{number:04d}"


def create_draft(agency, author: User, values: Mapping[str, Any]) -> Challenge:
    """Create a draft challenge for the author's agency."""
    if not author.works_for(agency.id):
        raise ChallengeError(_l("Only staff of the agency can create its challenges."))
    errors = check_timeline(values, at_publication=False)
    if errors:
        raise errors[0]
    challenge = Challenge(
        agency=agency,
        reference=_next_reference(agency),
        created_by_id=author.id,
        status=ChallengeStatus.DRAFT,
        **{k: values[k] for k in EDITABLE_FIELDS if k in values},
    )
    db.session.add(challenge)
    db.session.flush()
    record(
        "challenge.drafted",
        challenge,
        actor=author,
        agency_id=agency.id,
        challenge_id=challenge.id,
        reference=challenge.reference,
    )
    return challenge


def update_draft(challenge: Challenge, editor: User, values: Mapping[str, Any]) -> None:
    """Change a draft; once published, changes go through addenda only."""
    if not challenge.can_edit(editor):
        raise ChallengeError(_l("Only drafts can be edited; publish an addendum instead."))
    errors = check_timeline(values, at_publication=False)
    if errors:
        raise errors[0]
    changed = {}
    for key in EDITABLE_FIELDS:
        if key in values and getattr(challenge, key) != values[key]:
            changed[key] = values[key]
            setattr(challenge, key, values[key])
    db.session.flush()
    record(
        "challenge.edited",
        challenge,
        actor=editor,
        agency_id=challenge.agency_id,
        challenge_id=challenge.id,
        fields=sorted(changed),
    )


def publish_challenge(challenge: Challenge, actor: User) -> list[ChallengeError]:
    """Publish a draft: the agency must be verified and the timeline valid from now on.

    Returns the problems (empty when published).
    """
    if not challenge.can_manage(actor):
        raise ChallengeError(_l("Only staff of the agency can publish its challenges."))
    if not challenge.agency.is_verified:
        raise ChallengeError(
            _l("Your agency must be verified by a platform administrator before publishing.")
        )
    values = {k: getattr(challenge, k) for k in EDITABLE_FIELDS}
    problems = check_timeline(values, at_publication=True)
    if not challenge.eligible_size_bands:
        problems.append(
            ChallengeError(_l("Allow at least one company size."), "eligible_size_bands")
        )
    if problems:
        return problems
    for check in _PUBLICATION_CHECKS:
        problems += check(challenge)
    if problems:
        return problems
    challenge.published_at = clock.now()
    _transition(challenge, ChallengeStatus.PUBLISHED, actor)
    for hook in _PUBLICATION_HOOKS:
        hook(challenge, actor)
    return []


# Other domains add conditions to publication (e.g. the evaluation rubric) and actions
# that follow it (freezing the rubric); see `publication_check` and `on_publication`.
_PUBLICATION_CHECKS: list = []
_PUBLICATION_HOOKS: list = []


def publication_check(fn):
    """Register fn(challenge) -> list[ChallengeError] run before publication."""
    _PUBLICATION_CHECKS.append(fn)
    return fn


def on_publication(fn):
    """Register fn(challenge, actor) run right after publication."""
    _PUBLICATION_HOOKS.append(fn)
    return fn


def close_if_due(challenge: Challenge) -> bool:
    """Close a published challenge whose submission deadline has passed (by the clock)."""
    if challenge.status is not ChallengeStatus.PUBLISHED:
        return False
    if clock.now() < challenge.submission_deadline:
        return False
    # A conditional UPDATE so concurrent requests close (and audit) it exactly once.
    now = clock.now()
    result = db.session.execute(
        sa.update(Challenge)
        .where(Challenge.id == challenge.id, Challenge.status == ChallengeStatus.PUBLISHED)
        .values(status=ChallengeStatus.CLOSED, closed_at=now, status_changed_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(challenge)
    if result.rowcount != 1:
        return False
    record(
        "challenge.closed",
        challenge,
        actor=None,
        agency_id=challenge.agency_id,
        challenge_id=challenge.id,
        **{
            "from": ChallengeStatus.PUBLISHED,
            "to": ChallengeStatus.CLOSED,
            "reason": "submission deadline passed",
        },
    )
    return True


def next_deadline_timestamp() -> float:
    """When the next published challenge closes (POSIX seconds; +inf if none is open)."""
    deadline = db.session.scalar(
        sa.select(sa.func.min(Challenge.submission_deadline)).where(
            Challenge.status == ChallengeStatus.PUBLISHED
        )
    )
    return deadline.timestamp() if deadline else float("inf")


def close_due_challenges() -> int:
    """Close every published challenge whose deadline has passed; return how many."""
    due = db.session.scalars(
        sa.select(Challenge).where(
            Challenge.status == ChallengeStatus.PUBLISHED,
            Challenge.submission_deadline <= clock.now(),
        )
    ).all()
    return sum(close_if_due(challenge) for challenge in due)


def start_evaluation(challenge: Challenge, actor: User) -> None:
    """Move a closed challenge into evaluation."""
    if not challenge.can_manage(actor):
        raise ChallengeError(_l("Only staff of the agency can start the evaluation."))
    _transition(challenge, ChallengeStatus.IN_EVALUATION, actor)


def cancel_challenge(challenge: Challenge, actor: User, reason: str) -> None:
    """Cancel before the award, with a public reason; followers are told."""
    if not challenge.can_manage(actor):
        raise ChallengeError(_l("Only staff of the agency can cancel its challenges."))
    if not reason or len(reason.strip()) < 10:
        raise ChallengeError(_l("Explain the reason in at least 10 characters."), "reason")
    _transition(challenge, ChallengeStatus.CANCELLED, actor, reason.strip())
    _notify_followers(challenge, "challenge_cancelled", include_bidders=True)


def declare_void(challenge: Challenge, actor: User, reason: str) -> None:
    """Declare the challenge void (deserted): no proposal qualifies."""
    if not challenge.can_manage(actor):
        raise ChallengeError(_l("Only staff of the agency can declare the challenge void."))
    if not reason or len(reason.strip()) < 10:
        raise ChallengeError(_l("Explain the reason in at least 10 characters."), "reason")
    _transition(challenge, ChallengeStatus.VOID, actor, reason.strip())


def mark_awarded(challenge: Challenge, actor: User) -> None:
    """Record that the award is decided (called by the awards domain)."""
    _transition(challenge, ChallengeStatus.AWARDED, actor)


def publish_addendum(
    challenge: Challenge,
    author: User,
    text: str,
    *,
    changes_requirements: bool,
    new_submission_deadline: dt.datetime | None = None,
    document: tuple[str, bytes] | None = None,
    document_title: str | None = None,
) -> Addendum:
    """Amend a published challenge in the open; the deadline may be extended, never shortened."""
    if not challenge.can_manage(author):
        raise ChallengeError(_l("Only staff of the agency can amend its challenges."))
    close_if_due(challenge)
    if challenge.status is not ChallengeStatus.PUBLISHED:
        raise ChallengeError(_l("Only a challenge open for proposals can be amended."))
    previous = challenge.submission_deadline
    new = new_submission_deadline or previous
    if new < previous:
        raise ChallengeError(
            _l("The submission deadline can be extended, never shortened."),
            "new_submission_deadline",
        )
    if new != previous and not changes_requirements:
        raise ChallengeError(
            _l("Only an addendum that changes requirements may move the deadline."),
            "new_submission_deadline",
        )
    if new >= challenge.expected_award_date:
        challenge.expected_award_date = new + (challenge.expected_award_date - previous)
    number = 1 + (
        db.session.scalar(
            sa.select(sa.func.max(Addendum.number)).where(Addendum.challenge_id == challenge.id)
        )
        or 0
    )
    addendum = Addendum(
        challenge=challenge,
        number=number,
        text=text.strip(),
        changes_requirements=changes_requirements,
        previous_submission_deadline=previous,
        new_submission_deadline=new,
        author_id=author.id,
    )
    challenge.submission_deadline = new
    db.session.add(addendum)
    db.session.flush()
    if document:
        stored = store_file(*document, uploaded_by=author)
        db.session.add(
            ChallengeDocument(
                challenge=challenge,
                file_id=stored.id,
                addendum_id=addendum.id,
                title=document_title or stored.filename,
            )
        )
    db.session.flush()
    record(
        "challenge.amended",
        challenge,
        actor=author,
        agency_id=challenge.agency_id,
        challenge_id=challenge.id,
        addendum=number,
        changes_requirements=changes_requirements,
        previous_deadline=previous,
        new_deadline=new,
    )
    # Everyone preparing or holding a bid must hear of it, not only the followers.
    _notify_followers(challenge, "challenge_amended", include_bidders=True, addendum=addendum)
    return addendum


def attach_document(
    challenge: Challenge, author: User, title: str, filename: str, data: bytes
) -> ChallengeDocument:
    """Add a PDF to a draft (published challenges take documents through an addendum)."""
    if not challenge.can_edit(author):
        raise ChallengeError(
            _l("Documents are added to drafts; after publication, attach them to an addendum.")
        )
    stored = store_file(filename, data, uploaded_by=author)
    document = ChallengeDocument(challenge=challenge, file_id=stored.id, title=title.strip())
    db.session.add(document)
    db.session.flush()
    record(
        "challenge.document_added",
        challenge,
        actor=author,
        agency_id=challenge.agency_id,
        challenge_id=challenge.id,
        document=document.title,
        sha256=stored.sha256,
    )
    return document


def ask_question(challenge: Challenge, asker: User, text: str) -> Question:
    """A supplier asks a clarification question before the question deadline."""
    close_if_due(challenge)
    if not asker.is_supplier_member:
        raise ChallengeError(_l("Only registered suppliers can ask questions."))
    if not challenge.can_ask(asker):
        raise ChallengeError(_l("The period for questions has ended."), "text")
    text = text.strip()
    if len(text) < 10:
        raise ChallengeError(_l("Write the question in at least 10 characters."), "text")
    question = Question(challenge=challenge, asked_by_id=asker.id, text=text)
    db.session.add(question)
    follow(challenge, asker)
    db.session.flush()
    record(
        "question.asked",
        question,
        actor=asker,
        agency_id=challenge.agency_id,
        challenge_id=challenge.id,
    )
    return question


def answer_question(question: Question, author: User, answer: str) -> None:
    """The agency answers; question and answer become public and followers are told."""
    challenge = question.challenge
    if not challenge.can_manage(author):
        raise ChallengeError(_l("Only staff of the agency can answer its questions."))
    if question.is_answered:
        raise ChallengeError(_l("This question has already been answered."), "answer")
    answer = answer.strip()
    if len(answer) < 2:
        raise ChallengeError(_l("Write the answer."), "answer")
    question.answer = answer
    question.answered_at = clock.now()
    question.answered_by_id = author.id
    db.session.flush()
    record(
        "question.answered",
        question,
        actor=author,
        agency_id=challenge.agency_id,
        challenge_id=challenge.id,
    )
    _notify_followers(challenge, "question_answered", question=question)


def follow(challenge: Challenge, user: User) -> bool:
    """Subscribe a user to a challenge's answers and addenda; False if already following."""
    exists = db.session.get(ChallengeFollower, (challenge.id, user.id))
    if exists:
        return False
    db.session.add(ChallengeFollower(challenge_id=challenge.id, user_id=user.id))
    db.session.flush()
    # Outside the challenge's trail (no challenge_id): who follows is not the agency's to see.
    record("challenge.followed", challenge, actor=user)
    return True


def unfollow(challenge: Challenge, user: User) -> None:
    """Stop the emails about a challenge."""
    follower = db.session.get(ChallengeFollower, (challenge.id, user.id))
    if follower:
        db.session.delete(follower)
        db.session.flush()
        record("challenge.unfollowed", challenge, actor=user)


def is_following(challenge: Challenge, user) -> bool:
    """True if the user receives this challenge's updates."""
    if not (user and user.is_authenticated):
        return False
    return db.session.get(ChallengeFollower, (challenge.id, user.id)) is not None


def _notify_followers(
    challenge: Challenge, template: str, *, include_bidders: bool = False, **context
) -> None:
    followers = (
        sa.select(User.id)
        .join(ChallengeFollower, ChallengeFollower.user_id == User.id)
        .where(ChallengeFollower.challenge_id == challenge.id)
    )
    if include_bidders:  # members of companies with a draft or a submitted proposal
        from govtech.proposals.models import Proposal, ProposalStatus

        followers = followers.union(
            sa.select(User.id)
            .join(Proposal, Proposal.supplier_id == User.supplier_id)
            .where(
                Proposal.challenge_id == challenge.id,
                Proposal.status.in_([ProposalStatus.DRAFT, ProposalStatus.SUBMITTED]),
            )
        )
    recipients = db.session.scalars(
        sa.select(User).where(User.id.in_(followers), User.active.is_(True)).order_by(User.id)
    ).all()
    for user in recipients:
        notify(user.email, template, locale=user.locale, user=user, challenge=challenge, **context)
