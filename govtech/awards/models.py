"""Award decisions, award notices, appeals and pilot milestones."""

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from govtech import clock
from govtech.challenges.models import Challenge
from govtech.database import Money, UTCDateTime, enum_column
from govtech.extensions import db
from govtech.proposals.models import Proposal


class DecisionKind(enum.StrEnum):
    AWARD = "award"
    VOID = "void"


class DecisionStatus(enum.StrEnum):
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class AwardDecision(db.Model):
    """The agency's decision on a challenge: proposed by one person, confirmed by another."""

    __tablename__ = "award_decisions"
    __table_args__ = (
        sa.CheckConstraint(
            "confirmed_by_id IS NULL OR confirmed_by_id != proposed_by_id", name="four_eyes"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id"), index=True)
    kind: Mapped[DecisionKind] = mapped_column(enum_column(DecisionKind, "decision_kind"))
    status: Mapped[DecisionStatus] = mapped_column(
        enum_column(DecisionStatus, "decision_status"), default=DecisionStatus.PROPOSED
    )
    justification: Mapped[str | None] = mapped_column(sa.Text)
    proposed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    proposed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    standstill_ends_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    challenge: Mapped[Challenge] = relationship()
    winners: Mapped[list["AwardedProposal"]] = relationship(
        back_populates="decision", order_by="AwardedProposal.rank", cascade="all, delete-orphan"
    )
    appeals: Mapped[list["Appeal"]] = relationship(
        back_populates="decision", order_by="Appeal.lodged_at"
    )

    @property
    def in_standstill(self) -> bool:
        return (
            self.status is DecisionStatus.CONFIRMED
            and self.standstill_ends_at is not None
            and clock.now() < self.standstill_ends_at
        )

    @property
    def is_final(self) -> bool:
        """Final once the standstill has ended with no appeal left unanswered."""
        return (
            self.status is DecisionStatus.CONFIRMED
            and self.standstill_ends_at is not None
            and clock.now() >= self.standstill_ends_at
            and all(a.answered_at is not None for a in self.appeals)
        )


class AwardedProposal(db.Model):
    """A winning proposal with its rank, weighted score and awarded amount."""

    __tablename__ = "awarded_proposals"
    __table_args__ = (sa.UniqueConstraint("decision_id", "proposal_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(sa.ForeignKey("award_decisions.id"), index=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"), index=True)
    rank: Mapped[int] = mapped_column(sa.Integer)
    score: Mapped[Decimal] = mapped_column(sa.Numeric(5, 1))
    amount: Mapped[Decimal] = mapped_column(Money)

    decision: Mapped[AwardDecision] = relationship(back_populates="winners")
    proposal: Mapped[Proposal] = relationship()


class AwardNotice(db.Model):
    """The PDF award notice: stored once, never regenerated; a correction supersedes it."""

    __tablename__ = "award_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(40), unique=True)
    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id"), index=True)
    decision_id: Mapped[int] = mapped_column(sa.ForeignKey("award_decisions.id"), index=True)
    language: Mapped[str] = mapped_column(sa.String(8))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    record: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    record_sha256: Mapped[str] = mapped_column(sa.String(64))
    pdf: Mapped[bytes] = deferred(mapped_column(sa.LargeBinary, nullable=False))
    pdf_sha256: Mapped[str] = mapped_column(sa.String(64), unique=True)
    supersedes_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("award_notices.id"), unique=True
    )
    correction_reason: Mapped[str | None] = mapped_column(sa.Text)

    challenge: Mapped[Challenge] = relationship()
    decision: Mapped[AwardDecision] = relationship()


class Appeal(db.Model):
    """A bidder's appeal during the standstill; the agency answers it in public."""

    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(sa.ForeignKey("award_decisions.id"), index=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"))
    lodged_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(sa.Text)
    lodged_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    answer: Mapped[str | None] = mapped_column(sa.Text)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    decision: Mapped[AwardDecision] = relationship(back_populates="appeals")


class MilestoneStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


MILESTONE_STATUS_LABELS = {
    MilestoneStatus.PENDING: _l("Pending"),
    MilestoneStatus.DELIVERED: _l("Delivered, awaiting acceptance"),
    MilestoneStatus.ACCEPTED: _l("Accepted, payment released"),
    MilestoneStatus.REJECTED: _l("Rejected"),
}


class PilotMilestone(db.Model):
    """A milestone of the winning proposal's pilot plan, tracked after the award."""

    __tablename__ = "pilot_milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    awarded_id: Mapped[int] = mapped_column(sa.ForeignKey("awarded_proposals.id"), index=True)
    position: Mapped[int] = mapped_column(sa.Integer)
    name: Mapped[str] = mapped_column(sa.String(200))
    week: Mapped[int] = mapped_column(sa.Integer)
    deliverable: Mapped[str] = mapped_column(sa.Text)
    acceptance_test: Mapped[str] = mapped_column(sa.Text)
    payment_share: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    payment_amount: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[MilestoneStatus] = mapped_column(
        enum_column(MilestoneStatus, "milestone_status"), default=MilestoneStatus.PENDING
    )
    evidence: Mapped[str | None] = mapped_column(sa.Text)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    awarded: Mapped[AwardedProposal] = relationship()

    @property
    def label(self) -> str:
        return str(MILESTONE_STATUS_LABELS[self.status])
