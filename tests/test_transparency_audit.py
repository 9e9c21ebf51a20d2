"""The audit log's public chain head, agency trails and the `audit verify` command."""

import sqlalchemy as sa

from govtech.audit.models import AuditEntry
from govtech.audit.services import chain_head
from tests import factories
from tests.conftest import login


def test_audit_verify_command_passes_then_fails_after_tampering(runner, db):
    factories.published_challenge()
    db.session.commit()
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0
    assert "intact" in ok.output
    target = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()[2]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
        conn.execute(
            sa.text("UPDATE audit_entries SET actor_label = 'someone-else' WHERE id = :id"),
            {"id": target.id},
        )
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("ALTER TABLE audit_entries ENABLE TRIGGER USER"))
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1
    assert f"entry {target.id}" in broken.output


def test_public_chain_head(client, db):
    factories.published_challenge()
    db.session.commit()
    page = client.get("/transparency/audit").get_data(as_text=True)
    assert chain_head().entry_hash in page


def test_agency_sees_its_challenge_trail_only(app, db):
    staff = factories.agency_staff()
    challenge = factories.published_challenge(staff)
    outsider = factories.agency_staff()
    admin = factories.admin()
    member = factories.supplier_member()
    db.session.commit()
    url = f"/transparency/audit/challenges/{challenge.id}"
    for user, expected in ((staff, 200), (admin, 200), (outsider, 403), (member, 403)):
        client = app.test_client()
        login(client, user.email, factories.PASSWORD)
        response = client.get(url)
        assert response.status_code == expected, user.email
        if expected == 200:
            assert "challenge.published" in response.get_data(as_text=True)
    assert app.test_client().get(url).status_code == 302
    admin_client = app.test_client()
    login(admin_client, admin.email, factories.PASSWORD)
    assert admin_client.get("/transparency/audit/all").status_code == 200
