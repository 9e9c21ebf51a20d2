"""Password reset through a signed, expiring, single-use emailed link."""

import datetime as dt
import re

import time_machine

from govtech import clock
from tests import factories
from tests.conftest import login

NEW_PASSWORD = "another-long-passphrase-77"


def _reset_link(outbox) -> str:
    assert len(outbox) == 1, [m.recipients for m in outbox]
    match = re.search(r"http://govtech\.test(/accounts/password/reset/\S+)", outbox[0].body)
    assert match, outbox[0].body
    return match.group(1)


def test_reset_flow(client, db, outbox):
    user = factories.supplier_member(email="ana@example.org")
    db.session.commit()
    response = client.post("/accounts/password/forgot", data={"email": "ana@example.org"})
    assert response.status_code == 302
    assert outbox[0].recipients == ["ana@example.org"]
    link = _reset_link(outbox)
    assert (
        client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code
        == 302
    )
    login(client, user.email, NEW_PASSWORD)
    # The link works once: the password it was bound to has changed.
    client.post("/accounts/logout")
    again = client.post(
        link, data={"password": "yet-another-passphrase-1", "confirm": "yet-another-passphrase-1"}
    )
    assert again.status_code == 302
    assert again.headers["Location"].endswith("/password/forgot")


def test_unknown_email_gets_the_same_answer_and_a_mail_without_a_link(client, db, outbox):
    factories.supplier_member(email="ana@example.org")
    db.session.commit()
    known = client.post(
        "/accounts/password/forgot", data={"email": "ana@example.org"}, follow_redirects=True
    )
    unknown = client.post(
        "/accounts/password/forgot", data={"email": "nobody@example.org"}, follow_redirects=True
    )
    text = "If an account exists for that email"
    assert text in known.get_data(as_text=True)
    assert text in unknown.get_data(as_text=True)
    assert [m.recipients for m in outbox] == [["ana@example.org"], ["nobody@example.org"]]
    assert "/accounts/password/reset/" not in outbox[1].body
    assert "No active account uses this address" in outbox[1].body


def test_expired_link_refused(client, db, outbox):
    factories.supplier_member(email="ana@example.org")
    db.session.commit()
    client.post("/accounts/password/forgot", data={"email": "ana@example.org"})
    link = _reset_link(outbox)
    with time_machine.travel(clock.now() + dt.timedelta(hours=2), tick=False):
        response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.headers["Location"].endswith("/password/forgot")
    assert (
        client.post(
            "/accounts/login", data={"email": "ana@example.org", "password": NEW_PASSWORD}
        ).status_code
        == 400
    )


def test_weak_new_password_refused(client, db, outbox):
    factories.supplier_member(email="ana@example.org")
    db.session.commit()
    client.post("/accounts/password/forgot", data={"email": "ana@example.org"})
    link = _reset_link(outbox)
    response = client.post(link, data={"password": "short", "confirm": "short"})
    assert response.status_code == 400
    assert 'id="password-error-1"' in response.get_data(as_text=True)


def test_reset_signs_out_other_sessions(app, db, outbox):
    user = factories.supplier_member(email="ana@example.org")
    db.session.commit()
    other_device = app.test_client()
    login(other_device, user.email, factories.PASSWORD)
    client = app.test_client()
    client.post("/accounts/password/forgot", data={"email": "ana@example.org"})
    client.post(_reset_link(outbox), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert other_device.get("/dashboard").status_code == 302
