"""`/api/v1/checklist`: the 30 recommendations as JSON."""

from flask import current_app, jsonify, request

from govtech.evaluation import api
from govtech.evaluation.checklist import checklist_items, current_language
from govtech.permissions import public


@api.route("/checklist")
@public
def checklist():
    """Every checklist item in the requested language (`?lang=es|pt_BR|en`)."""
    language = request.args.get("lang") or current_language()
    if language not in current_app.config["LANGUAGES"]:
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
    return jsonify(
        language=language,
        items=[
            {
                "code": item.code,
                "line_of_action": item.line_of_action,
                "title": item.text("title", language),
                "description": item.text("description", language),
                "looks_for": item.text("looks_for", language),
                "applies_to": item.applies_to.value,
            }
            for item in checklist_items()
        ],
    )
