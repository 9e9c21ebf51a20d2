"""Each role reaches what it should and nothing else."""

import sqlalchemy as sa

from govtech.audit.models import AuditEntry
from tests import factories
from tests.conftest import login


def _signed_in(app, user):
    client = app.test_client()
    login(client, user.email, factories.PASSWORD)
    return client


def test_anonymous_is_sent_to_login(client, db):
    for path in ("/dashboard", "/accounts/agencies"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/accounts/login?next=" in response.headers["Location"]


def test_only_admin_sees_and_verifies_agencies(app, db):
    agency = factories.agency(verified=False, code="NEW-AG")
    admin = factories.admin()
    staff = factories.agency_staff(agency)
    member = factories.supplier_member()
    evaluator = factories.evaluator()
    db.session.commit()

    for user in (staff, member, evaluator):
        client = _signed_in(app, user)
        assert client.get("/accounts/agencies").status_code == 403
        assert client.post(f"/accounts/agencies/{agency.id}/verify").status_code == 403
    db.session.refresh(agency)
    assert not agency.is_verified

    client = _signed_in(app, admin)
    assert "NEW-AG" in client.get("/accounts/agencies").get_data(as_text=True)
    assert client.post(f"/accounts/agencies/{agency.id}/verify").status_code == 302
    db.session.refresh(agency)
    assert agency.is_verified
    assert agency.verified_by_id == admin.id
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "agency.verified"))
    assert entry.actor_id == admin.id
    assert entry.agency_id == agency.id


def test_verifying_unknown_agency_is_404_not_500(app, db):
    admin = factories.admin()
    db.session.commit()
    assert _signed_in(app, admin).post("/accounts/agencies/99999/verify").status_code == 404


def test_every_role_has_a_dashboard(app, db):
    users = [
        factories.admin(),
        factories.agency_staff(),
        factories.supplier_member(),
        factories.evaluator(),
    ]
    db.session.commit()
    for user in users:
        page = _signed_in(app, user).get("/dashboard")
        assert page.status_code == 200
        assert user.full_name in page.get_data(as_text=True)
