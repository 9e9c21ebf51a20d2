"""Whole-page caching of read-only pages, keyed on the audit chain's head.

Every committed state change appends to the audit log (`tests/test_audit_completeness.py`
holds every request of the suite to it), and appends are serialised in commit order, so
the id of the newest audit entry is a version of everything a page can show. A cached page
is served only while that id is unchanged, for at most PAGE_CACHE_SECONDS (what the clock
alone changes, such as "closes in 2 hours", is never older than that), and only to the
viewer it was rendered for: anonymous visitors share pages, a signed-in user's pages are
keyed on their session. The cache may be per worker (the default) or shared (Redis): the
version comes from the database, so no worker ever serves a page older than a commit it
can see. Pages with pending flash messages are never cached.

CSRF tokens are per session, so a page that holds one is never shared: visitors' pages
have no forms that need one (the language switcher does not, for them), and a page whose
render made a token for a visitor is not stored. Pages are stored gzip-compressed as well,
and served so to clients that accept it.
"""

import functools
import gzip
import hashlib
import json
from collections.abc import Callable

import sqlalchemy as sa
from flask import Response, current_app, g, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user

from govtech import clock
from govtech.extensions import cache, db

# Called with the data version before the cache is consulted, e.g. to close challenges
# whose deadline passed (a change the page must show at once); a hook returns True when it
# committed a change, which moves the version.
BEFORE_LOOKUP: list[Callable[[int], bool]] = []

_CACHED_MIMETYPES = {"text/html", "application/json"}
_MAX_BODY_BYTES = 1024 * 1024
_MIN_GZIP_BYTES = 1024
_CSRF_FIELD = "csrf_token"


def remembered(name: str, version: int, compute: Callable[[], object]) -> object:
    """A value derived from the data, computed once per data version (e.g. the next
    deadline); it is kept in the page cache, so it follows the same invalidation."""
    key = f"derived:{name}:{version}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=current_app.config["PAGE_CACHE_SECONDS"])
    return value


def data_version(*, fresh: bool = False) -> int:
    """The id of the newest audit entry: it moves with every committed state change.

    Read once per request (the signed-in user and the page are looked up with the same
    version), by the liveness check of a connection check-out
    (`read_version_at_checkout`); `fresh` reads it again, after this request committed a
    change.
    """
    if fresh or "data_version" not in g:
        version = None
        if not fresh:
            # A connection of its own, not the ORM session's: a page served from the
            # cache then never starts a session transaction.
            with db.engine.connect() as connection:
                version = connection.info.get(_CHECKOUT_VERSION)
        if version is None:
            version = db.session.execute(_newest_audit_entry()).scalar() or 0
        g.data_version = version
    return g.data_version


_CHECKOUT_VERSION = "data_version_at_checkout"


def _newest_audit_entry() -> sa.Select:
    # A Core statement on the table: on every request, the ORM's layer is not needed.
    from govtech.audit.models import AuditEntry

    return sa.select(sa.func.max(AuditEntry.__table__.c.id))


def read_version_at_checkout(engine: sa.Engine) -> None:
    """Make each connection check-out read the data version, as its liveness check.

    In place of SQLAlchemy's pre-ping: a cached page then costs one round trip to the
    database instead of four (BEGIN and the ping, the version, ROLLBACK). The read runs
    outside a transaction, so PostgreSQL sends no BEGIN, and the connection goes back to
    the pool with nothing to roll back. A dead connection (the server restarted) is
    replaced before the request uses it, and the rest of the pool with it, as the pre-ping
    did. A version read at check-out can only be older than the data the request then
    reads: a page is never stored under a version newer than what it shows.
    """
    dialect = engine.dialect
    statement = str(_newest_audit_entry().compile(dialect=dialect))
    # psycopg begins a transaction before any statement unless in autocommit mode.
    toggles_autocommit = dialect.driver in {"psycopg", "psycopg2"}

    @sa.event.listens_for(engine, "checkout")
    def read_version(dbapi_connection, connection_record, _proxy):
        connection_record.info[_CHECKOUT_VERSION] = None
        try:
            previous = toggles_autocommit and dbapi_connection.autocommit
            if toggles_autocommit:
                dbapi_connection.autocommit = True
            try:
                cursor = dbapi_connection.cursor()
                try:
                    cursor.execute(statement)
                    newest = cursor.fetchone()[0]
                finally:
                    cursor.close()
            finally:
                if toggles_autocommit:
                    dbapi_connection.autocommit = previous
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise sa.exc.InvalidatePoolError(str(error)) from error
            # No audit table yet (a database before its first migration): the version
            # is then read by query, if at all.
            return
        connection_record.info[_CHECKOUT_VERSION] = newest or 0


def cached_page(view: Callable) -> Callable:
    """Serve the view's 200 HTML or JSON from the cache while the data version holds.

    Put it under the route and permission decorators: those still run on every request.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        ttl = current_app.config["PAGE_CACHE_SECONDS"]
        if ttl <= 0 or request.method != "GET" or session.get("_flashes"):
            return view(*args, **kwargs)
        if current_user.is_authenticated and _CSRF_FIELD not in session:
            # The page's forms will carry a token made now for this session: not one to
            # store (a client that drops the cookie would get a new one every time).
            return view(*args, **kwargs)
        version = data_version()
        if [changed for hook in BEFORE_LOOKUP if (changed := hook(version))]:
            version = data_version(fresh=True)
        key = _key(ttl, version)
        entry = cache.get(key)
        if entry is None:
            response = make_response(view(*args, **kwargs))
            entry = _entry(response, holds_token=_CSRF_FIELD in g)
            if entry is None:
                return response
            cache.set(key, entry, timeout=ttl)
        return _response(entry)

    return wrapper


def _viewer() -> str:
    if not current_user.is_authenticated:
        return "anonymous"
    # Forms carry per-session tokens: a signed-in user's pages are their session's own.
    token = session[_CSRF_FIELD]
    digest = hashlib.sha256(token.encode()).hexdigest()[:16]
    return f"{current_user.id}:{current_user.session_nonce}:{digest}"


def _key(ttl: int, version: int) -> str:
    bucket = int(clock.now().timestamp() // ttl)
    parts = [
        request.endpoint,
        request.host_url,
        request.full_path,
        str(get_locale()),
        _viewer(),
        version,
        bucket,
    ]
    return "page:" + hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def _entry(response: Response, holds_token: bool) -> dict | None:
    """What to store of a response, or None when it must not be shared."""
    if (
        response.status_code != 200
        or response.direct_passthrough
        or response.mimetype not in _CACHED_MIMETYPES
        or "Set-Cookie" in response.headers
        or session.get("_flashes")
    ):
        return None
    # A form made a CSRF token for a visitor: that page is theirs alone.
    if holds_token and not current_user.is_authenticated:
        return None
    body = response.get_data()
    if len(body) > _MAX_BODY_BYTES:
        return None
    headers = [(k, v) for k, v in response.headers.items() if k != "Content-Length"]
    headers.append(("Vary", "Accept-Encoding"))
    entry = {"body": body, "headers": headers, "gzip": None}
    # Compressed once here, not on every request.
    if len(body) >= _MIN_GZIP_BYTES:
        entry["gzip"] = gzip.compress(body, compresslevel=6, mtime=0)
    return entry


def _response(entry: dict) -> Response:
    if entry["gzip"] is not None and "gzip" in request.accept_encodings:
        response = Response(entry["gzip"], status=200, headers=entry["headers"])
        response.headers["Content-Encoding"] = "gzip"
        return response
    return Response(entry["body"], status=200, headers=entry["headers"])
