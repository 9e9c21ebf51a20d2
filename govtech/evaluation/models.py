"""The checklist, readiness, rubrics, evaluators, conflicts of interest and scorecards."""

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govtech import clock
from govtech.accounts.models import User
from govtech.database import UTCDateTime, enum_column
from govtech.extensions import db


class AppliesTo(enum.StrEnum):
    CHALLENGE = "challenge"  # judges the agency's design of the call
    PROPOSAL = "proposal"  # judges the supplier's answer


class ChecklistItem(db.Model):
    """One of the 30 recommendations, with its wording in each language."""

    __tablename__ = "checklist_items"
    __table_args__ = (
        sa.CheckConstraint("line_of_action BETWEEN 1 AND 3", name="line_of_action_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(8), unique=True)
    line_of_action: Mapped[int] = mapped_column(sa.Integer, index=True)
    applies_to: Mapped[AppliesTo] = mapped_column(enum_column(AppliesTo, "applies_to"))
    position: Mapped[int] = mapped_column(sa.Integer)
    # {"en": ..., "es": ..., "pt_BR": ...}
    title: Mapped[dict[str, str]] = mapped_column(sa.JSON)
    description: Mapped[dict[str, str]] = mapped_column(sa.JSON)
    looks_for: Mapped[dict[str, str]] = mapped_column(sa.JSON)

    def text(self, attribute: str, locale: str) -> str:
        """The wording in `locale`, falling back to Spanish, then English."""
        values = getattr(self, attribute)
        return values.get(locale) or values.get("es") or values.get("en", "")


# --- challenge readiness (agency self-assessment) -------------------------------------
class Readiness(enum.StrEnum):
    YES = "yes"
    PARTLY = "partly"
    NO = "no"


class ReadinessAnswer(db.Model):
    """The agency's self-assessment of its challenge on one challenge-side checklist item."""

    __tablename__ = "readiness_answers"
    __table_args__ = (sa.UniqueConstraint("challenge_id", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("checklist_items.id"))
    answer: Mapped[Readiness] = mapped_column(enum_column(Readiness, "readiness"))
    note: Mapped[str | None] = mapped_column(sa.Text)

    item: Mapped[ChecklistItem] = relationship()


# --- rubric ----------------------------------------------------------------------------
class Criterion(db.Model):
    """One weighted line of a challenge's rubric: a proposal-side item or the agency's own."""

    __tablename__ = "criteria"
    __table_args__ = (
        sa.CheckConstraint("weight BETWEEN 1 AND 100", name="weight_range"),
        sa.CheckConstraint(
            "(item_id IS NOT NULL) OR (title IS NOT NULL)", name="item_or_own_title"
        ),
        sa.UniqueConstraint("challenge_id", "item_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("checklist_items.id"))
    title: Mapped[str | None] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    weight: Mapped[int] = mapped_column(sa.Integer)
    position: Mapped[int] = mapped_column(sa.Integer)

    item: Mapped[ChecklistItem | None] = relationship()

    @property
    def is_own(self) -> bool:
        return self.item_id is None

    def label(self, language: str) -> str:
        if self.item is not None:
            return f"{self.item.code} {self.item.text('title', language)}"
        return self.title or ""


# --- evaluators ------------------------------------------------------------------------
class EvaluatorAssignment(db.Model):
    """An evaluator invited to a challenge's panel (by email; linked once they accept)."""

    __tablename__ = "evaluator_assignments"
    __table_args__ = (sa.UniqueConstraint("challenge_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id"), index=True)
    email: Mapped[str] = mapped_column(sa.String(320))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    role_on_panel: Mapped[str] = mapped_column(sa.String(120))
    invited_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    invited_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])


class Affiliation(db.Model):
    """An organisation an evaluator works or worked for, used to flag likely conflicts."""

    __tablename__ = "affiliations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    organisation: Mapped[str] = mapped_column(sa.String(200))
    country: Mapped[str] = mapped_column(sa.String(2))
    tax_id: Mapped[str] = mapped_column(sa.String(32))
    until_year: Mapped[int | None] = mapped_column(sa.Integer)


class ConflictKind(enum.StrEnum):
    FAMILY = "family"
    FINANCIAL = "financial"
    EMPLOYMENT = "employment"
    OTHER = "other"


class ConflictDeclaration(db.Model):
    """A person's declaration, for one bidder of a challenge, of whether they have a conflict.

    `flagged` is set by the platform when an affiliation matches the bidder; the agency must
    resolve the flag before the evaluator can open that proposal.
    """

    __tablename__ = "conflict_declarations"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "proposal_id"),
        sa.CheckConstraint("(NOT has_conflict) OR (kind IS NOT NULL)", name="conflict_has_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"), index=True)
    has_conflict: Mapped[bool] = mapped_column(sa.Boolean)
    kind: Mapped[ConflictKind | None] = mapped_column(enum_column(ConflictKind, "conflict_kind"))
    note: Mapped[str | None] = mapped_column(sa.Text)
    declared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    flagged: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    flag_resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    flag_resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    flag_resolution: Mapped[str | None] = mapped_column(sa.Text)

    @property
    def blocks(self) -> bool:
        """True while this declaration keeps the person away from the proposal."""
        return self.has_conflict or (self.flagged and self.flag_resolved_at is None)


# --- scoring ---------------------------------------------------------------------------
class ScorecardStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Scorecard(db.Model):
    """One evaluator's scores for one proposal; `version` guards concurrent saves."""

    __tablename__ = "scorecards"
    __table_args__ = (sa.UniqueConstraint("assignment_id", "proposal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("evaluator_assignments.id"))
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"), index=True)
    status: Mapped[ScorecardStatus] = mapped_column(
        enum_column(ScorecardStatus, "scorecard_status"), default=ScorecardStatus.DRAFT
    )
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    assignment: Mapped[EvaluatorAssignment] = relationship()
    scores: Mapped[list["Score"]] = relationship(
        back_populates="scorecard", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}


class Score(db.Model):
    """A 0–5 score on one criterion with its written justification."""

    __tablename__ = "scores"
    __table_args__ = (
        sa.UniqueConstraint("scorecard_id", "criterion_id"),
        sa.CheckConstraint("score BETWEEN 0 AND 5", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(sa.ForeignKey("scorecards.id"), index=True)
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("criteria.id"), index=True)
    score: Mapped[int | None] = mapped_column(sa.Integer)
    justification: Mapped[str | None] = mapped_column(sa.Text)

    scorecard: Mapped[Scorecard] = relationship(back_populates="scores")


class ConsensusNote(db.Model):
    """The panel's consensus on a criterion where evaluators diverged by 3 points or more."""

    __tablename__ = "consensus_notes"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"), index=True)
    criterion_id: Mapped[int] = mapped_column(sa.ForeignKey("criteria.id"))
    note: Mapped[str] = mapped_column(sa.Text)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)


class MissingScorecardReason(db.Model):
    """The agency's recorded reason why one evaluator will not score one proposal."""

    __tablename__ = "missing_scorecard_reasons"
    __table_args__ = (sa.UniqueConstraint("assignment_id", "proposal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("evaluator_assignments.id"))
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
