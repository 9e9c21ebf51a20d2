"""Error pages in the site's layout, and JSON errors for the API."""

import logging

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from govtech.extensions import db

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path.endswith(".json")


def _titles() -> dict[int, str]:
    return {
        400: _("The request could not be understood"),
        403: _("You do not have access to this page"),
        404: _("Page not found"),
        405: _("This action is not allowed here"),
        413: _("The file is too large"),
        429: _("Too many attempts"),
        500: _("Something went wrong on our side"),
    }


def _explanations() -> dict[int, str]:
    return {
        400: _("Check what you entered and try again. If the form expired, reload the page."),
        403: _(
            "Your account does not have permission for this page or action. If you think "
            "it should, contact the organisation that manages it."
        ),
        404: _("The address may be mistyped, or the page may have been removed."),
        405: _("Go back and use the buttons on the page."),
        413: _(
            "Files may be at most 10 MB each. Reduce the file size and try again; nothing "
            "you entered before has been lost."
        ),
        429: _("For your security we limit repeated attempts. Wait a minute and try again."),
        500: _("The error has been recorded with a reference. Please try again later."),
    }


def handle_http_error(error: HTTPException):
    """Render an HTTP error in the layout (or as JSON under /api/)."""
    code = error.code or 500
    title = _titles().get(code, error.name)
    # Only the body is ours: the exception's headers (`Allow` on a 405, which RFC 9110
    # requires) go out with it.
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    if _wants_json():
        body = {"error": title, "status": code}
        if code == 400 and error.description != type(error).description:
            body["detail"] = str(error.description)  # which argument, and why
        return jsonify(body), code, headers
    return (
        render_template(
            "errors/error.html",
            code=code,
            title=title,
            explanation=_explanations().get(code, ""),
            description=error.description if code == 400 else None,
        ),
        code,
        headers,
    )


def handle_unexpected_error(error: Exception):
    """Log with the request id and show a 500 page that reveals nothing internal."""
    db.session.rollback()
    log.exception("unhandled error")
    if _wants_json():
        return jsonify(error=_titles()[500], status=500), 500
    return (
        render_template(
            "errors/error.html",
            code=500,
            title=_titles()[500],
            explanation=_explanations()[500],
            description=None,
        ),
        500,
    )


def register_error_handlers(app) -> None:
    """Attach the handlers to the app."""
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected_error)
