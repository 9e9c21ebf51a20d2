"""The rules of evaluation: readiness and the rubric, and the errors every evaluation rule
raises. The panel and conflicts of interest live in `panel`, scorecards in `scorecards`."""

import datetime as dt
from collections.abc import Mapping

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from govtech.accounts.models import User
from govtech.audit.services import record
from govtech.challenges.models import Challenge
from govtech.challenges.services import (
    ChallengeError,
    on_publication,
    publication_check,
    publish_addendum,
)
from govtech.evaluation.checklist import checklist_items
from govtech.evaluation.models import (
    AppliesTo,
    ChecklistItem,
    Criterion,
    Readiness,
    ReadinessAnswer,
)
from govtech.extensions import db
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
    return rubrics([challenge.id]).get(challenge.id, [])


def rubrics(challenge_ids: list[int]) -> dict[int, list[Criterion]]:
    """Several challenges' criteria in order, with their checklist items, by challenge id
    (one statement, e.g. for a page of open data)."""
    from sqlalchemy.orm import joinedload

    found: dict[int, list[Criterion]] = {}
    for criterion in db.session.scalars(
        sa.select(Criterion)
        .options(joinedload(Criterion.item))
        .where(Criterion.challenge_id.in_(challenge_ids))
        .order_by(Criterion.challenge_id, Criterion.position)
    ):
        found.setdefault(criterion.challenge_id, []).append(criterion)
    return found


def set_rubric(challenge: Challenge, staff: User, rows: list[dict]) -> list[Criterion]:
    """Replace the draft's rubric: proposal-side items and up to five own criteria,
    each weighted, the weights adding up to 100. Frozen once the challenge is published."""
    if not challenge.can_edit(staff):
        raise EvaluationError(
            _l("The rubric is frozen at publication; changing it needs an addendum.")
        )
    criteria = _replace_criteria(challenge, rows)
    record(
        "challenge.rubric_set",
        challenge,
        actor=staff,
        agency_id=challenge.agency_id,
        challenge_id=challenge.id,
        weights={(c.item.code if c.item else c.title): c.weight for c in criteria},
    )
    return criteria


def amend_rubric(
    challenge: Challenge,
    staff: User,
    rows: list[dict],
    addendum_text: str,
    new_submission_deadline: dt.datetime | None,
) -> list[Criterion]:
    """Change a published rubric the only lawful way: in a public addendum that changes the
    requirements and extends the deadline, so every bidder can adapt (and resubmit)."""
    if not challenge.can_manage(staff):
        raise EvaluationError(_l("Only staff of the agency can amend the rubric."))
    if new_submission_deadline is None or new_submission_deadline <= challenge.submission_deadline:
        raise EvaluationError(
            _l("A new rubric needs a later deadline for proposals."), "new_submission_deadline"
        )
    addendum = publish_addendum(
        challenge,
        staff,
        addendum_text,
        changes_requirements=True,
        new_submission_deadline=new_submission_deadline,
    )
    criteria = _replace_criteria(challenge, rows)
    record(
        "challenge.rubric_amended",
        challenge,
        actor=staff,
        agency_id=challenge.agency_id,
        challenge_id=challenge.id,
        addendum=addendum.number,
        weights={c.label("en"): c.weight for c in criteria},
    )
    return criteria


def _replace_criteria(challenge: Challenge, rows: list[dict]) -> list[Criterion]:
    """Check the rows (items, titles, weights adding up to 100) and store them as the rubric.

    Safe before the deadline only: no scorecard refers to a criterion until the evaluation."""
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
