"""`/api/v1/results`, `/api/v1/ecosystem` and the OpenAPI document of the whole API."""

from flask import jsonify, url_for

from govtech.permissions import public
from govtech.query_arguments import Code, Integer, read_all, reads
from govtech.transparency import api, figures
from govtech.transparency.openapi import api_document

# Strict twins of the ecosystem page's filters: an API client is told a value is wrong.
ECOSYSTEM_ARGUMENTS = (
    Code("country", 2, "ISO 3166-1 alpha-2 country of the challenges, in either case."),
    Integer("year", 2000, 2100, "The year the challenges were published."),
)


@api.route("/results")
@public
def results():
    """Awarded and void challenges with winners, amounts, scores and notices."""
    return jsonify(results=figures.results())


@api.route("/ecosystem")
@public
@reads(*ECOSYSTEM_ARGUMENTS)
def ecosystem():
    """The ecosystem's figures (`?country=XX&year=YYYY`)."""
    filters = read_all(ECOSYSTEM_ARGUMENTS)
    return jsonify(figures.ecosystem(filters["country"], filters["year"]))


@api.route("/openapi.json")
@public
def openapi():
    """An OpenAPI 3.1 description generated from the app's own /api/v1 routes."""
    # The site's root, built on PUBLIC_BASE_URL when it is set (never on the Host header).
    return jsonify(api_document(server_url=url_for("site.home", _external=True).rstrip("/")))
