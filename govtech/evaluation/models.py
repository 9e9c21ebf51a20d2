"""The checklist of recommendations (loaded from seeds/checklist.json)."""

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from govtech.database import enum_column
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
