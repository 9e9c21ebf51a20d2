"""The company profile: edited once, reused in every bid, tax id valid and unique."""

import sqlalchemy as sa

from govtech.accounts.models import Supplier
from tests import factories
from tests.conftest import login

PROFILE = {
    "legal_name": "Datos Abiertos S.A.S.",
    "country": "CO",
    "tax_id": "900 123 456-8",
    "size_band": "small",
    "founding_year": "2020",
    "website": "https://datos.example.org",
    "team_size": "12",
    "description": "Tableros de indicadores para gobiernos locales.",
}


def _member_client(app, db, **kw):
    member = factories.supplier_member(factories.supplier("CO", tax_id="8001972684"), **kw)
    db.session.commit()
    client = app.test_client()
    login(client, member.email, factories.PASSWORD)
    return member, client


def test_profile_update_normalises_tax_id(app, db):
    member, client = _member_client(app, db)
    response = client.post("/accounts/organisation", data=PROFILE)
    assert response.status_code == 302
    supplier = db.session.get(Supplier, member.supplier_id)
    assert supplier.tax_id == "9001234568"
    assert supplier.team_size == 12
    assert supplier.size_band.value == "small"


def test_profile_refuses_invalid_or_taken_tax_id(app, db):
    factories.supplier("CO", tax_id="9001234568")
    member, client = _member_client(app, db)
    taken = client.post("/accounts/organisation", data=PROFILE)
    assert taken.status_code == 400
    assert 'id="tax_id-error-1"' in taken.get_data(as_text=True)
    invalid = client.post("/accounts/organisation", data={**PROFILE, "tax_id": "123"})
    assert invalid.status_code == 400
    future = client.post(
        "/accounts/organisation", data={**PROFILE, "tax_id": "8001972684", "founding_year": "2999"}
    )
    assert 'id="founding_year-error-1"' in future.get_data(as_text=True)
    supplier = db.session.get(Supplier, member.supplier_id)
    assert supplier.tax_id == "8001972684"


def test_only_supplier_members_have_a_company_profile(app, db):
    staff = factories.agency_staff()
    db.session.commit()
    client = app.test_client()
    login(client, staff.email, factories.PASSWORD)
    assert client.get("/accounts/organisation").status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Supplier.id))) == 0
