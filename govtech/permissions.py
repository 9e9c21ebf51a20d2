"""The one place where views declare who may reach them.

Every view carries exactly one of these decorators; `tests/test_security_matrix.py` fails
for a route without one. Object-level checks use the models' `can_*` methods via `ensure`.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user

from govtech.extensions import login_manager

PUBLIC = "public"
SIGNED_IN = "signed_in"


def _mark(view: Callable, policy: Any) -> Callable:
    view.access_policy = policy
    return view


def public(view: Callable) -> Callable:
    """Anyone, signed in or not, may reach this view."""
    return _mark(view, PUBLIC)


def signed_in(view: Callable) -> Callable:
    """Any signed-in user; anonymous visitors are sent to the login page."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return _mark(wrapper, SIGNED_IN)


def roles(*allowed) -> Callable[[Callable], Callable]:
    """Signed-in users with one of these roles; others get 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return _mark(wrapper, frozenset(allowed))

    return decorator


def ensure(allowed: bool, *, hide: bool = False) -> None:
    """Abort with 403 (or 404 when the object's existence must not be revealed)."""
    if not allowed:
        abort(404 if hide else 403)
