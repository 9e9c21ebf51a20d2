"""One JSON line per event on stderr, each carrying the request id."""

import logging
import sys
import uuid

from flask import g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter


def logger_levels(setting: str) -> dict[str, str]:
    """Parse LOG_LEVELS, "name=LEVEL,name=LEVEL"; an unknown level is a configuration error."""
    levels = {}
    for item in filter(None, (part.strip() for part in setting.split(","))):
        name, _, level = item.partition("=")
        level = level.strip().upper()
        if not name.strip() or level not in logging.getLevelNamesMapping():
            raise ValueError(f"LOG_LEVELS: {item!r} is not name=LEVEL")
        levels[name.strip()] = level
    return levels


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            record.request_id = getattr(g, "request_id", None)
            record.path = request.path
            record.method = request.method
        return True


def configure_logging(app) -> None:
    """Log to stderr as JSON; tag every request with an id (echoed in X-Request-ID)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", timestamp=True)
    )
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        root.addHandler(handler)
    # Libraries stay at WARNING: without HarfBuzz, fontTools alone logs hundreds of INFO lines
    # per award notice. Our own loggers ("govtech.*") and the dev server's access log keep
    # LOG_LEVEL; LOG_LEVELS ("fontTools=DEBUG,weasyprint=INFO") raises a library on request.
    root.setLevel(logging.WARNING)
    logging.getLogger("govtech").setLevel(app.config.get("LOG_LEVEL", "INFO"))
    for name, level in logger_levels(app.config.get("LOG_LEVELS", "")).items():
        logging.getLogger(name).setLevel(level)
    app.logger.handlers.clear()
    app.logger.propagate = True

    @app.before_request
    def _assign_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = (
            incoming if 8 <= len(incoming) <= 64 and incoming.isalnum() else (uuid.uuid4().hex)
        )

    @app.after_request
    def _echo_request_id(response):
        if getattr(g, "request_id", None):
            response.headers["X-Request-ID"] = g.request_id
        return response
