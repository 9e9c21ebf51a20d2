"""Demo challenges in every state, from `seeds/demo.json`."""

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from govtech import clock
from govtech.accounts.models import Agency, User
from govtech.challenges.models import Challenge, ChallengeStatus, ProcedureType, Sector
from govtech.challenges.services import (
    answer_question,
    ask_question,
    cancel_challenge,
    close_if_due,
    create_draft,
    publish_challenge,
    start_evaluation,
)
from govtech.extensions import db


def _user(email: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == email))


def create_demo_challenge(spec: dict) -> Challenge | None:
    """Create one demo challenge as a draft; None if it exists already."""
    if db.session.scalar(sa.select(Challenge.id).where(Challenge.title == spec["title"])):
        return None
    agency = db.session.scalar(sa.select(Agency).where(Agency.code == spec["agency"]))
    author = _user(spec["author"])
    now = clock.now().replace(second=0, microsecond=0)
    days = spec["days"]
    challenge = create_draft(
        agency,
        author,
        {
            "title": spec["title"],
            "problem_statement": spec["problem_statement"],
            "current_situation": spec["current_situation"],
            "expected_results": spec["expected_results"],
            "sector": Sector(spec["sector"]),
            "country": spec["country"],
            "region": spec.get("region"),
            "budget_amount": Decimal(spec["budget"]),
            "currency": spec["currency"],
            "procedure_type": ProcedureType(spec["procedure"]),
            "eligible_size_bands": spec["size_bands"],
            "eligible_countries": spec["countries"],
            "min_company_age_years": spec.get("min_age"),
            "max_company_age_years": spec.get("max_age"),
            "question_deadline": now + dt.timedelta(days=days["question"]),
            "submission_deadline": now + dt.timedelta(days=days["submission"]),
            "expected_award_date": now + dt.timedelta(days=days["award"]),
            "pilot_duration_weeks": spec["pilot_weeks"],
            "contact_name": author.full_name,
            "contact_email": author.email,
        },
    )
    return challenge


def publish_demo_challenge(challenge: Challenge, spec: dict) -> None:
    """Publish a prepared demo challenge and ask and answer its questions."""
    author = _user(spec["author"])
    problems = publish_challenge(challenge, author)
    if problems:
        raise RuntimeError(f"demo challenge {spec['key']}: {problems[0].message}")
    for item in spec.get("questions", []):
        question = ask_question(challenge, _user(item["asker"]), item["text"])
        if item.get("answer"):
            answer_question(question, author, item["answer"])


def advance_demo_challenge(challenge: Challenge, spec: dict) -> None:
    """Move a demo challenge through time to the state its spec asks for."""
    author = _user(spec["author"])
    if spec.get("backdate_days"):
        _backdate(challenge, dt.timedelta(days=spec["backdate_days"]))
        close_if_due(challenge)
    if spec["state"] in ("in_evaluation", "awarded"):
        start_evaluation(challenge, author)
    elif spec["state"] == "cancelled":
        cancel_challenge(challenge, author, spec["reason"])
    # Awards and void declarations come later, from the awards domain.
    expected = spec["state"]
    if spec["state"] == "awarded":
        expected = ChallengeStatus.IN_EVALUATION
    elif spec["state"] == "void":
        expected = ChallengeStatus.CLOSED
    if challenge.status is not ChallengeStatus(expected):
        raise RuntimeError(f"demo challenge {spec['key']} ended as {challenge.status}")


def _backdate(challenge: Challenge, delta: dt.timedelta) -> None:
    """Demo only: move a challenge's whole timeline into the past, as if it ran earlier."""
    for name in (
        "published_at",
        "question_deadline",
        "submission_deadline",
        "expected_award_date",
        "created_at",
    ):
        setattr(challenge, name, getattr(challenge, name) - delta)
    for question in challenge.questions:
        question.asked_at -= delta
        if question.answered_at:
            question.answered_at -= delta
    from govtech.proposals.models import Proposal  # noqa: PLC0415 (demo only)

    for proposal in db.session.scalars(
        sa.select(Proposal).where(Proposal.challenge_id == challenge.id)
    ):
        proposal.created_at -= delta
        proposal.updated_at -= delta
        if proposal.submitted_at:
            proposal.submitted_at -= delta
    db.session.flush()
