"""Session lifetime (OWASP ASVS V3.3): an idle timeout and an absolute one.

Sessions live in signed cookies, so the times they carry cannot be forged; a copied cookie
still ends at these limits, and signing out rotates the user's session nonce so that every
copy of the old cookie stops working at once.
"""

from flask import current_app, flash, session
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from govtech import clock

SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
SEEN_RESOLUTION_SECONDS = 60


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
