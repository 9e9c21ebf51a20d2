"""Users and the organisations they belong to: agencies and suppliers."""

import datetime as dt
import enum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from govtech import clock
from govtech.database import UTCDateTime, enum_column
from govtech.extensions import db


class Role(enum.StrEnum):
    ADMIN = "admin"
    AGENCY_STAFF = "agency_staff"
    EVALUATOR = "evaluator"
    SUPPLIER_MEMBER = "supplier_member"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.ADMIN: _l("Platform administrator"),
    Role.AGENCY_STAFF: _l("Agency staff"),
    Role.EVALUATOR: _l("Evaluator"),
    Role.SUPPLIER_MEMBER: _l("Supplier member"),
}


class GovernmentLevel(enum.StrEnum):
    NATIONAL = "national"
    SUBNATIONAL = "subnational"


GOVERNMENT_LEVEL_LABELS = {
    GovernmentLevel.NATIONAL: _l("National"),
    GovernmentLevel.SUBNATIONAL: _l("Subnational (state, province or city)"),
}


class SizeBand(enum.StrEnum):
    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"

    @property
    def is_sme(self) -> bool:
        return self is not SizeBand.LARGE


SIZE_BAND_LABELS = {
    SizeBand.MICRO: _l("Micro (up to 10 people)"),
    SizeBand.SMALL: _l("Small (11 to 50 people)"),
    SizeBand.MEDIUM: _l("Medium (51 to 250 people)"),
    SizeBand.LARGE: _l("Large (more than 250 people)"),
}


class Agency(db.Model):
    """A public body that publishes challenges; it must be verified by an admin first."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    country: Mapped[str] = mapped_column(sa.String(2))
    level: Mapped[GovernmentLevel] = mapped_column(enum_column(GovernmentLevel, "level"))
    time_zone: Mapped[str] = mapped_column(sa.String(64))
    locale: Mapped[str] = mapped_column(sa.String(8), server_default="es")
    website: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", use_alter=True, name="fk_agencies_verified_by_id_users")
    )

    staff: Mapped[list["User"]] = relationship(
        back_populates="agency", foreign_keys="User.agency_id"
    )

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    def __repr__(self) -> str:
        return f"<Agency {self.code}>"


class Supplier(db.Model):
    """A startup or SME that bids; its profile is reused in every proposal."""

    __tablename__ = "suppliers"
    __table_args__ = (
        sa.UniqueConstraint("country", "tax_id", name="uq_suppliers_country_tax_id"),
        sa.CheckConstraint("founding_year >= 1800", name="founding_year_plausible"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    legal_name: Mapped[str] = mapped_column(sa.String(200))
    tax_id: Mapped[str] = mapped_column(sa.String(32))
    country: Mapped[str] = mapped_column(sa.String(2))
    size_band: Mapped[SizeBand] = mapped_column(enum_column(SizeBand, "size_band"))
    founding_year: Mapped[int] = mapped_column(sa.Integer)
    website: Mapped[str | None] = mapped_column(sa.String(300))
    description: Mapped[str | None] = mapped_column(sa.Text)
    team_size: Mapped[int | None] = mapped_column(sa.Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)

    members: Mapped[list["User"]] = relationship(back_populates="supplier")

    def age_in_years(self, today: dt.date | None = None) -> int:
        """Whole years since founding (by calendar year)."""
        today = today or clock.now().date()
        return today.year - self.founding_year

    @property
    def is_sme(self) -> bool:
        return self.size_band.is_sme

    def __repr__(self) -> str:
        return f"<Supplier {self.country}:{self.tax_id}>"


class User(UserMixin, db.Model):
    """A person with one role; agency staff and supplier members belong to an organisation."""

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint(
            "(role != 'supplier_member') OR (supplier_id IS NOT NULL)",
            name="supplier_member_has_supplier",
        ),
        sa.CheckConstraint(
            "(role != 'agency_staff') OR (agency_id IS NOT NULL)",
            name="agency_staff_has_agency",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), index=True)
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    supplier_id: Mapped[int | None] = mapped_column(sa.ForeignKey("suppliers.id"), index=True)
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    active: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true(), default=True)
    # Changing this value signs the user out everywhere (it is part of the session id).
    session_nonce: Mapped[str] = mapped_column(sa.String(32))
    failed_logins: Mapped[int] = mapped_column(sa.Integer, server_default="0", default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    agency: Mapped[Agency | None] = relationship(back_populates="staff", foreign_keys=[agency_id])
    supplier: Mapped[Supplier | None] = relationship(back_populates="members")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_nonce}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_agency_staff(self) -> bool:
        return self.role is Role.AGENCY_STAFF

    @property
    def is_evaluator(self) -> bool:
        return self.role is Role.EVALUATOR

    @property
    def is_supplier_member(self) -> bool:
        return self.role is Role.SUPPLIER_MEMBER

    def works_for(self, agency_id: int | None) -> bool:
        """True for staff of that agency."""
        return self.is_agency_staff and agency_id is not None and self.agency_id == agency_id

    def represents(self, supplier_id: int | None) -> bool:
        """True for members of that supplier."""
        return (
            self.is_supplier_member and supplier_id is not None and self.supplier_id == supplier_id
        )

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"
