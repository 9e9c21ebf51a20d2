"""Sign-in, lockout, sign-out and safe redirects."""

import datetime as dt

import sqlalchemy as sa
import time_machine

from govtech import clock
from govtech.audit.models import AuditEntry
from tests import factories
from tests.conftest import login


def _member(db, email="ana@example.org"):
    user = factories.supplier_member(email=email)
    db.session.commit()
    return user


def test_login_and_logout(client, db):
    _member(db)
    response = client.post(
        "/accounts/login", data={"email": "ANA@example.org ", "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard")
    assert client.get("/dashboard").status_code == 200
    assert client.get("/accounts/logout").status_code == 405  # sign-out is POST only
    client.post("/accounts/logout")
    assert client.get("/dashboard").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_message(client, db):
    _member(db)
    wrong = client.post("/accounts/login", data={"email": "ana@example.org", "password": "nope"})
    unknown = client.post(
        "/accounts/login", data={"email": "ghost@example.org", "password": "nope"}
    )
    assert wrong.status_code == unknown.status_code == 400
    message = "Email or password is incorrect, or the account is temporarily locked."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_missing_fields_on_login(client, db):
    response = client.post("/accounts/login", data={"email": "", "password": ""})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="email-error-1"' in page
    assert 'id="password-error-1"' in page


def test_lockout_after_repeated_failures_then_expires(client, db):
    user = _member(db)
    for _ in range(5):
        client.post("/accounts/login", data={"email": user.email, "password": "wrong"})
    locked = client.post(
        "/accounts/login", data={"email": user.email, "password": factories.PASSWORD}
    )
    assert locked.status_code == 400  # right password, but locked: same generic message
    with time_machine.travel(clock.now() + dt.timedelta(minutes=16), tick=False):
        assert login(client, user.email, factories.PASSWORD).status_code == 302


def test_session_is_rotated_at_login(client, db):
    user = _member(db)
    with client.session_transaction() as session:
        session["planted"] = "by-an-attacker"
    login(client, user.email, factories.PASSWORD)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].startswith(f"{user.id}:")


def test_next_redirect_stays_on_site(client, db):
    user = _member(db)
    for target in ("https://evil.example.com/", "//evil.example.com", "/\\evil.example.com"):
        response = client.post(
            f"/accounts/login?next={target}",
            data={"email": user.email, "password": factories.PASSWORD},
        )
        assert response.headers["Location"].endswith("/dashboard"), target
        client.post("/accounts/logout")
    response = client.post(
        "/accounts/login?next=/accounts/agencies",
        data={"email": user.email, "password": factories.PASSWORD},
    )
    assert response.headers["Location"].endswith("/accounts/agencies")
    # A line break in `next` would split the Location header: refused, not a 500.
    response = client.post("/language", data={"language": "es", "next": "/challenges\nX-Evil: 1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_deactivated_user_cannot_sign_in(client, db):
    user = _member(db)
    user.active = False
    db.session.commit()
    response = client.post(
        "/accounts/login", data={"email": user.email, "password": factories.PASSWORD}
    )
    assert response.status_code == 400


def test_signing_out_ends_every_copy_of_the_session(app, client, db):
    user = _member(db)
    login(client, user.email, factories.PASSWORD)
    with client.session_transaction() as session:
        stolen = dict(session)  # what someone who copied the cookie holds
    client.post("/accounts/logout")
    thief = app.test_client()
    with thief.session_transaction() as session:
        session.update(stolen)
    assert thief.get("/dashboard").headers["Location"].startswith("/accounts/login")
    actions = [e.action for e in db.session.scalars(sa.select(AuditEntry))]
    assert "user.signed_out" in actions


def test_sessions_end_when_idle_and_after_the_absolute_limit(app, client, db):
    user = _member(db)
    idle = app.config["SESSION_IDLE_MINUTES"]
    with time_machine.travel(clock.now(), tick=False) as traveller:
        login(client, user.email, factories.PASSWORD)
        traveller.shift(dt.timedelta(minutes=idle - 1))
        assert client.get("/dashboard").status_code == 200  # activity keeps it alive
        traveller.shift(dt.timedelta(minutes=idle - 1))
        assert client.get("/dashboard").status_code == 200
        traveller.shift(dt.timedelta(minutes=idle + 1))
        expired = client.get("/dashboard", follow_redirects=True)
        assert "Your session expired. Please sign in again." in expired.get_data(as_text=True)
        assert "/accounts/login" in expired.request.path
    with time_machine.travel(clock.now(), tick=False) as traveller:
        login(client, user.email, factories.PASSWORD)
        hours = app.config["SESSION_ABSOLUTE_HOURS"]
        for _ in range(hours * 60 // (idle - 1) + 1):  # active all along, never idle
            traveller.shift(dt.timedelta(minutes=idle - 1))
            response = client.get("/dashboard")
            if response.status_code != 200:
                break
        assert response.headers["Location"].startswith("/accounts/login")


def test_changing_the_password_needs_the_current_one_and_ends_other_sessions(app, client, db):
    user = _member(db)
    login(client, user.email, factories.PASSWORD)
    other_device = app.test_client()
    login(other_device, user.email, factories.PASSWORD)
    new = "otra clave larga de la pyme 2026"
    wrong = client.post(
        "/accounts/password",
        data={"current": "not it", "password": new, "confirm": new},
    )
    assert wrong.status_code == 400
    assert "The current password is not right." in wrong.get_data(as_text=True)
    db.session.refresh(user)
    assert user.failed_logins == 1  # counts towards the lockout, as at sign-in
    weak = client.post(
        "/accounts/password",
        data={"current": factories.PASSWORD, "password": "123", "confirm": "123"},
    )
    assert weak.status_code == 400
    done = client.post(
        "/accounts/password",
        data={"current": factories.PASSWORD, "password": new, "confirm": new},
    )
    assert done.headers["Location"].endswith("/dashboard")
    assert client.get("/dashboard").status_code == 200  # this session carries on
    assert other_device.get("/dashboard").headers["Location"].startswith("/accounts/login")
    login(app.test_client(), user.email, new)
    actions = [e.action for e in db.session.scalars(sa.select(AuditEntry))]
    assert "user.password_changed" in actions
