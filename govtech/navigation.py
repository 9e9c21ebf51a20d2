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
            and target.isprintable()  # no CR/LF (header injection) or other controls
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
        ("awards.verify", _("Verify a notice")),
        ("transparency.audit_head", _("Audit log")),
    ]
    return [
        (endpoint, label) for endpoint, label in items if endpoint in current_app.view_functions
    ]


def public_url(endpoint: str, **values) -> str:
    """An absolute URL for emails, PDFs and QR codes, also outside a request (CLI).

    With PUBLIC_BASE_URL set, every absolute URL is built on it (govtech.PublicURLFlask);
    without it (development), a request's own host, or the development server's address.
    """
    from flask import current_app, has_request_context

    if has_request_context() or current_app.config.get("PUBLIC_BASE_URL"):
        return url_for(endpoint, _external=True, **values)
    with current_app.test_request_context(base_url="http://127.0.0.1:5000"):
        return url_for(endpoint, _external=True, **values)
