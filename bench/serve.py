"""The WSGI app gunicorn serves during the bench: the platform, plus a bare Flask app under
/__bare/ that returns a fixed string (the ceiling). The bare app lives only here, never in
the platform itself."""

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from govtech import create_app

CEILING_PATH = "/__bare/"


def bare_app() -> Flask:
    """The smallest Flask app: one route, a fixed string."""
    bare = Flask("bare")

    @bare.route("/")
    def fixed():
        """A fixed string: no template, no database, no extensions."""
        return "ok"

    return bare


app = DispatcherMiddleware(create_app(), {CEILING_PATH.rstrip("/"): bare_app()})
