"""Every committed write the app makes must come with an audit entry.

The rule is the platform's (every state change is audited) and the page cache depends on it:
the newest audit entry's id is the version cached pages are keyed on, so a write that does
not append to the log would leave a cached page stale. The guard watches the statements of
the app that serves the test clients (not the tests' own setup, which writes directly) and
records each transaction that wrote a table but appended no audit entry.
"""

import re

import sqlalchemy as sa

_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
_SET_COLUMNS = re.compile(r"\bSET\s+(.*?)(?:\bWHERE\b|$)", re.IGNORECASE | re.DOTALL)

# Columns a request may change without an audit entry, by table: none. Every sign-in
# attempt writes one (user.signed_in, user.sign_in_failed or user.locked), so the
# failed-attempt counter, the lockout and the last sign-in time are audited with it; a
# counter that is ever exempted must be named here with the reason.
UNAUDITED_COLUMNS: dict[str, set[str]] = {}


class AuditGuard:
    """Collects unaudited transactions of one engine."""

    def __init__(self) -> None:
        self.violations: list[list[str]] = []

    def install(self, engine: sa.Engine) -> None:
        sa.event.listen(engine, "before_cursor_execute", self._statement)
        sa.event.listen(engine, "commit", self._commit)
        sa.event.listen(engine, "rollback", self._rollback)

    def _statement(self, conn, _cursor, statement, _params, _context, _executemany) -> None:
        match = _WRITE.match(statement)
        if not match:
            return
        table = match.group(1).lower()
        columns = set()
        if statement.lstrip()[:6].upper() == "UPDATE":
            assignments = _SET_COLUMNS.search(statement)
            if assignments:
                columns = {
                    part.split("=")[0].strip().strip('"').lower()
                    for part in assignments.group(1).split(",")
                    if "=" in part
                }
        conn.info.setdefault("guard_writes", []).append((table, columns, statement[:120]))

    def _commit(self, conn) -> None:
        writes = conn.info.pop("guard_writes", [])
        if any(table == "audit_entries" for table, _, _ in writes):
            return
        unaudited = [
            statement
            for table, columns, statement in writes
            if not (columns and columns <= UNAUDITED_COLUMNS.get(table, set()))
        ]
        if unaudited:
            self.violations.append(unaudited)

    def _rollback(self, conn) -> None:
        conn.info.pop("guard_writes", None)
