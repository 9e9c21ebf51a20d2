"""Session lifetime (OWASP ASVS V3.3): an idle timeout and an absolute one.

Sessions live in signed cookies, so the times they carry cannot be forged; a copied cookie
still ends at these limits, and signing out rotates the user's session nonce so that every
copy of the old cookie stops working at once.
"""

from flask import current_app, flash, session
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from sqlalchemy.orm.util import identity_key

from govtech import clock, page_cache
from govtech.accounts.models import User
from govtech.extensions import cache, db

SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
SEEN_RESOLUTION_SECONDS = 60


def session_user(user_id: int) -> User | None:
    """The signed-in user's row, read from the database once per data version.

    Every change to a user (password, sign-out everywhere, role, profile) is audited and so
    moves the version; the row is kept as a detached copy in the page cache and attached
    to this request's session without a query. Code that reads a counter to change it
    (failed sign-ins) loads the row afresh with populate_existing.
    """
    if current_app.config["PAGE_CACHE_SECONDS"] <= 0:
        return db.session.get(User, user_id)
    key = f"session-user:{user_id}:{page_cache.data_version()}"
    kept = cache.get(key)
    if kept is not None:
        if db.session.identity_map.get(identity_key(User, user_id)) is None:
            db.session.add(kept)  # a detached copy of the row: attached as it is
            return kept
        return db.session.merge(kept, load=False)
    user = db.session.get(User, user_id)
    if user is not None:
        cache.set(key, user, timeout=current_app.config["PAGE_CACHE_SECONDS"])
    return user


def stamp_new_session() -> None:
    """Record when the session started (called at sign-in)."""
    now = clock.now().timestamp()
    session[SIGNED_IN_AT] = now
    session[SEEN_AT] = now


def enforce_session_timeouts() -> None:
    """End a signed-in session idle too long or older than the absolute limit."""
    if not current_user.is_authenticated:
        return
    now = clock.now().timestamp()
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    absolute = current_app.config["SESSION_ABSOLUTE_HOURS"] * 3600
    started = session.get(SIGNED_IN_AT, 0)
    seen = session.get(SEEN_AT, 0)
    if now - seen > idle or now - started > absolute:
        language = session.get("language")
        logout_user()
        session.clear()
        if language:
            session["language"] = language
        flash(_("Your session expired. Please sign in again."), "info")
        return
    # To the minute: rewriting (and re-signing) the cookie on every request costs more
    # than the idle limit gains from a finer clock.
    if now - seen >= SEEN_RESOLUTION_SECONDS:
        session[SEEN_AT] = now
