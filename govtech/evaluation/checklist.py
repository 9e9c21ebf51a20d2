"""Loading and reading the checklist of 30 recommendations."""

import functools
import json
from pathlib import Path

import sqlalchemy as sa
from flask_babel import get_locale

from govtech.audit.services import record
from govtech.evaluation.models import AppliesTo, ChecklistItem
from govtech.extensions import db


def read_checklist_file(seeds_dir: str) -> dict:
    """The checklist data file as a dict."""
    return json.loads((Path(seeds_dir) / "checklist.json").read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=16)
def _parsed(path: str, _mtime_ns: int):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _seed_data(path: Path):
    """A seeds data file parsed once per version of it (pages read it on every request);
    callers build their own values from it and never change it."""
    return _parsed(str(path), path.stat().st_mtime_ns)


def load_checklist(seeds_dir: str) -> tuple[int, int]:
    """Insert or update the items from seeds/checklist.json; return (created, updated).

    Codes are stable identifiers: wording changes update an item in place, never renumber it.
    """
    data = read_checklist_file(seeds_dir)
    existing = {item.code: item for item in db.session.scalars(sa.select(ChecklistItem))}
    created = updated = 0
    for position, raw in enumerate(data["items"], start=1):
        values = {
            "line_of_action": raw["line_of_action"],
            "applies_to": AppliesTo(raw["applies_to"]),
            "position": position,
            "title": raw["title"],
            "description": raw["description"],
            "looks_for": raw["looks_for"],
        }
        item = existing.get(raw["code"])
        if item is None:
            db.session.add(ChecklistItem(code=raw["code"], **values))
            created += 1
        elif any(getattr(item, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(item, key, value)
            updated += 1
    db.session.flush()
    if created or updated:
        record(
            "checklist.loaded", None, version=data.get("version"), created=created, updated=updated
        )
    return created, updated


def checklist_items(applies_to: AppliesTo | None = None) -> list[ChecklistItem]:
    """The items in their published order, optionally only one side."""
    stmt = sa.select(ChecklistItem).order_by(ChecklistItem.position)
    if applies_to is not None:
        stmt = stmt.where(ChecklistItem.applies_to == applies_to)
    return list(db.session.scalars(stmt))


def current_language() -> str:
    """The catalogue language of the current request, as used in the checklist file."""
    locale = get_locale()
    return str(locale) if locale else "es"


def lines_of_action(seeds_dir: str) -> dict[int, dict[str, str]]:
    """The three lines of action's titles by number."""
    return {
        line["number"]: dict(line["title"])
        for line in _seed_data(Path(seeds_dir) / "checklist.json")["lines_of_action"]
    }


def scoring_scale() -> list[dict]:
    """The 0–5 scale with its label and descriptor per level, in the current language."""
    from flask import current_app

    language = current_language()
    path = Path(current_app.config["SEEDS_DIR"]) / "scoring-scale.json"
    levels = _seed_data(path)["levels"]
    return [
        {
            "score": level["score"],
            "label": level["label"].get(language) or level["label"]["es"],
            "descriptor": level["descriptor"].get(language) or level["descriptor"]["es"],
        }
        for level in levels
    ]
