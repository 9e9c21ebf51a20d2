"""Site-wide pages: home, dashboard, language choice, health check and error pages."""

from flask import Blueprint
from werkzeug.routing import IntegerConverter

bp = Blueprint("site", __name__)


class IdConverter(IntegerConverter):
    """`<int:...>` in URLs: numbers past the database's INTEGER range match no route (404)
    instead of failing in the query (an overflow on SQLite, out of range on PostgreSQL)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


from govtech.site import errors, views  # noqa: E402, F401
