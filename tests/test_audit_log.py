"""The audit log is hash-chained and its verification notices tampering."""

import sqlalchemy as sa

from govtech.audit.models import AuditEntry
from govtech.audit.services import chain_head, verify_chain
from tests import factories


def test_chain_links_and_verifies(db):
    factories.agency()
    factories.supplier_member()
    db.session.commit()
    entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert len(entries) >= 3
    for previous, entry in zip(entries, entries[1:], strict=False):
        assert entry.prev_hash == previous.entry_hash
    assert verify_chain() == (True, None, len(entries))
    assert chain_head().entry_hash == entries[-1].entry_hash


def test_altering_one_entry_breaks_the_chain(db):
    factories.agency()
    factories.supplier_member()
    db.session.commit()
    target = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()[1]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
        conn.execute(
            sa.text("UPDATE audit_entries SET action = 'forged' WHERE id = :id"), {"id": target.id}
        )
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("ALTER TABLE audit_entries ENABLE TRIGGER USER"))
    db.session.expire_all()
    intact, broken, _ = verify_chain()
    assert not intact
    assert broken.id == target.id


def test_postgresql_refuses_update_and_delete(db):
    if db.engine.dialect.name != "postgresql":
        import pytest

        pytest.skip("the append-only trigger exists on PostgreSQL")
    factories.agency()
    db.session.commit()
    import pytest

    with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_entries"))
