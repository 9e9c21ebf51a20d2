"""The checklist of 30 recommendations: loaded from seeds, stable codes, JSON API."""

import json
import re
from collections import Counter

import sqlalchemy as sa

from govtech.evaluation.checklist import load_checklist, read_checklist_file
from govtech.evaluation.models import ChecklistItem


def test_seed_loads_30_items_10_per_line_idempotently(runner, db):
    result = runner.invoke(args=["seed", "checklist"])
    assert "30 created" in result.output
    items = db.session.scalars(sa.select(ChecklistItem).order_by(ChecklistItem.position)).all()
    assert len(items) == 30
    assert Counter(i.line_of_action for i in items) == {1: 10, 2: 10, 3: 10}
    assert all(re.fullmatch(rf"L{i.line_of_action}\.\d\d", i.code) for i in items)
    assert [i.code for i in items][:3] == ["L1.01", "L1.02", "L1.03"]
    ids = {i.code: i.id for i in items}
    again = runner.invoke(args=["seed", "checklist"])
    assert "0 created, 0 updated" in again.output
    assert {i.code: i.id for i in db.session.scalars(sa.select(ChecklistItem))} == ids


def test_reworded_item_is_updated_in_place(db, tmp_path, app):
    source = app.config["SEEDS_DIR"]
    load_checklist(source)
    first_id = db.session.scalar(sa.select(ChecklistItem.id).where(ChecklistItem.code == "L2.04"))
    data = read_checklist_file(source)
    for item in data["items"]:
        if item["code"] == "L2.04":
            item["title"]["en"] = "Criteria and weights published up front"
    (tmp_path / "checklist.json").write_text(json.dumps(data), encoding="utf-8")
    assert load_checklist(str(tmp_path)) == (0, 1)
    item = db.session.scalar(sa.select(ChecklistItem).where(ChecklistItem.code == "L2.04"))
    assert item.id == first_id
    assert item.title["en"] == "Criteria and weights published up front"


def test_api_returns_items_in_the_requested_language(client, runner, db):
    runner.invoke(args=["seed", "checklist"])
    english = client.get("/api/v1/checklist?lang=en").get_json()
    assert english["language"] == "en"
    assert len(english["items"]) == 30
    first = english["items"][0]
    assert set(first) == {
        "code",
        "line_of_action",
        "title",
        "description",
        "looks_for",
        "applies_to",
    }
    assert first["code"] == "L1.01"
    assert first["line_of_action"] == 1
    assert first["applies_to"] == "challenge"
    sides = Counter(i["applies_to"] for i in english["items"])
    assert sides == {"challenge": 17, "proposal": 13}
    spanish = client.get("/api/v1/checklist", headers={"Accept-Language": "es"}).get_json()
    assert spanish["language"] == "es"
    assert spanish["items"][0]["title"] != first["title"]


def test_public_checklist_page(client, runner, db):
    runner.invoke(args=["seed", "checklist"])
    html = client.get("/checklist").get_data(as_text=True)
    for code in ("L1.01", "L2.10", "L3.10"):
        assert f'id="{code}"' in html
