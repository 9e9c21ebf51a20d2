"""Challenges, their documents, addenda and clarification questions."""

import datetime as dt
import enum
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govtech import clock
from govtech.accounts.models import Agency, SizeBand, User
from govtech.database import Money, UTCDateTime, enum_column
from govtech.extensions import db
from govtech.files import StoredFile


class ChallengeStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    CLOSED = "closed"
    IN_EVALUATION = "in_evaluation"
    AWARDED = "awarded"
    CANCELLED = "cancelled"
    VOID = "void"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    ChallengeStatus.DRAFT: _l("Draft"),
    ChallengeStatus.PUBLISHED: _l("Open for proposals"),
    ChallengeStatus.CLOSED: _l("Closed"),
    ChallengeStatus.IN_EVALUATION: _l("In evaluation"),
    ChallengeStatus.AWARDED: _l("Awarded"),
    ChallengeStatus.CANCELLED: _l("Cancelled"),
    ChallengeStatus.VOID: _l("Void (no award)"),
}

PUBLIC_STATUSES = tuple(s for s in ChallengeStatus if s is not ChallengeStatus.DRAFT)


class Sector(enum.StrEnum):
    HEALTH = "health"
    EDUCATION = "education"
    MOBILITY = "mobility"
    JUSTICE = "justice"
    ENVIRONMENT = "environment"
    SOCIAL_PROTECTION = "social_protection"
    TAX = "tax"
    IDENTITY = "identity"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(SECTOR_LABELS[self])


SECTOR_LABELS = {
    Sector.HEALTH: _l("Health"),
    Sector.EDUCATION: _l("Education"),
    Sector.MOBILITY: _l("Mobility and transport"),
    Sector.JUSTICE: _l("Justice and security"),
    Sector.ENVIRONMENT: _l("Environment and climate"),
    Sector.SOCIAL_PROTECTION: _l("Social protection"),
    Sector.TAX: _l("Tax and public finance"),
    Sector.IDENTITY: _l("Digital identity"),
    Sector.OTHER: _l("Other"),
}


class ProcedureType(enum.StrEnum):
    INNOVATION_CHALLENGE = "innovation_challenge"
    PRE_COMMERCIAL = "pre_commercial_procurement"
    PILOT_WITH_PURCHASE = "pilot_with_purchase_option"

    @property
    def label(self) -> str:
        return str(PROCEDURE_LABELS[self])


PROCEDURE_LABELS = {
    ProcedureType.INNOVATION_CHALLENGE: _l("Innovation challenge"),
    ProcedureType.PRE_COMMERCIAL: _l("Pre-commercial procurement"),
    ProcedureType.PILOT_WITH_PURCHASE: _l("Pilot with purchase option"),
}


class Challenge(db.Model):
    """A problem statement an agency publishes to buy an innovative solution."""

    __tablename__ = "challenges"
    __table_args__ = (
        sa.CheckConstraint("budget_amount > 0", name="budget_positive"),
        sa.CheckConstraint("pilot_duration_weeks BETWEEN 1 AND 260", name="pilot_weeks_range"),
        sa.CheckConstraint(
            "question_deadline < submission_deadline", name="questions_before_submissions"
        ),
        sa.CheckConstraint(
            "submission_deadline < expected_award_date", name="award_after_submissions"
        ),
        sa.Index("ix_challenges_status_deadline", "status", "submission_deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(40), unique=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    status: Mapped[ChallengeStatus] = mapped_column(
        enum_column(ChallengeStatus, "status"), default=ChallengeStatus.DRAFT
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    problem_statement: Mapped[str] = mapped_column(sa.Text)
    current_situation: Mapped[str] = mapped_column(sa.Text)
    expected_results: Mapped[str] = mapped_column(sa.Text)
    sector: Mapped[Sector] = mapped_column(enum_column(Sector, "sector"), index=True)
    country: Mapped[str] = mapped_column(sa.String(2), index=True)
    region: Mapped[str | None] = mapped_column(sa.String(120))
    budget_amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(sa.String(3))
    procedure_type: Mapped[ProcedureType] = mapped_column(enum_column(ProcedureType, "procedure"))
    eligible_size_bands: Mapped[list[str]] = mapped_column(sa.JSON)
    eligible_countries: Mapped[list[str]] = mapped_column(sa.JSON)  # empty: any country
    min_company_age_years: Mapped[int | None] = mapped_column(sa.Integer)
    max_company_age_years: Mapped[int | None] = mapped_column(sa.Integer)
    question_deadline: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    submission_deadline: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expected_award_date: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    pilot_duration_weeks: Mapped[int] = mapped_column(sa.Integer)
    contact_name: Mapped[str] = mapped_column(sa.String(200))
    contact_email: Mapped[str] = mapped_column(sa.String(320))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    status_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    # Evaluators see proposals without the supplier's or team's names (on by default).
    blind_review: Mapped[bool] = mapped_column(sa.Boolean, default=True, server_default=sa.true())
    # Award rules published with the call.
    max_winners: Mapped[int] = mapped_column(sa.Integer, default=1, server_default="1")
    minimum_score: Mapped[int] = mapped_column(sa.Integer, default=50, server_default="50")
    standstill_days: Mapped[int] = mapped_column(sa.Integer, default=10, server_default="10")

    agency: Mapped[Agency] = relationship()
    documents: Mapped[list["ChallengeDocument"]] = relationship(
        back_populates="challenge", order_by="ChallengeDocument.id", cascade="all, delete-orphan"
    )
    addenda: Mapped[list["Addendum"]] = relationship(
        back_populates="challenge", order_by="Addendum.number", cascade="all, delete-orphan"
    )
    questions: Mapped[list["Question"]] = relationship(
        back_populates="challenge", order_by="Question.asked_at", cascade="all, delete-orphan"
    )

    # --- permissions -------------------------------------------------------------------
    def can_view(self, user) -> bool:
        """Drafts are seen only by their agency's staff; everything else is public."""
        if self.status is not ChallengeStatus.DRAFT:
            return True
        return bool(user and user.is_authenticated and user.works_for(self.agency_id))

    def can_manage(self, user) -> bool:
        """Staff of the owning agency manage the challenge (edit drafts, answer, amend)."""
        return bool(user and user.is_authenticated and user.works_for(self.agency_id))

    def can_edit(self, user) -> bool:
        return self.status is ChallengeStatus.DRAFT and self.can_manage(user)

    def can_ask(self, user) -> bool:
        """Signed-in suppliers may ask while the question window is open."""
        return bool(
            user
            and user.is_authenticated
            and user.is_supplier_member
            and self.status is ChallengeStatus.PUBLISHED
            and clock.now() < self.question_deadline
        )

    # --- facts -------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self.status is ChallengeStatus.PUBLISHED and clock.now() < self.submission_deadline

    @property
    def questions_open(self) -> bool:
        return self.status is ChallengeStatus.PUBLISHED and clock.now() < self.question_deadline

    @property
    def time_zone(self) -> str:
        return self.agency.time_zone

    def allows_size_band(self, band: SizeBand) -> bool:
        return band.value in (self.eligible_size_bands or [])

    def __repr__(self) -> str:
        return f"<Challenge {self.reference} {self.status}>"


class ChallengeDocument(db.Model):
    """A PDF published with the challenge (terms, data descriptions, annexes)."""

    __tablename__ = "challenge_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id"), index=True)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_files.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    addendum_id: Mapped[int | None] = mapped_column(sa.ForeignKey("addenda.id"))
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)

    challenge: Mapped[Challenge] = relationship(back_populates="documents")
    file: Mapped[StoredFile] = relationship()


class Addendum(db.Model):
    """A visible, dated amendment to a published challenge."""

    __tablename__ = "addenda"
    __table_args__ = (sa.UniqueConstraint("challenge_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id"), index=True)
    number: Mapped[int] = mapped_column(sa.Integer)
    text: Mapped[str] = mapped_column(sa.Text)
    changes_requirements: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    previous_submission_deadline: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    new_submission_deadline: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))

    challenge: Mapped[Challenge] = relationship(back_populates="addenda")

    @property
    def extends_deadline(self) -> bool:
        return self.new_submission_deadline > self.previous_submission_deadline


class Question(db.Model):
    """A clarification question; published with its answer, without the asker's identity."""

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id"), index=True)
    asked_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(sa.Text)
    asked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    answer: Mapped[str | None] = mapped_column(sa.Text)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    challenge: Mapped[Challenge] = relationship(back_populates="questions")

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    def can_see(self, user) -> bool:
        """Answered questions are public; unanswered ones only for the asker and the agency."""
        if self.is_answered:
            return True
        if not (user and user.is_authenticated):
            return False
        return user.id == self.asked_by_id or self.challenge.can_manage(user)


class ChallengeFollower(db.Model):
    """A user who wants an email when an answer or addendum is published."""

    __tablename__ = "challenge_followers"

    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    since: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)

    user: Mapped[User] = relationship()
