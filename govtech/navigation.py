"""Safe redirects after sign-in: only to paths on this site."""

from urllib.parse import urlsplit

from flask import url_for


def safe_next(target: str | None, default_endpoint: str = "site.dashboard") -> str:
    """Return `target` if it is a local path, else the default page (refuses open redirects)."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
            and "\\" not in target
        ):
            return target
    return url_for(default_endpoint)


def main_navigation() -> list[tuple[str, str]]:
    """The header links, for the sections this installation has."""
    from flask import current_app
    from flask_babel import gettext as _

    items = [
        ("challenges.catalogue", _("Challenges")),
        ("transparency.results", _("Results")),
        ("transparency.ecosystem", _("Ecosystem")),
        ("evaluation.checklist", _("Checklist")),
    ]
    return [
        (endpoint, label) for endpoint, label in items if endpoint in current_app.view_functions
    ]
