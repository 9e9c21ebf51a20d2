"""Test data built through the real services, so tests exercise the same rules as users."""

import itertools

import sqlalchemy as sa

from govtech import clock
from govtech.accounts.models import Agency, GovernmentLevel, Role, SizeBand, Supplier, User
from govtech.accounts.services import create_user, register_agency, register_supplier
from govtech.extensions import db

PASSWORD = "a-long-test-passphrase-42"
_seq = itertools.count(1)

# Valid tax ids (check digits computed with python-stdnum) for distinct suppliers.
VALID_TAX_IDS = {
    "CO": [
        "9001234568",
        "8001972684",
        "8600073861",
        "8909039388",
        "9003261382",
        "9005551116",
        "9010002227",
    ],
    "BR": ["11222333000181", "45218976000173", "33000167000101", "60746948000112"],
    "CL": ["765432103", "970040005", "965109706", "771234569"],
    "AR": ["30712345671", "30500010912", "30546676427"],
}


def agency(
    code: str | None = None,
    *,
    verified: bool = True,
    time_zone="America/Bogota",
    country="CO",
    locale="es",
) -> Agency:
    n = next(_seq)
    a = register_agency(
        name=f"Agencia de prueba {n}",
        code=code or f"AG{n}",
        country=country,
        level=GovernmentLevel.NATIONAL,
        time_zone=time_zone,
        locale=locale,
    )
    if verified:
        a.verified_at = clock.now()
    db.session.flush()
    return a


def supplier(
    country: str = "CO",
    *,
    size_band: SizeBand = SizeBand.MICRO,
    founding_year: int = 2021,
    tax_id: str | None = None,
    name: str | None = None,
) -> Supplier:
    n = next(_seq)
    if tax_id is None:
        used = set(
            db.session.scalars(sa.select(Supplier.tax_id).where(Supplier.country == country))
        )
        tax_id = next(t for t in VALID_TAX_IDS[country] if t not in used)
    return register_supplier(
        legal_name=name or f"Startup {n} S.A.S.",
        tax_id=tax_id,
        country=country,
        size_band=size_band,
        founding_year=founding_year,
        website=None,
    )


def user(
    role: Role,
    *,
    agency: Agency | None = None,
    supplier: Supplier | None = None,
    email: str | None = None,
    name: str | None = None,
) -> User:
    n = next(_seq)
    return create_user(
        email=email or f"user{n}@example.org",
        password=PASSWORD,
        full_name=name or f"Persona {n}",
        role=role,
        agency=agency,
        supplier=supplier,
    )


def admin(**kw) -> User:
    return user(Role.ADMIN, **kw)


def agency_staff(a: Agency | None = None, **kw) -> User:
    return user(Role.AGENCY_STAFF, agency=a or agency(), **kw)


def supplier_member(s: Supplier | None = None, **kw) -> User:
    return user(Role.SUPPLIER_MEMBER, supplier=s or supplier(), **kw)


def evaluator(**kw) -> User:
    return user(Role.EVALUATOR, **kw)
