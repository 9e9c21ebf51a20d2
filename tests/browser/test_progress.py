"""Long operations show progress: the open data download joins every OCDS page in the
browser with a progress bar, and forms that take a while say so and refuse a second click."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from govtech.transparency import views as transparency_views
from tests import factories

pytestmark = pytest.mark.browser


def test_bulk_download_joins_every_page_with_progress(browse, db, monkeypatch):
    monkeypatch.setattr(transparency_views, "OCDS_PAGE", 1)  # the server runs in this process
    staff = factories.agency_staff()
    published = set()
    for _ in range(3):
        published.add(factories.published_challenge(staff).id)
    db.session.commit()
    page = browse.page()
    page.goto("/open-data")
    expect(page.get_by_text("3 public challenges, in 3 pages of releases.")).to_be_visible()
    browse.check(page, "open-data")
    box = page.locator("[data-bulk-download][data-kind=releases]")
    with page.expect_download() as download:
        box.get_by_role("button", name="Download all as one file").click()
    expect(box.locator("[role=status]")).to_have_text("Ready: 3 pages joined into one file.")
    expect(box.locator("progress")).to_have_attribute("value", "3")
    package = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert "links" not in package
    challenge_ids = {r["tender"]["id"] for r in package["releases"]}
    assert len(challenge_ids) == len(published) == 3
    browse.check(page, "open-data-downloaded")


def test_a_slow_form_shows_progress_and_refuses_a_second_click(browse, db):
    challenge = factories.published_challenge()
    member = factories.supplier_member()
    proposal = factories.complete_proposal(challenge, member)
    db.session.commit()
    page = browse.page()
    browse.login(page, member.email, factories.PASSWORD)
    page.goto(f"/proposals/{proposal.id}/review")
    posts = []

    def slow_server(route):  # answered with 204, the browser stays on the page as if waiting
        posts.append(route.request.method)
        route.fulfill(status=204)

    page.route(f"**/proposals/{proposal.id}/submit", slow_server)
    button = page.get_by_role("button", name="Submit the proposal")
    button.click()
    status = page.locator(".gt-busy[role=status]")
    expect(status).to_have_text("Submitting the proposal…")
    expect(status.locator("progress")).to_have_count(1)
    expect(button).to_have_attribute("aria-disabled", "true")
    button.click(force=True)
    page.wait_for_timeout(500)
    assert posts == ["POST"]  # the second click sent nothing
    browse.check(page, "submitting")
