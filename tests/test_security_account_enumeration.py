"""Nobody learns whether an email has an account (or what kind) from registration,
password reset, sign-in or panel invitations: one answer, one timing, one audit entry
count, whoever the email belongs to."""

import re
import statistics
import time

import sqlalchemy as sa

from govtech.accounts.models import User
from govtech.audit.models import AuditEntry
from govtech.evaluation.models import EvaluatorAssignment
from tests import factories
from tests.conftest import login
from tests.test_accounts_registration import AGENCY_FORM

TRIES = 7


def _entries(db) -> int:
    return db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))


def _answer(client, url, data):
    """What the visitor sees: the status, where it leads and the page it leads to."""
    response = client.post(url, data=data)
    followed = client.get(response.headers["Location"]) if response.status_code == 302 else None
    return (
        response.status_code,
        response.headers.get("Location"),
        followed.get_data(as_text=True) if followed else response.get_data(as_text=True),
    )


def _median_seconds(client, url, data) -> float:
    times = []
    for _ in range(TRIES):
        start = time.perf_counter()
        response = client.post(url, data=data)
        times.append(time.perf_counter() - start)
        assert response.status_code in (302, 400), response.status_code
    return statistics.median(times)


def _assert_same_timing(known: float, unknown: float) -> None:
    # Generous: the difference fixed was 10x; noise on a shared machine is far below 2x.
    assert max(known, unknown) / min(known, unknown) < 2, (known, unknown)


# --- registration ---------------------------------------------------------------------
def test_registration_gives_one_answer_whether_or_not_the_email_has_an_account(client, db, outbox):
    factories.supplier_member(email="taken@example.org")
    db.session.commit()
    before = _entries(db)
    taken = _answer(client, "/accounts/register", {**AGENCY_FORM, "email": "Taken@example.org"})
    after_taken = _entries(db)
    free = _answer(client, "/accounts/register", {**AGENCY_FORM, "email": "free@example.org"})
    assert taken == free
    assert taken[0] == 302
    assert "Check your email" in taken[2]
    # Nothing stored either way (the public audit head's count would tell).
    assert before == after_taken == _entries(db)
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1
    # The owner is told how to sign in; the new address gets the link that creates it.
    owner_mail, new_mail = outbox
    assert owner_mail.recipients == ["taken@example.org"]
    assert "/accounts/password/forgot" in owner_mail.body
    assert new_mail.recipients == ["free@example.org"]
    assert re.search(r"/accounts/register/confirm/\S+", new_mail.body)


def test_registration_takes_as_long_for_a_known_email(client, db):
    factories.supplier_member(email="taken@example.org")
    db.session.commit()
    url = "/accounts/register"
    known = _median_seconds(client, url, {**AGENCY_FORM, "email": "taken@example.org"})
    unknown = _median_seconds(client, url, {**AGENCY_FORM, "email": "free@example.org"})
    _assert_same_timing(known, unknown)


# --- password reset -------------------------------------------------------------------
def test_password_reset_gives_one_answer_and_one_audit_entry(client, db, outbox):
    factories.supplier_member(email="ana@example.org")
    db.session.commit()
    url = "/accounts/password/forgot"
    before = _entries(db)
    known = _answer(client, url, {"email": "ana@example.org"})
    middle = _entries(db)
    unknown = _answer(client, url, {"email": "nobody@example.org"})
    assert known == unknown
    assert middle - before == _entries(db) - middle == 1
    assert [m.recipients for m in outbox] == [["ana@example.org"], ["nobody@example.org"]]


def test_password_reset_takes_as_long_for_a_known_email(client, db):
    factories.supplier_member(email="ana@example.org")
    db.session.commit()
    url = "/accounts/password/forgot"
    known = _median_seconds(client, url, {"email": "ana@example.org"})
    unknown = _median_seconds(client, url, {"email": "nobody@example.org"})
    _assert_same_timing(known, unknown)


# --- sign-in --------------------------------------------------------------------------
def test_each_failed_sign_in_is_audited_once_with_the_account_and_without_the_password(client, db):
    user = factories.supplier_member(email="ana@example.org")
    db.session.commit()
    wrong = "not-the-password-at-all-1"
    for expected_count in (1, 2):
        before = _entries(db)
        response = client.post("/accounts/login", data={"email": user.email, "password": wrong})
        assert response.status_code == 400
        assert _entries(db) == before + 1
        entry = db.session.scalar(sa.select(AuditEntry).order_by(AuditEntry.id.desc()))
        assert (entry.action, entry.object_type, entry.object_id) == (
            "user.sign_in_failed",
            "User",
            str(user.id),
        )
        assert entry.summary["failed_logins"] == expected_count
        assert wrong not in str(entry.summary)
        db.session.refresh(user)
        assert user.failed_logins == expected_count
    before = _entries(db)
    client.post("/accounts/login", data={"email": "nobody@example.org", "password": wrong})
    assert _entries(db) == before + 1  # an unknown email moves the log as far
    entry = db.session.scalar(sa.select(AuditEntry).order_by(AuditEntry.id.desc()))
    assert entry.action == "user.sign_in_failed"
    assert wrong not in str(entry.summary)


def test_a_locked_account_answers_as_slowly_as_an_unknown_email(client, db):
    user = factories.supplier_member(email="ana@example.org")
    db.session.commit()
    wrong = {"email": user.email, "password": "not-the-password-at-all-1"}
    for _ in range(5):
        client.post("/accounts/login", data=wrong)
    db.session.refresh(user)
    assert user.locked_until is not None
    locked = _median_seconds(client, "/accounts/login", wrong)
    unknown = _median_seconds(client, "/accounts/login", {**wrong, "email": "nobody@example.org"})
    _assert_same_timing(locked, unknown)


# --- panel invitations ----------------------------------------------------------------
def _invitation_link(outbox, email):
    message = next(m for m in outbox if m.recipients == [email])
    match = re.search(r"http://govtech\.test(/evaluation/invitations/\S+)", message.body)
    return match.group(1) if match else None


def test_panel_invitations_tell_the_agency_nothing_about_the_email(app, db, outbox):
    challenge, staff, _, _ = factories.evaluation_scenario(n_evaluators=0)
    expert = factories.evaluator(email="experta@example.org", name="Experta Conocida")
    bidder = factories.supplier_member(email="bidder@example.org", name="Postor Oculto")
    bidder.locale = "en"  # the email is in the owner's language; the checks below read English
    admin = factories.admin(email="admin@example.org", name="Admin Oculta")
    db.session.commit()
    client = app.test_client()
    login(client, staff.email, factories.PASSWORD)
    url = f"/evaluation/challenges/{challenge.id}/panel"
    emails = ["nadie@example.org", expert.email, bidder.email, admin.email]
    answers = []
    for email in emails:
        response = client.post(url, data={"email": email, "role_on_panel": "Experta"})
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        answers.append((response.status_code, response.headers["Location"], email in page))
    assert answers == [(302, url, True)] * 4
    panel_page = client.get(url).get_data(as_text=True)
    for name in ("Experta Conocida", "Postor Oculto", "Admin Oculta"):
        assert name not in panel_page
    assert panel_page.count(">Invited<") == 4
    assert panel_page.count(">Accepted<") == 0
    seated = db.session.scalars(
        sa.select(EvaluatorAssignment.user_id).where(EvaluatorAssignment.user_id.is_not(None))
    ).all()
    assert seated == []
    # The challenge's audit trail, which the agency reads, says no more.
    trail = client.get(f"/transparency/audit/challenges/{challenge.id}")
    assert "existing_account" not in trail.get_data(as_text=True)

    # The evaluator accepts signed in with their account.
    link = _invitation_link(outbox, expert.email)
    person = app.test_client()
    assert "/accounts/login" in person.get(link).headers["Location"]
    login(person, expert.email, factories.PASSWORD)
    assert person.get(link).status_code == 200
    assert person.post(link).headers["Location"].endswith("/evaluation/assignments")
    assert challenge.title in person.get("/evaluation/assignments").get_data(as_text=True)
    assert client.get(url).get_data(as_text=True).count(">Accepted<") == 1

    # A bidder's address is never seated, even following the link signed in.
    assert _invitation_link(outbox, bidder.email) is None
    bidder_message = next(m for m in outbox if m.recipients == [bidder.email])
    assert "cannot sit on an evaluation panel" in bidder_message.body
    assignment = db.session.scalar(
        sa.select(EvaluatorAssignment).where(EvaluatorAssignment.email == bidder.email)
    )
    from govtech.evaluation.panel import invitation_token

    bidder_client = app.test_client()
    login(bidder_client, bidder.email, factories.PASSWORD)
    bidder_link = f"/evaluation/invitations/{invitation_token(assignment)}"
    assert bidder_client.get(bidder_link).status_code == 403
    assert bidder_client.post(bidder_link).status_code == 403
    db.session.refresh(assignment)
    assert assignment.user_id is None
