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

CSRF tokens are per session; pages are rendered with a marker where `csrf_token()` goes
and each response gets the viewer's own token, so a shared page never carries another
visitor's token.
"""

import functools
import hashlib
import hmac
import json
from collections.abc import Callable

import sqlalchemy as sa
from flask import Response, current_app, g, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from govtech import clock
from govtech.extensions import cache, db

# Called with the data version before the cache is consulted, e.g. to close challenges
# whose deadline passed (a change the page must show at once); a hook returns True when it
# committed a change, which moves the version.
BEFORE_LOOKUP: list[Callable[[int], bool]] = []

_CACHED_MIMETYPES = {"text/html", "application/json"}
_MAX_BODY_BYTES = 1024 * 1024
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


def data_version() -> int:
    """The id of the newest audit entry: it moves with every committed state change."""
    from govtech.audit.models import AuditEntry

    return db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0


def csrf_token_for_template() -> str:
    """`csrf_token()` in templates: a marker while a cacheable page renders, else the token."""
    if g.get("page_cache_rendering"):
        return _marker()
    return generate_csrf()


def cached_page(view: Callable) -> Callable:
    """Serve the view's 200 HTML or JSON from the cache while the data version holds.

    Put it under the route and permission decorators: those still run on every request.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        ttl = current_app.config["PAGE_CACHE_SECONDS"]
        if ttl <= 0 or request.method != "GET" or session.get("_flashes"):
            return view(*args, **kwargs)
        version = data_version()
        if [changed for hook in BEFORE_LOOKUP if (changed := hook(version))]:
            version = data_version()
        key = _key(ttl, version)
        entry = cache.get(key)
        if entry is None:
            g.page_cache_rendering = True
            try:
                response = make_response(view(*args, **kwargs))
            finally:
                g.page_cache_rendering = False
            entry = _entry(response)
            if entry is None:
                return _with_token(response)
            cache.set(key, entry, timeout=ttl)
        return _response(entry)

    return wrapper


def _viewer() -> str:
    if not current_user.is_authenticated:
        return "anonymous"
    # Forms carry per-session tokens: a signed-in user's pages are their session's own.
    token = session.get(_CSRF_FIELD) or ""
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


def _entry(response: Response) -> dict | None:
    """What to store of a response, or None when it must not be shared."""
    if (
        response.status_code != 200
        or response.direct_passthrough
        or response.mimetype not in _CACHED_MIMETYPES
        or "Set-Cookie" in response.headers
        or session.get("_flashes")
    ):
        return None
    # A form rendered a real token for an anonymous visitor: that page is theirs alone.
    if not current_user.is_authenticated and _CSRF_FIELD in g:
        return None
    body = response.get_data()
    if len(body) > _MAX_BODY_BYTES:
        return None
    headers = [(k, v) for k, v in response.headers.items() if k != "Content-Length"]
    return {"body": body, "headers": headers}


def _response(entry: dict) -> Response:
    response = Response(entry["body"], status=200, headers=entry["headers"])
    return _with_token(response)


def _with_token(response: Response) -> Response:
    if response.direct_passthrough or response.mimetype != "text/html":
        return response
    marker = _marker().encode()
    body = response.get_data()
    if marker in body:
        response.set_data(body.replace(marker, generate_csrf().encode()))
    return response


def _marker() -> str:
    # Derived from the secret: the same in every worker, and not guessable by a user who
    # could otherwise write it into a question to have it replaced.
    secret = current_app.config["SECRET_KEY"].encode()
    return "csrf-" + hmac.new(secret, b"page-cache-csrf-marker", "sha256").hexdigest()[:32]
