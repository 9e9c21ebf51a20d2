"""Hostile input on every form and JSON endpoint: never a 500, errors shown on the fields,
and a refused request leaves the database exactly as it was.

Property-based (hypothesis). The tables are wiped per test function, not per example, so
each test builds its scenario once in fixtures and compares a snapshot of the database
around every request.
"""

import datetime as dt
import io
import operator
import os
import re

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.exceptions import NotFound
from werkzeug.test import encode_multipart

from govtech import clock
from govtech.accounts.services import password_reset_token
from govtech.challenges.services import ask_question, close_if_due
from govtech.proposals.services import start_proposal
from tests import factories
from tests.conftest import login

# FUZZ_EXAMPLES=500 for a longer hunt; 30 keeps the file under a minute.
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", 30)),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# The tables a refused request must leave untouched, row for row.
TABLES = (
    "agencies", "suppliers", "users", "challenges", "challenge_documents", "addenda",
    "questions", "challenge_followers", "proposals", "proposal_attachments",
    "proposal_submissions", "stored_files", "audit_entries",
)  # fmt: skip
FIELD_ERRORS = ('class="usa-error-message"', 'id="error-summary"')
STRONG = "correct horse battery staple 42"
MEMBER_EMAIL = "<member email>"  # placeholder, replaced by the signed-up member's address
# The query parameters that filter (text the server reads, so NUL must be refused).
FILTERS = ["q", "status", "sector", "country", "procedure_type", "currency"]
FILTERS += ["budget_min", "budget_max"]

# --- strategies ------------------------------------------------------------------------
SPECIAL = [
    "", " ", "\x00", "a\x00b", "\x00" * 8, "\t\r\n", "\x1b[31m", "\x7f\x08\x0b\x0c", "\r\nX: y",
    "\u202egnp.exe", "\u200f\u200e\u200b\u2060", "\ufeff", "e\u0301\u0301\u0301\u0301",
    "Z\u0351\u0356\u0310\u0337", "👩‍👩‍👧‍👦🏳️‍🌈", "１２３４５", "٣٤٥", "𝟗𝟗", "½", "Ⅻ",
    "NaN", "-NaN", "sNaN", "Infinity", "-Infinity", "inf", "1e999", "-1e999", "1e-999", "-1",
    "0", "-0", "0.001", "9" * 40, "-" + "9" * 40, "9" * 5000, "0x1A", "1_000", "1,5", "1e30",
    "<script>alert(1)</script>", "\"'><img src=x onerror=alert(1)>", "' OR '1'='1' --",
    "%", "_", "%_\\", "{{ 7*7 }}", "{% raw %}", "${jndi:ldap://x}", "../../../etc/passwd",
    "javascript:alert(1)", "//evil.example/", "https://evil.example/", "/\\evil.example",
    "/\r\nSet-Cookie: a=b", "/\x00", "/%0d%0aX:%20y", "/\t/evil.example", "///evil.example",
    "null", "true", "[]", "{}",
    "0000-00-00T00:00", "0001-01-01T00:00", "9999-12-31T23:59", "2024-02-30T10:00",
    "2024-13-01T00:00", "2024-01-01T24:00", "2024-01-01", "2024-01-01T10:00:00.5Z",
    "2024-01-01T10:00+05:00", "２０２５-０１-０１T１０:００",
]  # fmt: skip
hostile = st.one_of(
    st.sampled_from(SPECIAL),
    st.text(max_size=300),
    st.integers(-(10**40), 10**40).map(str),
    st.floats().map(repr),
    st.decimals().map(str),
    st.datetimes().map(lambda moment: moment.isoformat(timespec="minutes")),
    st.builds(  # huge: up to 100k characters
        operator.mul,
        st.sampled_from(["a", "é", "\x00", "😀", " ", "9", "<b>", "\u0301", "\u202e"]),
        st.integers(min_value=1000, max_value=100_000),
    ),
    st.lists(st.sampled_from(SPECIAL) | st.text(max_size=20), max_size=5).map("".join),
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


@st.composite
def bodies(draw, base: dict, choices: dict | None = None):
    """A valid form with some fields made hostile (or one of `choices`: a list or a
    strategy), dropped, repeated or sent as file parts (plus an unknown field), or a JSON
    body instead of a form: ("form" | "json", data). File parts are (bytes, filename)."""
    if draw(st.integers(0, 4)) == 0:
        text = {k: v for k, v in base.items() if not isinstance(v, tuple)}  # no file parts
        overrides = st.dictionaries(st.sampled_from(sorted(base)), json_values)
        return ("json", draw(overrides.map(lambda values: {**text, **values}) | json_values))
    data = dict(base)
    for name in draw(st.lists(st.sampled_from(sorted(base)), unique=True)):
        action = draw(st.sampled_from(["hostile", "hostile", "missing", "repeated", "file"]))
        if action == "missing":
            del data[name]
        elif action == "repeated":
            data[name] = draw(st.lists(hostile, max_size=4))
        elif action == "file":
            data[name] = (draw(st.binary(max_size=64)), draw(st.text(max_size=20)))
        elif choices and name in choices and draw(st.booleans()):
            choice = choices[name]
            data[name] = draw(st.sampled_from(choice) if isinstance(choice, list) else choice)
        else:
            data[name] = draw(hostile)
    if draw(st.booleans()):
        data[draw(st.text(min_size=1, max_size=20))] = draw(hostile)
    return ("form", data)


def _values(value) -> list:
    return value if isinstance(value, list) else [value]


def nul_in(body, fields) -> bool:
    """True if a field the view reads (the first value sent) holds a NUL byte."""
    kind, data = body
    if kind != "form":
        return False
    firsts = [(_values(data.get(name)) or [None])[0] for name in fields]
    return any(isinstance(value, str) and "\x00" in value for value in firsts)


def replace(body, placeholder: str, value: str):
    """The body with a placeholder value (known only at run time) filled in."""
    kind, data = body
    if not isinstance(data, dict):
        return body
    return kind, {k: value if v == placeholder else v for k, v in data.items()}


def send(client, url: str, body, query=None):
    """POST the body as a form (multipart when it has file parts) or as JSON."""
    kind, data = body
    if kind == "json":
        return client.post(url, json=data, query_string=query)
    form = MultiDict()
    for name, value in data.items():
        for v in _values(value):
            upload = isinstance(v, tuple)
            form.add(name, FileStorage(io.BytesIO(v[0]), v[1] or "x.bin") if upload else v)
    if not any(isinstance(v, FileStorage) for _, v in form.items(multi=True)):
        return client.post(url, data=form, query_string=query)
    # Encoded here, in memory: the test client would spool a large body to a temporary
    # file that nobody closes (a ResourceWarning, an error under filterwarnings).
    boundary, encoded = encode_multipart(form)
    content_type = f"multipart/form-data; boundary={boundary}"
    return client.post(url, data=encoded, content_type=content_type, query_string=query)


# --- checks ----------------------------------------------------------------------------
def snapshot(db) -> dict[str, list[dict]]:
    """Every row of the watched tables, in primary-key order."""
    with db.engine.connect() as conn:
        return {
            name: [
                dict(row._mapping)
                for row in conn.execute(sa.select(table).order_by(*table.primary_key.columns))
            ]
            for name, table in ((n, db.metadata.tables[n]) for n in TABLES)
        }


def outcome(client, response, *, posted: bool = True) -> str:
    """'refused' or 'accepted'; fails on a 500 and on a refused form that shows no error."""
    body = response.get_data(as_text=True)
    status = response.status_code
    assert status < 500, f"{status} on {response.request.path}: see the logged traceback"
    with client.session_transaction() as session:
        flashes = session.pop("_flashes", [])
    if status == 413:  # a body larger than the server parses: nothing was read
        return "refused"
    if 300 <= status < 400:
        location = response.headers["Location"]
        assert not ("/accounts/login" in location and "next=" in location), "signed out"
        return "refused" if any(category == "error" for category, _ in flashes) else "accepted"
    if status >= 400 or posted:  # the form came back: its errors are on the page
        assert any(marker in body for marker in FIELD_ERRORS), (status, body[-3000:])
        return "refused"
    return "accepted"


def api_outcome(response) -> str:
    """Like `outcome` for JSON endpoints: errors are JSON with their status."""
    assert response.status_code < 500, f"500 on {response.request.path}: see the traceback"
    assert response.is_json, response.get_data(as_text=True)[:500]
    if response.status_code >= 400:
        assert response.get_json()["status"] == response.status_code
        return "refused"
    assert response.status_code == 200
    return "accepted"


def check_post(db, client, url, body, fields, query=None) -> str:
    """Post, then: no 500, errors shown, nothing stored when refused, NUL bytes refused."""
    before = snapshot(db)
    result = outcome(client, send(client, url, body, query))
    event(result)  # --hypothesis-show-statistics: how often the valid path ran
    if result == "refused":
        assert snapshot(db) == before
    if nul_in(body, fields):
        assert result == "refused"
    return result


def check_get(db, client, url, query, *, api: bool, text=FILTERS) -> str:
    """GET with a hostile query string: no 500, errors shown, nothing stored, and a NUL
    byte in a filter refused."""
    before = snapshot(db)
    response = client.get(url, query_string=query)
    result = api_outcome(response) if api else outcome(client, response, posted=False)
    event(result)
    assert snapshot(db) == before
    firsts = [(_values(query.get(name, "")) or [""])[0] for name in text]
    if any("\x00" in value for value in firsts):
        assert result == "refused"
    return result


def _signed_in(app, user):
    client = app.test_client()
    login(client, user.email, factories.PASSWORD)
    return client


def _local(days: float) -> str:
    """A moment `days` from now, as typed in the agencies' zone (factories: Bogotá)."""
    moment = clock.to_zone(clock.now() + dt.timedelta(days=days), "America/Bogota")
    return moment.strftime("%Y-%m-%dT%H:%M")


# --- fixtures --------------------------------------------------------------------------
@pytest.fixture
def member(db):
    member = factories.supplier_member()
    db.session.commit()
    return member


@pytest.fixture
def member_client(app, member):
    return _signed_in(app, member)


@pytest.fixture
def staff(db):
    staff = factories.agency_staff()
    db.session.commit()
    return staff


@pytest.fixture
def staff_client(app, staff):
    return _signed_in(app, staff)


@pytest.fixture
def published(db, staff):
    challenge = factories.published_challenge(staff)
    db.session.commit()
    return challenge


# --- accounts --------------------------------------------------------------------------
REGISTER_SUPPLIER = {
    "account_type": "supplier", "full_name": "Ana Pérez", "email": "ana@example.org",
    "legal_name": "Startup S.A.S.",
    "tax_id": "900.123.456-8", "supplier_country": "CO", "size_band": "micro",
    "founding_year": "2020", "website": "https://example.org",
}  # fmt: skip
REGISTER_AGENCY = {
    "account_type": "agency", "full_name": "Luis Gómez", "email": "luis@example.gov",
    "agency_name": "Ministerio de Pruebas",
    "agency_code": "MINPRU", "agency_country": "CO", "level": "national",
    "time_zone": "America/Bogota",
}  # fmt: skip
ACCOUNT_CHOICES = {
    "account_type": ["supplier", "agency", "admin", " "],
    "supplier_country": ["CO", "BR", "XX", "co", " "],
    "agency_country": ["CO", "ES", "XX", " "],
    "size_band": ["micro", "large", "giant", " "],
    "level": ["national", "subnational", "galactic", " "],
    "time_zone": ["America/Bogota", "Europe/Madrid", "Mars/Olympus"],
}


@FUZZ
@given(body=bodies(REGISTER_SUPPLIER, ACCOUNT_CHOICES) | bodies(REGISTER_AGENCY, ACCOUNT_CHOICES))
def test_register(app, db, body):
    fields = sorted({*REGISTER_SUPPLIER, *REGISTER_AGENCY} - {"account_type"})
    check_post(db, app.test_client(), "/accounts/register", body, fields)


@FUZZ
@given(
    body=bodies({"password": STRONG, "confirm": STRONG}),
    token=st.sampled_from(["", "x", "e30", "e30.AAAA"]) | hostile,
)
def test_confirm_registration(app, db, body, token):
    from urllib.parse import quote

    from govtech.extensions import mail

    client = app.test_client()
    # A hostile token is no registration: a 404, and nothing stored.
    before = snapshot(db)
    url = "/accounts/register/confirm/" + quote(token, safe="")
    for response in (client.get(url), send(client, url, body)):
        assert response.status_code in (308, 404, 405), response.status_code
    assert snapshot(db) == before
    # A fresh registration for each example: the link its email carries.
    n = len(before["users"])
    data = {**REGISTER_AGENCY, "email": f"luis{n}@example.gov", "agency_code": f"MP{n}"}
    with mail.record_messages() as sent:
        assert client.post("/accounts/register", data=data).status_code == 302
    link = re.search(r"/accounts/register/confirm/\S+", sent[0].body).group(0)
    assert client.get(link).status_code == 200
    if check_post(db, client, link, body, ["password", "confirm"]) == "accepted":
        # Spent: the link now only leads to the sign-in page, and creates nothing more.
        client.post("/accounts/logout")
        spent = snapshot(db)
        again = {"password": STRONG + "!", "confirm": STRONG + "!"}
        assert "/accounts/login" in client.post(link, data=again).headers["Location"]
        assert snapshot(db) == spent
    else:
        # A refused password spends nothing: the link still creates the account.
        valid = {"password": STRONG, "confirm": STRONG}
        assert client.post(link, data=valid).headers["Location"].endswith("/dashboard")
        client.post("/accounts/logout")


@FUZZ
@given(
    body=bodies({"email": MEMBER_EMAIL, "password": factories.PASSWORD}),
    next_=hostile,
)
def test_login(app, db, member, body, next_):
    body = replace(body, MEMBER_EMAIL, member.email)
    client = app.test_client()
    before = snapshot(db)
    response = send(client, "/accounts/login", body, query={"next": next_})
    result = outcome(client, response)
    event(result)
    after = snapshot(db)
    if result == "accepted":  # signed in: the redirect never leaves the site
        location = response.headers["Location"]
        assert location.startswith(("/", "http://govtech.test/")), location
        assert not location.startswith("//"), location
        assert not re.search(r"[\x00-\x20\\]", location), location
    else:  # a wrong password counts towards the lockout; each failure is audited once
        assert {name for name in TABLES if after[name] != before[name]} <= {
            "users",
            "audit_entries",
        }
        known = {row["id"] for row in before["audit_entries"]}
        new = [row["action"] for row in after["audit_entries"] if row["id"] not in known]
        assert len(new) <= 1
        assert set(new) <= {"user.sign_in_failed", "user.locked"}
    if nul_in(body, ["email", "password"]):
        assert result == "refused"


@FUZZ
@given(body=bodies({"email": MEMBER_EMAIL}) | bodies({"email": "nobody@example.org"}))
def test_forgot_password(app, db, member, body):
    body = replace(body, MEMBER_EMAIL, member.email)
    check_post(db, app.test_client(), "/accounts/password/forgot", body, ["email"])


@pytest.fixture
def reset_url(member):
    return f"/accounts/password/reset/{password_reset_token(member)}"


@FUZZ
@given(body=bodies({"password": STRONG, "confirm": STRONG}))
def test_reset_password(app, db, reset_url, body):
    # Once a reset succeeds the link is spent: later posts are refused with a flash.
    check_post(db, app.test_client(), reset_url, body, ["password", "confirm"])


PROFILE = {
    "legal_name": "Startup Uno S.A.S.", "country": "CO", "tax_id": "9001234568",
    "size_band": "small", "founding_year": "2019", "website": "https://startup.example",
    "team_size": "12", "description": "Turnos médicos por WhatsApp.",
}  # fmt: skip


@FUZZ
@given(body=bodies(PROFILE, {"country": ["CO", "BR", "ZZ"], "size_band": ["micro", "x"]}))
def test_supplier_profile(db, member_client, body):
    check_post(db, member_client, "/accounts/organisation", body, sorted(PROFILE))


# --- challenges ------------------------------------------------------------------------
CHALLENGE = {
    "title": "Reducir la espera para turnos médicos",
    "problem_statement": "Los vecinos esperan semanas por un turno médico en los centros. " * 2,
    "current_situation": "Turnos por teléfono.",
    "expected_results": "- Espera de 19 a 7 días.",
    "sector": "health", "country": "CO", "region": "Bogotá", "budget_amount": "100000.00",
    "currency": "COP", "procedure_type": "innovation_challenge",
    "eligible_size_bands": ["micro", "small"], "eligible_countries": ["CO", "BR"],
    "min_company_age_years": "", "max_company_age_years": "5",
    "question_deadline": _local(10), "submission_deadline": _local(20),
    "expected_award_date": _local(40), "pilot_duration_weeks": "12",
    "contact_name": "Contacto", "contact_email": "contacto@example.org",
    "blind_review": "y", "max_winners": "1", "minimum_score": "50", "standstill_days": "10",
}  # fmt: skip
CHALLENGE_CHOICES = {
    "sector": ["health", "space"],
    "currency": ["COP", "USD", "XXX", "cop"],
    "procedure_type": ["pre_commercial_procurement", "auction"],
    "eligible_size_bands": [["large"], [], ["micro", "huge"], [" "]],
    "eligible_countries": [[" "], ["CO", "ZZ"], []],
    "question_deadline": [_local(-1), _local(30), _local(365 * 7900)],
    "submission_deadline": [_local(5), _local(365 * 7900), "9999-12-31T23:59"],
    "expected_award_date": [_local(15), "9999-12-31T23:59", "0001-01-01T00:00"],
}
CHALLENGE_TEXT = [name for name in CHALLENGE if name not in ("eligible_size_bands", "blind_review")]


@FUZZ
@given(body=bodies(CHALLENGE, CHALLENGE_CHOICES))
def test_new_challenge(db, staff_client, body):
    check_post(db, staff_client, "/challenges/new", body, CHALLENGE_TEXT)


@FUZZ
@given(body=bodies(CHALLENGE, CHALLENGE_CHOICES))
def test_edit_draft(db, staff, staff_client, body):
    draft = factories.draft_challenge(staff)
    db.session.commit()
    check_post(db, staff_client, f"/challenges/{draft.id}/edit", body, CHALLENGE_TEXT)


ADDENDUM = {
    "text": "Se amplía el plazo y se aclara el alcance.",
    "changes_requirements": "y",
    "new_submission_deadline": _local(25),
    "document_title": "Anexo",
}
ADDENDUM_CHOICES = {
    "new_submission_deadline": [_local(1), _local(365 * 7900), "9999-12-31T23:59", ""],
}


@FUZZ
@given(body=bodies(ADDENDUM, ADDENDUM_CHOICES))
def test_addendum(db, staff_client, published, body):
    url = f"/challenges/{published.id}/addenda/new"
    check_post(db, staff_client, url, body, ["text", "new_submission_deadline", "document_title"])


@FUZZ
@given(body=bodies({"reason": "El presupuesto fue reasignado por ley."}))
def test_cancel(db, staff, staff_client, body):
    challenge = factories.published_challenge(staff)  # a cancellation is final: one each
    db.session.commit()
    check_post(db, staff_client, f"/challenges/{challenge.id}/cancel", body, ["reason"])


@FUZZ
@given(body=bodies({"text": "¿Los datos de turnos incluyen la especialidad médica?"}))
def test_ask_question(db, member_client, published, body):
    check_post(db, member_client, f"/challenges/{published.id}/questions", body, ["text"])


@FUZZ
@given(body=bodies({"answer": "Sí, incluyen la especialidad."}))
def test_answer_question(db, member, staff_client, published, body):
    question = ask_question(published, member, "¿Cuántos centros de salud participan?")
    db.session.commit()
    url = f"/challenges/{published.id}/questions/{question.id}/answer"
    check_post(db, staff_client, url, body, ["answer"])


# --- proposals -------------------------------------------------------------------------
STEPS = {
    "solution": {
        "summary": "Turnos por WhatsApp.", "solution": "Un asistente conectado a la agenda.",
        "maturity": "product_in_use", "maturity_evidence": "Tres clínicas.",
    },
    "pilot": {
        "milestones-0-name": "Diagnóstico", "milestones-0-week": "2",
        "milestones-0-deliverable": "Informe", "milestones-0-acceptance_test": "Aprobado",
        "milestones-0-payment_share": "30", "milestones-1-name": "Piloto",
        "milestones-1-week": "8", "milestones-1-deliverable": "Sistema",
        "milestones-1-acceptance_test": "KPIs medidos", "milestones-1-payment_share": "70",
        "kpis-0-name": "Espera media", "kpis-0-baseline": "19 días", "kpis-0-target": "7 días",
    },
    "team": {
        "team-0-name": "Ana Pérez", "team-0-role": "Líder técnica", "team-0-experience": "10",
        "team-5-name": "Luis", "team-5-role": "Diseño", "team-5-experience": "3 años",
    },
    "commitments": {
        "price_amount": "50000.00", "data_protection": "Cifrado.", "interoperability": "API.",
        "ip_position": "Licencia perpetua.", "scale_up_plan": "Todos los centros.",
        "scale_up_cost": "150000",
    },
}  # fmt: skip
STEP_CHOICES = {
    "maturity": ["idea", "unicorn", " "],
    "milestones-0-payment_share": ["100", "29.999", "NaN"],
    "milestones-0-week": ["13", "0", "261"],
    "price_amount": ["100000.01", "0.001", "1e13"],
}


@pytest.fixture
def draft_proposal(db, member, published):
    proposal = start_proposal(published, member)
    db.session.commit()
    return proposal


@pytest.mark.parametrize("step", sorted(STEPS))
@FUZZ
@given(data=st.data())
def test_proposal_steps(db, member_client, draft_proposal, step, data):
    body = data.draw(bodies(STEPS[step], STEP_CHOICES), label="body")
    url = f"/proposals/{draft_proposal.id}/edit/{step}"
    check_post(db, member_client, url, body, [k for k in STEPS[step] if k != "maturity"])


@pytest.fixture
def closed_proposal(db, staff, published):
    """A submitted proposal to a challenge whose deadline has passed."""
    proposal = factories.submitted_proposal(published)
    now = clock.now()
    published.question_deadline = now - dt.timedelta(days=2)
    published.submission_deadline = now - dt.timedelta(days=1)
    db.session.flush()
    assert close_if_due(published)
    db.session.commit()
    return proposal


SCREENING = {"decision": "ineligible", "reason": "other", "note": "Falta el plan de datos."}
SCREENING_CHOICES = {"decision": ["eligible", "maybe", " "], "reason": ["incomplete", "", " "]}


@FUZZ
@given(body=bodies(SCREENING, SCREENING_CHOICES))
def test_screening(db, staff_client, closed_proposal, body):
    url = f"/proposals/{closed_proposal.id}/screen"
    check_post(db, staff_client, url, body, ["note"])


PDF = factories.pdf_bytes()
uploads = st.tuples(
    st.one_of(
        st.just(PDF),
        st.binary(max_size=300),
        st.binary(max_size=300).map(lambda junk: b"%PDF-1.7\n" + junk),
        st.integers(0, len(PDF)).map(lambda n: PDF[:n]),  # truncated
        st.builds(  # a few bytes overwritten
            lambda at, junk: PDF[:at] + junk + PDF[at + len(junk) :],
            st.integers(0, len(PDF)),
            st.binary(min_size=1, max_size=16),
        ),
    ),
    st.sampled_from(["anexo.pdf", "", "../../etc/passwd", "fdp.\u202eexe", "x" * 500]) | hostile,
)


@pytest.fixture
def upload_url(request, db, staff, draft_proposal):
    if request.param == "document":
        draft = factories.draft_challenge(staff)
        db.session.commit()
        return f"/challenges/{draft.id}/documents"
    return f"/proposals/{draft_proposal.id}/attachments"


@pytest.fixture
def upload_client(request, app, staff, member):
    return _signed_in(app, staff if request.param == "document" else member)


@pytest.mark.parametrize(
    ("upload_url", "upload_client"),
    [("document", "document"), ("attachment", "attachment")],
    indirect=True,
)
@FUZZ
@given(data=st.data())
def test_pdf_uploads(db, upload_url, upload_client, data):
    base = {"title": "Anexo técnico", "document": (PDF, "anexo.pdf")}
    body = data.draw(bodies(base, {"document": uploads}), label="body")
    check_post(db, upload_client, upload_url, body, ["title"])


@FUZZ
@given(body=bodies({"language": "en", "next": "/challenges/"}, {"next": SPECIAL}))
def test_buttons(app, db, staff, staff_client, member, member_client, published, body):
    """POST-only buttons (an empty form with its CSRF token) take any body without a 500."""
    draft = factories.draft_challenge(staff)
    proposal = start_proposal(published, member)
    db.session.commit()
    anonymous = app.test_client()
    for client, url in [
        (anonymous, "/language"),
        (anonymous, "/accounts/logout"),
        (member_client, "/language"),
        (member_client, f"/challenges/{published.id}/follow"),
        (member_client, f"/proposals/start/{published.id}"),
        (member_client, f"/proposals/{proposal.id}/submit"),
        (member_client, f"/proposals/{proposal.id}/withdraw"),
        (staff_client, f"/challenges/{draft.id}/publish"),
    ]:
        response = send(client, url, body)
        assert response.status_code < 500, url
        if 300 <= response.status_code < 400:
            location = response.headers["Location"]
            assert location.startswith(("/", "http://govtech.test/")), location
            assert not location.startswith("//"), location


# --- GET pages and the JSON API --------------------------------------------------------
def queries(names: list[str], choices: dict):
    """Query strings: each parameter absent, a plausible value, something hostile or
    repeated."""
    values = {
        name: st.sampled_from(choices.get(name, [""])) | hostile | st.lists(hostile, max_size=3)
        for name in names
    }
    return st.fixed_dictionaries({}, optional=values)


CATALOGUE_CHOICES = {
    "status": ["published", "draft", "closed", " "],
    "sector": ["health", "x", " "],
    "country": ["CO", "co", "ZZ"],
    "currency": ["COP", "cop"],
    "procedure_type": ["innovation_challenge"],
    "budget_min": ["0", "1e30", "Infinity", "sNaN", "-1"],
    "budget_max": ["100000", "1e30", "NaN"],
    "page": ["2", "0", "-1", "99999999999999999999", "1e3"],
    "per_page": ["100", "101", "0", "99999999999999999999"],
}


@FUZZ
@given(query=queries([*FILTERS, "page"], CATALOGUE_CHOICES))
def test_catalogue_filters(app, db, published, query):
    check_get(db, app.test_client(), "/challenges/", query, api=False)


@FUZZ
@given(query=queries([*FILTERS, "page", "per_page"], CATALOGUE_CHOICES))
def test_api_challenges(app, db, published, query):
    check_get(db, app.test_client(), "/api/v1/challenges", query, api=True)


@FUZZ
@given(
    challenge_id=st.one_of(
        st.integers(min_value=0, max_value=10**30).map(str),
        st.sampled_from(["-1", "1.5", "１", "0x1", "1e3", "%00", "2147483648", "9" * 5000]),
    ),
    query=queries(["lang"], {}),
)
def test_api_challenge_and_checklist(app, db, staff, published, challenge_id, query):
    client = app.test_client()
    draft = factories.draft_challenge(staff)
    db.session.commit()
    response = client.get(f"/api/v1/challenges/{challenge_id}", query_string=query)
    assert response.status_code in (200, 404)
    api_outcome(response)
    assert client.get(f"/challenges/{challenge_id}").status_code in (200, 404)
    assert client.get(f"/api/v1/challenges/{published.id}", query_string=query).status_code == 200
    assert client.get(f"/api/v1/challenges/{draft.id}", query_string=query).status_code == 404
    check_get(db, client, "/api/v1/checklist", query, api=True, text=[])
    # The API is read-only: any body sent to it is a JSON 405.
    response = client.post("/api/v1/challenges", json=query, query_string=query)
    assert response.status_code == 405
    api_outcome(response)


TRANSPARENCY_CHOICES = {
    "page": ["1", "2", "0", "-1", "99999999999999999999", "1e3"],
    "country": ["CO", "co", "ZZ", "BRA"],
    "year": ["2026", "0", "-1", "99999", "1e3", "2026.5"],
    "before": ["1", "-1", "99999999999999999999"],
}
# (url, JSON?) of the public open-data pages and APIs that read a query string.
TRANSPARENCY_URLS = [
    ("/results", False),
    ("/results.csv", False),
    ("/results.json", True),
    ("/ecosystem", False),
    ("/open-data", False),
    ("/ocds/releases.json", True),
    ("/ocds/records.json", True),
    ("/api/v1/results", True),
    ("/api/v1/ecosystem", True),
]


@FUZZ
@given(query=queries(sorted(TRANSPARENCY_CHOICES), TRANSPARENCY_CHOICES))
def test_transparency_queries(app, db, published, query):
    """Open data pages and APIs: any query string gives their page or a clean 4xx."""
    client = app.test_client()
    for url, api in TRANSPARENCY_URLS:
        before = snapshot(db)
        response = client.get(url, query_string=query)
        assert response.status_code < 500, url
        if api and response.status_code >= 400:
            api_outcome(response)
        assert snapshot(db) == before, url


def test_ids_past_the_database_integer_match_no_route(app):
    """Every `<int:...>` stops at INTEGER's maximum: larger ids are a 404, not an overflow."""
    adapter = app.url_map.bind("govtech.test")
    rules = [rule for rule in app.url_map.iter_rules() if "<int:" in rule.rule]
    assert rules
    for rule in rules:
        path = re.sub(r"<int:\w+>", str(2**31), rule.rule)
        path = re.sub(r"<(\w+:)?\w+>", "x", path)
        method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        try:
            endpoint, _ = adapter.match(path, method=method)
        except NotFound:
            continue
        assert endpoint != rule.endpoint, rule.rule
