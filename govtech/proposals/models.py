"""Proposals, their attachments, frozen submissions and eligibility screening."""

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govtech import clock
from govtech.accounts.models import Supplier
from govtech.challenges.models import Challenge
from govtech.database import Money, UTCDateTime, enum_column
from govtech.extensions import db
from govtech.files import StoredFile

MAX_ATTACHMENTS = 5


class ProposalStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"

    @property
    def label(self) -> str:
        return str(PROPOSAL_STATUS_LABELS[self])


PROPOSAL_STATUS_LABELS = {
    ProposalStatus.DRAFT: _l("Draft"),
    ProposalStatus.SUBMITTED: _l("Submitted"),
    ProposalStatus.WITHDRAWN: _l("Withdrawn"),
}


class Maturity(enum.StrEnum):
    IDEA = "idea"
    PROTOTYPE = "prototype"
    PRODUCT = "product_in_use"


MATURITY_LABELS = {
    Maturity.IDEA: _l("Idea or concept"),
    Maturity.PROTOTYPE: _l("Working prototype"),
    Maturity.PRODUCT: _l("Product in use"),
}


class Screening(enum.StrEnum):
    PENDING = "pending"
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"


SCREENING_LABELS = {
    Screening.PENDING: _l("Not screened yet"),
    Screening.ELIGIBLE: _l("Eligible"),
    Screening.INELIGIBLE: _l("Ineligible"),
}


class IneligibilityReason(enum.StrEnum):
    INCOMPLETE = "incomplete"
    SUPPLIER_NOT_ELIGIBLE = "supplier_not_eligible"
    OUT_OF_SCOPE = "out_of_scope"
    PRICE_ABOVE_BUDGET = "price_above_budget"
    MISSING_DOCUMENTS = "missing_documents"
    OTHER = "other"


INELIGIBILITY_LABELS = {
    IneligibilityReason.INCOMPLETE: _l("The proposal is incomplete"),
    IneligibilityReason.SUPPLIER_NOT_ELIGIBLE: _l(
        "The company does not meet the eligibility rules"
    ),
    IneligibilityReason.OUT_OF_SCOPE: _l("The proposal does not address the stated problem"),
    IneligibilityReason.PRICE_ABOVE_BUDGET: _l("The price exceeds the budget"),
    IneligibilityReason.MISSING_DOCUMENTS: _l("Required documents are missing or unreadable"),
    IneligibilityReason.OTHER: _l("Other reason (explained below)"),
}


class Proposal(db.Model):
    """A supplier's proposal to a challenge: one per supplier and challenge."""

    __tablename__ = "proposals"
    __table_args__ = (
        sa.UniqueConstraint("challenge_id", "supplier_id", name="uq_proposals_one_per_supplier"),
        sa.CheckConstraint("price_amount IS NULL OR price_amount > 0", name="price_positive"),
        sa.CheckConstraint(
            "(screening != 'ineligible') OR (screening_reason IS NOT NULL)",
            name="ineligible_has_reason",
        ),
        sa.Index("ix_proposals_challenge_status", "challenge_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(48), unique=True)
    challenge_id: Mapped[int] = mapped_column(sa.ForeignKey("challenges.id"))
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("suppliers.id"), index=True)
    status: Mapped[ProposalStatus] = mapped_column(
        enum_column(ProposalStatus, "proposal_status"), default=ProposalStatus.DRAFT
    )
    summary: Mapped[str | None] = mapped_column(sa.Text)
    solution: Mapped[str | None] = mapped_column(sa.Text)
    maturity: Mapped[Maturity | None] = mapped_column(enum_column(Maturity, "maturity"))
    maturity_evidence: Mapped[str | None] = mapped_column(sa.Text)
    # [{"name", "week", "deliverable", "acceptance_test", "payment_share"}]
    milestones: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    # [{"name", "baseline", "target"}]
    kpis: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    # [{"name", "role", "experience"}]
    team: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    price_amount: Mapped[Decimal | None] = mapped_column(Money)
    data_protection: Mapped[str | None] = mapped_column(sa.Text)
    interoperability: Mapped[str | None] = mapped_column(sa.Text)
    ip_position: Mapped[str | None] = mapped_column(sa.Text)
    scale_up_plan: Mapped[str | None] = mapped_column(sa.Text)
    scale_up_cost: Mapped[Decimal | None] = mapped_column(Money)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    submission_count: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    screening: Mapped[Screening] = mapped_column(
        enum_column(Screening, "screening"), default=Screening.PENDING, server_default="pending"
    )
    screening_reason: Mapped[IneligibilityReason | None] = mapped_column(
        enum_column(IneligibilityReason, "ineligibility_reason")
    )
    screening_note: Mapped[str | None] = mapped_column(sa.Text)
    screened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    screened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    challenge: Mapped[Challenge] = relationship()
    supplier: Mapped[Supplier] = relationship()
    attachments: Mapped[list["ProposalAttachment"]] = relationship(
        back_populates="proposal", order_by="ProposalAttachment.id", cascade="all, delete-orphan"
    )
    submissions: Mapped[list["ProposalSubmission"]] = relationship(
        back_populates="proposal", order_by="ProposalSubmission.version"
    )

    # --- permissions -------------------------------------------------------------------
    def is_member(self, user) -> bool:
        return bool(user and user.is_authenticated and user.represents(self.supplier_id))

    def is_opened(self) -> bool:
        """Sealed until the challenge has closed by the clock."""
        return self.challenge.closed_at is not None

    def can_view(self, user) -> bool:
        """The supplier's members always; the agency's staff only once the challenge closed,
        and only proposals that were submitted."""
        if self.is_member(user):
            return True
        return bool(
            user
            and user.is_authenticated
            and user.works_for(self.challenge.agency_id)
            and self.is_opened()
            and self.status is ProposalStatus.SUBMITTED
        )

    def can_edit(self, user) -> bool:
        return (
            self.is_member(user)
            and self.status in (ProposalStatus.DRAFT, ProposalStatus.WITHDRAWN)
            and self.challenge.is_open
        )

    def can_screen(self, user) -> bool:
        return bool(
            user
            and user.is_authenticated
            and user.works_for(self.challenge.agency_id)
            and self.is_opened()
            and self.status is ProposalStatus.SUBMITTED
        )

    @property
    def latest_submission(self) -> "ProposalSubmission | None":
        return self.submissions[-1] if self.submissions else None

    @property
    def milestone_share_total(self) -> Decimal:
        return sum(
            (Decimal(str(m.get("payment_share") or 0)) for m in self.milestones or []), Decimal(0)
        )

    def __repr__(self) -> str:
        return f"<Proposal {self.reference} {self.status}>"


class ProposalAttachment(db.Model):
    """A PDF attached to a proposal draft (frozen into each submission by digest)."""

    __tablename__ = "proposal_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"), index=True)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_files.id"))
    title: Mapped[str] = mapped_column(sa.String(200))

    proposal: Mapped[Proposal] = relationship(back_populates="attachments")
    file: Mapped[StoredFile] = relationship()


class ProposalSubmission(db.Model):
    """An immutable snapshot of a submitted proposal with its SHA-256 digest.

    Rows are only ever inserted; on PostgreSQL a trigger refuses changes to the snapshot.
    """

    __tablename__ = "proposal_submissions"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(sa.ForeignKey("proposals.id"), index=True)
    version: Mapped[int] = mapped_column(sa.Integer)
    receipt: Mapped[str] = mapped_column(sa.String(64), unique=True)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    snapshot: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    digest: Mapped[str] = mapped_column(sa.String(64))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    proposal: Mapped[Proposal] = relationship(back_populates="submissions")

    @property
    def is_current(self) -> bool:
        return self.withdrawn_at is None and self.proposal.status is ProposalStatus.SUBMITTED
