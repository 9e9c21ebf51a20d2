"""Evaluation pages: the public checklist."""

from itertools import groupby

from flask import current_app, render_template

from govtech.evaluation import bp
from govtech.evaluation.checklist import checklist_items, current_language, lines_of_action
from govtech.permissions import public


@bp.route("/checklist")
@public
def checklist():
    """The 30 recommendations by line of action, as evaluators and agencies use them."""
    language = current_language()
    items = checklist_items()
    lines = lines_of_action(current_app.config["SEEDS_DIR"])
    grouped = [
        (number, lines[number].get(language) or lines[number]["es"], list(group))
        for number, group in groupby(items, key=lambda item: item.line_of_action)
    ]
    return render_template("evaluation/checklist.html", lines=grouped, language=language)
