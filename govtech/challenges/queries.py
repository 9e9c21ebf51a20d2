"""Read-side queries of challenges: the public catalogue and the agency's lists.

Each list loads what it shows in a fixed number of queries, whatever the number of rows.
"""

from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from govtech import clock
from govtech.challenges.models import (
    PUBLIC_STATUSES,
    Challenge,
    ChallengeStatus,
    ProcedureType,
    Question,
    Sector,
)
from govtech.extensions import db

PAGE_SIZE = 20
MAX_PAGE = 1_000_000


@dataclass
class CatalogueFilters:
    """What a visitor filters the catalogue by; every field optional."""

    status: ChallengeStatus | None = None
    sector: Sector | None = None
    country: str | None = None
    procedure_type: ProcedureType | None = None
    currency: str | None = None
    budget_min: Decimal | None = None
    budget_max: Decimal | None = None
    text: str | None = None
    agency_id: int | None = None
    extra: dict = field(default_factory=dict)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def catalogue_statement(filters: CatalogueFilters) -> sa.Select:
    """The filtered, public challenges, open ones first by nearest deadline."""
    stmt = sa.select(Challenge).where(Challenge.status.in_(PUBLIC_STATUSES))
    if filters.status:
        stmt = stmt.where(Challenge.status == filters.status)
    if filters.sector:
        stmt = stmt.where(Challenge.sector == filters.sector)
    if filters.country:
        stmt = stmt.where(Challenge.country == filters.country)
    if filters.procedure_type:
        stmt = stmt.where(Challenge.procedure_type == filters.procedure_type)
    if filters.currency:
        stmt = stmt.where(Challenge.currency == filters.currency)
    if filters.budget_min is not None:
        stmt = stmt.where(Challenge.budget_amount >= filters.budget_min)
    if filters.budget_max is not None:
        stmt = stmt.where(Challenge.budget_amount <= filters.budget_max)
    if filters.agency_id:
        stmt = stmt.where(Challenge.agency_id == filters.agency_id)
    if filters.text:
        for word in filters.text.split()[:8]:
            pattern = f"%{_escape_like(word)}%"
            stmt = stmt.where(
                sa.or_(
                    Challenge.title.ilike(pattern, escape="\\"),
                    Challenge.problem_statement.ilike(pattern, escape="\\"),
                )
            )
    open_first = sa.case((Challenge.status == ChallengeStatus.PUBLISHED, 0), else_=1)
    # Open challenges: nearest deadline first; the rest: most recent deadline first.
    deadline_order = sa.case(
        (Challenge.status == ChallengeStatus.PUBLISHED, Challenge.submission_deadline),
        else_=None,
    )
    return stmt.order_by(
        open_first,
        deadline_order.asc(),
        Challenge.submission_deadline.desc(),
        Challenge.id.desc(),
    )


def catalogue_page(filters: CatalogueFilters, page: int = 1, per_page: int = PAGE_SIZE):
    """One page of the catalogue with its agencies loaded, and the total count."""
    # Far pages are empty anyway; the cap keeps OFFSET within the database's integers.
    page = min(max(1, page), MAX_PAGE)
    stmt = catalogue_statement(filters)
    total = db.session.scalar(
        sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery())
    )
    rows = db.session.scalars(
        stmt.options(joinedload(Challenge.agency)).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return rows, total


def open_challenges(limit: int = 6) -> list[Challenge]:
    """Challenges accepting proposals now, nearest deadline first."""
    return db.session.scalars(
        sa.select(Challenge)
        .options(joinedload(Challenge.agency))
        .where(
            Challenge.status == ChallengeStatus.PUBLISHED,
            Challenge.submission_deadline > clock.now(),
        )
        .order_by(Challenge.submission_deadline)
        .limit(limit)
    ).all()


def agency_challenges(agency_id: int) -> list[Challenge]:
    """All of an agency's challenges (drafts included), newest first."""
    return db.session.scalars(
        sa.select(Challenge)
        .where(Challenge.agency_id == agency_id)
        .order_by(Challenge.created_at.desc())
    ).all()


def unanswered_question_counts(challenge_ids: list[int]) -> dict[int, int]:
    """Unanswered questions per challenge, in one query."""
    if not challenge_ids:
        return {}
    rows = db.session.execute(
        sa.select(Question.challenge_id, sa.func.count(Question.id))
        .where(Question.challenge_id.in_(challenge_ids), Question.answered_at.is_(None))
        .group_by(Question.challenge_id)
    ).all()
    return dict(rows)
