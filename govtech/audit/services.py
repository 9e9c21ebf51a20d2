"""Writing and checking the audit log."""

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from flask_login import current_user

from govtech import clock
from govtech.audit.models import GENESIS_HASH, AuditEntry
from govtech.extensions import db

# Any fixed 64-bit number: the PostgreSQL advisory lock that serialises chain appends.
_CHAIN_LOCK_KEY = 7_310_002_026


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "value"):  # enums
        return value.value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def record(
    action: str,
    obj: Any,
    *,
    actor: Any = None,
    agency_id: int | None = None,
    challenge_id: int | None = None,
    **summary: Any,
) -> AuditEntry:
    """Append an audit entry for `action` on `obj`, chained to the previous entry.

    The actor defaults to the signed-in user; `summary` holds before/after values and reasons.
    """
    if actor is None:
        actor = current_user if current_user and current_user.is_authenticated else None
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        # Held until commit, so concurrent writers append one after another.
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(_CHAIN_LOCK_KEY)))
    session.flush()
    last_hash = session.scalar(
        sa.select(AuditEntry.entry_hash).order_by(AuditEntry.id.desc()).limit(1)
    )
    entry = AuditEntry(
        created_at=clock.now(),
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", None) or "system",
        action=action,
        object_type=type(obj).__name__ if obj is not None else "platform",
        object_id=str(getattr(obj, "id", "") or ""),
        agency_id=agency_id,
        challenge_id=challenge_id,
        summary=_jsonable(summary),
        prev_hash=last_hash or GENESIS_HASH,
    )
    entry.entry_hash = entry.compute_hash()
    session.add(entry)
    session.flush()
    return entry


def iter_chain(batch_size: int = 1000) -> Iterator[AuditEntry]:
    """Yield every entry in chain order, a batch at a time."""
    last_id = 0
    while True:
        batch = db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.id > last_id)
            .order_by(AuditEntry.id)
            .limit(batch_size)
            # Always what the database holds now, never a copy already in the session.
            .execution_options(populate_existing=True)
        ).all()
        if not batch:
            return
        yield from batch
        last_id = batch[-1].id
        db.session.expunge_all()


def verify_chain() -> tuple[bool, AuditEntry | None, int]:
    """Walk the chain; return (intact, first broken entry or None, entries checked)."""
    expected_prev = GENESIS_HASH
    checked = 0
    for entry in iter_chain():
        checked += 1
        if entry.prev_hash != expected_prev or entry.compute_hash() != entry.entry_hash:
            return False, entry, checked
        expected_prev = entry.entry_hash
    return True, None, checked


def chain_head() -> AuditEntry | None:
    """The latest entry, whose hash commits to the whole log."""
    return db.session.scalar(sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
