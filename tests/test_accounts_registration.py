"""Registration of suppliers and agencies, with bad input refused field by field."""

import re

import sqlalchemy as sa

from govtech.accounts.models import Agency, Role, Supplier, User
from govtech.audit.models import AuditEntry
from tests import factories

SUPPLIER_FORM = {
    "account_type": "supplier",
    "full_name": "Valentina Ortiz",
    "email": "Valentina@Example.org",
    "password": "a-long-test-passphrase-42",
    "confirm": "a-long-test-passphrase-42",
    "legal_name": "Datos Abiertos S.A.S.",
    "tax_id": "900.123.456-8",
    "supplier_country": "CO",
    "size_band": "micro",
    "founding_year": "2021",
    "website": "https://datos.example.org",
}

AGENCY_FORM = {
    "account_type": "agency",
    "full_name": "Martín Gómez",
    "email": "martin@example.org",
    "password": "a-long-test-passphrase-42",
    "confirm": "a-long-test-passphrase-42",
    "agency_name": "Secretaría de Innovación",
    "agency_code": "ba-innova",
    "agency_country": "AR",
    "level": "subnational",
    "time_zone": "America/Argentina/Buenos_Aires",
}


def _users(db):
    return db.session.scalars(sa.select(User)).all()


def _confirmation_link(outbox, email: str) -> str:
    message = next(m for m in outbox if m.recipients == [email])
    match = re.search(r"http://govtech\.test(/accounts/register/confirm/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def test_supplier_registers_by_email_link_with_normalised_tax_id(client, db, outbox):
    response = client.post("/accounts/register", data=SUPPLIER_FORM)
    assert response.status_code == 302
    assert _users(db) == []  # nothing exists until the address is confirmed
    link = _confirmation_link(outbox, "valentina@example.org")
    assert "Datos Abiertos S.A.S." in client.get(link).get_data(as_text=True)
    assert client.post(link).headers["Location"].endswith("/dashboard")
    user = db.session.scalar(sa.select(User))
    assert user.email == "valentina@example.org"
    assert user.role is Role.SUPPLIER_MEMBER
    assert user.supplier.tax_id == "9001234568"  # compact form, punctuation removed
    assert user.password_hash.startswith("scrypt:")
    assert "Valentina Ortiz" in client.get("/dashboard").get_data(as_text=True)
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert "supplier.registered" in actions
    assert "user.created" in actions
    # The link works once.
    client.post("/accounts/logout")
    assert client.post(link).headers["Location"].endswith("/accounts/login")
    assert len(_users(db)) == 1
    login_page = client.post(
        "/accounts/login",
        data={"email": "valentina@example.org", "password": SUPPLIER_FORM["password"]},
    )
    assert login_page.status_code == 302


def test_agency_registers_unverified(client, db, outbox):
    response = client.post("/accounts/register", data=AGENCY_FORM)
    assert response.status_code == 302
    client.post(_confirmation_link(outbox, "martin@example.org"))
    agency = db.session.scalar(sa.select(Agency))
    assert agency.code == "BA-INNOVA"
    assert not agency.is_verified
    page = client.get("/dashboard").get_data(as_text=True)
    assert "waiting for verification" in page


def test_a_forged_or_altered_confirmation_link_is_a_404(client, db, outbox):
    client.post("/accounts/register", data=SUPPLIER_FORM)
    link = _confirmation_link(outbox, "valentina@example.org")
    assert client.get(link[:-3] + "xyz").status_code == 404
    assert client.post("/accounts/register/confirm/e30.AAAA.BBBB").status_code == 404
    assert _users(db) == []


def _post_errors(client, db, changes, field_id):
    data = {**SUPPLIER_FORM, **changes}
    response = client.post("/accounts/register", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    # The summary links to the field and the field carries its own error.
    assert f'href="#{field_id}"' in page
    assert f'id="{field_id}-error-1"' in page
    assert _users(db) == []
    return page


def test_missing_fields_are_named(client, db):
    page = _post_errors(client, db, {"full_name": "", "legal_name": ""}, "full_name")
    assert 'href="#legal_name"' in page


def test_bad_email_refused(client, db):
    _post_errors(client, db, {"email": "not-an-email"}, "email")


def test_short_password_refused(client, db):
    page = _post_errors(client, db, {"password": "short1", "confirm": "short1"}, "password")
    assert "at least 10 characters" in page


def test_common_password_refused(client, db):
    page = _post_errors(
        client, db, {"password": "password123456", "confirm": "password123456"}, "password"
    )
    assert "too common" in page


def test_mismatched_confirmation_refused(client, db):
    _post_errors(client, db, {"confirm": "something-else-entirely-9"}, "confirm")


def test_invalid_tax_id_refused(client, db):
    page = _post_errors(client, db, {"tax_id": "900123457"}, "tax_id")
    assert "not a valid tax id" in page


def test_duplicate_email_gets_the_new_answer_and_its_owner_an_email(client, db, outbox):
    factories.supplier_member(email="valentina@example.org")
    db.session.commit()
    data = {**AGENCY_FORM, "email": "Valentina@Example.org"}
    response = client.post("/accounts/register", data=data, follow_redirects=True)
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)
    assert len(_users(db)) == 1
    [message] = outbox
    assert message.recipients == ["valentina@example.org"]
    assert "http://govtech.test/accounts/login" in message.body
    assert "http://govtech.test/accounts/password/forgot" in message.body
    assert "/accounts/register/confirm/" not in message.body


def test_duplicate_tax_id_in_same_country_refused(client, db):
    factories.supplier("CO", tax_id="9001234568")
    db.session.commit()
    response = client.post("/accounts/register", data=SUPPLIER_FORM)
    assert response.status_code == 400
    assert "already registered" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Supplier.id))) == 1
    assert _users(db) == []


def test_agency_fields_required_for_agency_accounts(client, db):
    response = client.post("/accounts/register", data={**AGENCY_FORM, "time_zone": ""})
    assert response.status_code == 400
    assert 'id="time_zone-error-1"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Agency.id))) == 0
