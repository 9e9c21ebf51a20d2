"""`/api/v1/results`, `/api/v1/ecosystem` and the OpenAPI document of the whole API."""

from flask import current_app, jsonify, request, url_for

from govtech.permissions import public
from govtech.transparency import api, figures


@api.route("/results")
@public
def results():
    """Awarded and void challenges with winners, amounts, scores and notices."""
    return jsonify(results=figures.results())


@api.route("/ecosystem")
@public
def ecosystem():
    """The ecosystem's figures (`?country=XX&year=YYYY`)."""
    from govtech.transparency.views import _ecosystem_filters

    country, year = _ecosystem_filters()
    return jsonify(figures.ecosystem(country, year))


def _parameters(rule) -> list[dict]:
    from werkzeug.routing import IntegerConverter

    return [
        {
            "name": arg,
            "in": "path",
            "required": True,
            "schema": {
                "type": "integer"
                if isinstance(rule._converters[arg], IntegerConverter)
                else "string"
            },
        }
        for arg in sorted(rule.arguments)
    ]


@api.route("/openapi.json")
@public
def openapi():
    """An OpenAPI 3 description generated from the app's own /api/v1 routes."""
    paths = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        view = current_app.view_functions[rule.endpoint]
        path = rule.rule
        for arg in rule.arguments:
            path = path.replace(f"<int:{arg}>", f"{{{arg}}}").replace(f"<{arg}>", f"{{{arg}}}")
        paths[path] = {
            "get": {
                "operationId": rule.endpoint,
                "summary": (view.__doc__ or "").strip().splitlines()[0] if view.__doc__ else "",
                "parameters": _parameters(rule),
                "responses": {
                    "200": {"description": "OK", "content": {"application/json": {}}},
                    "400": {"description": "Bad request"},
                    "404": {"description": "Not found"},
                },
            }
        }
    return jsonify(
        {
            "openapi": "3.0.3",
            "info": {
                "title": "Govtech Challenges public API",
                "version": "1",
                "description": "Read-only open data: challenges, results, the checklist and "
                "the ecosystem figures. OCDS packages are at /ocds/.",
            },
            "servers": [{"url": request.host_url.rstrip("/")}],
            "paths": dict(sorted(paths.items())),
            "externalDocs": {"url": url_for("transparency.data_dictionary", _external=True)},
        }
    )
