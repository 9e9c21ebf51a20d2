"""Registration of suppliers and agencies, with bad input refused field by field; the
password is chosen on the page the emailed link opens, so the link carries none."""

import re

import sqlalchemy as sa

from govtech.accounts.models import Agency, Role, Supplier, User
from govtech.accounts.services import _registration_serializer
from govtech.audit.models import AuditEntry
from tests import factories
from tests.test_html_validity import html_problems

PASSWORD = "a-long-test-passphrase-42"
# What the confirmation page asks for.
CHOSEN = {"password": PASSWORD, "confirm": PASSWORD}

SUPPLIER_FORM = {
    "account_type": "supplier",
    "full_name": "Valentina Ortiz",
    "email": "Valentina@Example.org",
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
    "agency_name": "Secretaría de Innovación",
    "agency_code": "ba-innova",
    "agency_country": "AR",
    "level": "subnational",
    "time_zone": "America/Argentina/Buenos_Aires",
}


def _users(db):
    return db.session.scalars(sa.select(User)).all()


def _entries(db) -> int:
    return db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))


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
    page = client.get(link)
    assert page.status_code == 200
    assert "Datos Abiertos S.A.S." in page.get_data(as_text=True)
    assert 'name="password"' in page.get_data(as_text=True)
    assert client.post(link, data=CHOSEN).headers["Location"].endswith("/dashboard")
    user = db.session.scalar(sa.select(User))
    assert user.email == "valentina@example.org"
    assert user.role is Role.SUPPLIER_MEMBER
    assert user.supplier.tax_id == "9001234568"  # compact form, punctuation removed
    assert user.password_hash.startswith("scrypt:")
    assert "Valentina Ortiz" in client.get("/dashboard").get_data(as_text=True)
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert "supplier.registered" in actions
    assert "user.created" in actions
    # The link works once: nobody else can choose the password afterwards.
    client.post("/accounts/logout")
    assert client.get(link).headers["Location"].endswith("/accounts/login")
    other = {"password": "another-long-passphrase-77", "confirm": "another-long-passphrase-77"}
    assert client.post(link, data=other).headers["Location"].endswith("/accounts/login")
    assert len(_users(db)) == 1
    wrong = client.post(
        "/accounts/login", data={"email": "valentina@example.org", "password": other["password"]}
    )
    assert wrong.status_code == 400
    login_page = client.post(
        "/accounts/login", data={"email": "valentina@example.org", "password": PASSWORD}
    )
    assert login_page.status_code == 302


def test_agency_registers_unverified(client, db, outbox):
    response = client.post("/accounts/register", data=AGENCY_FORM)
    assert response.status_code == 302
    client.post(_confirmation_link(outbox, "martin@example.org"), data=CHOSEN)
    agency = db.session.scalar(sa.select(Agency))
    assert agency.code == "BA-INNOVA"
    assert not agency.is_verified
    page = client.get("/dashboard").get_data(as_text=True)
    assert "waiting for verification" in page


def test_a_forged_or_altered_confirmation_link_is_a_404(client, db, outbox):
    client.post("/accounts/register", data=SUPPLIER_FORM)
    link = _confirmation_link(outbox, "valentina@example.org")
    assert client.get(link[:-3] + "xyz").status_code == 404
    assert client.post("/accounts/register/confirm/e30.AAAA.BBBB", data=CHOSEN).status_code == 404
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


def _walk(value):
    """Every key and every scalar value of a decoded token, however nested."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from _walk(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _walk(inner)
    else:
        yield value


def test_the_emailed_link_carries_no_password_material(app, client, db, outbox):
    assert 'type="password"' not in client.get("/accounts/register").get_data(as_text=True)
    assert client.post("/accounts/register", data=SUPPLIER_FORM).status_code == 302
    [message] = outbox
    link = _confirmation_link(outbox, "valentina@example.org")
    token = link.rsplit("/", 1)[1]
    application = _registration_serializer().loads(token)
    assert application["email"] == "valentina@example.org"  # it is the application
    parts = [str(part) for part in _walk(application)]
    assert not [part for part in parts if "password" in part.lower() or "scrypt" in part]
    # The password is chosen on the page the link opens: neither the link nor its
    # email holds it, or its hash, or any part of the hash.
    assert client.post(link, data=CHOSEN).status_code == 302
    [user] = _users(db)
    salt, digest = user.password_hash.split("$")[1:]
    for secret in (PASSWORD, user.password_hash, salt, digest):
        assert secret not in message.body
        assert not [part for part in parts if secret in part]


def _confirm_errors(client, db, link, data, field_id) -> str:
    before = _entries(db)
    response = client.post(link, data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    # The summary links to the field and the field carries its own error.
    assert f'href="#{field_id}"' in page
    assert f'id="{field_id}-error-1"' in page
    assert html_problems(page) == []
    # Nothing written: no account, no organisation, no audit entry.
    assert _users(db) == []
    assert db.session.scalar(sa.select(sa.func.count(Supplier.id))) == 0
    assert _entries(db) == before
    return page


def test_the_confirmation_page_refuses_a_weak_or_mismatched_password_and_the_link_still_works(
    client, db, outbox
):
    client.post("/accounts/register", data=SUPPLIER_FORM)
    link = _confirmation_link(outbox, "valentina@example.org")
    assert html_problems(client.get(link).get_data(as_text=True)) == []
    page = _confirm_errors(
        client, db, link, {"password": "short1", "confirm": "short1"}, "password"
    )
    assert "at least 10 characters" in page
    common = {"password": "password123456", "confirm": "password123456"}
    assert "too common" in _confirm_errors(client, db, link, common, "password")
    # The person's own email counts as easy to guess (strong for anyone else).
    named = {"password": "valentina@example.org", "confirm": "valentina@example.org"}
    assert "too common" in _confirm_errors(client, db, link, named, "password")
    mismatched = {**CHOSEN, "confirm": "something-else-entirely-9"}
    assert "do not match" in _confirm_errors(client, db, link, mismatched, "confirm")
    _confirm_errors(client, db, link, {}, "password")
    # The link is still good: a strong password creates the account.
    assert client.get(link).status_code == 200
    assert client.post(link, data=CHOSEN).headers["Location"].endswith("/dashboard")
    assert [user.email for user in _users(db)] == ["valentina@example.org"]


def test_a_tax_id_taken_before_the_link_is_followed_sends_back_to_the_form(client, db, outbox):
    client.post("/accounts/register", data=SUPPLIER_FORM)
    link = _confirmation_link(outbox, "valentina@example.org")
    factories.supplier("CO", tax_id="9001234568")
    db.session.commit()
    response = client.post(link, data=CHOSEN)
    assert response.headers["Location"].endswith("/accounts/register")
    assert "already registered" in client.get("/accounts/register").get_data(as_text=True)
    assert _users(db) == []


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


def test_make_run_prints_the_link_a_new_user_follows_to_choose_a_password(app_factory, db, caplog):
    """No mail server under `make run`: the email body in the log carries the link."""
    import logging

    printing = app_factory(MAIL_LOG_BODY=True)
    caplog.set_level(logging.INFO, logger="govtech.notifications")
    client = printing.test_client()
    assert client.post("/accounts/register", data=AGENCY_FORM).status_code == 302
    [body] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("email body")]
    link = re.search(r"http://govtech\.test(/accounts/register/confirm/\S+)", body).group(1)
    assert PASSWORD not in body
    assert client.post(link, data=CHOSEN).headers["Location"].endswith("/dashboard")
    assert [user.email for user in _users(db)] == ["martin@example.org"]


def test_the_link_is_emailed_in_the_language_of_the_registration_page(app, client, db, outbox):
    from flask_babel import force_locale, gettext

    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "pt-BR"
    client.post("/accounts/register", data=SUPPLIER_FORM)
    [message] = outbox
    with force_locale("pt_BR"):
        subject = gettext("Finish creating your account")
    assert subject != "Finish creating your account"
    assert message.subject == subject
