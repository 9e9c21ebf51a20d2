"""axe-core on the demo platform: every state of a challenge, seen by each kind of user."""

import pytest
import sqlalchemy as sa
from flask import current_app

from govtech.awards.models import AwardNotice
from govtech.challenges.models import Challenge, ChallengeStatus
from govtech.demo import load_demo, load_demo_file

pytestmark = pytest.mark.browser

PUBLIC = [
    "/",
    "/challenges/",
    "/checklist",
    "/results",
    "/ecosystem",
    "/data-dictionary",
    "/transparency/audit",
    "/notices/verify",
    "/accounts/register",
]
SKIPPED_LINKS = (".pdf", ".json", ".csv", "/documents/", "/files/")


def _links_in_main(page) -> list[str]:
    hrefs = page.eval_on_selector_all(
        "main a[href^='/']", "links => links.map(link => link.getAttribute('href'))"
    )
    return sorted({h.split("#")[0] for h in hrefs if not any(s in h for s in SKIPPED_LINKS)})


def test_demo_pages_pass_axe(browse, db):
    """Public pages, every public challenge and notice, and each role's dashboard links."""
    load_demo(current_app.config["SEEDS_DIR"])
    db.session.commit()
    challenges = db.session.scalars(
        sa.select(Challenge.id).where(Challenge.status != ChallengeStatus.DRAFT)
    ).all()
    notices = db.session.scalars(sa.select(AwardNotice.reference)).all()
    db.session.rollback()
    demo = load_demo_file(current_app.config["SEEDS_DIR"])

    problems = []

    def visit(page, urls, who):
        for url in urls:
            page.goto(url)
            try:
                browse.check(page, f"{who}{url}", full_page=False)  # a sweep: the top is enough
            except AssertionError as error:
                problems.append(str(error))

    page = browse.page()
    visit(page, PUBLIC + [f"/challenges/{i}" for i in challenges], "anonymous")
    visit(page, [f"/notices/{reference}" for reference in notices], "anonymous")
    for email in (
        "agencia@example.org",
        "startup@example.org",
        "evaluador1@example.org",
        "admin@example.org",
    ):
        page = browse.page()
        browse.login(page, email, demo["password"])
        own = [url for url in _links_in_main(page) if url not in PUBLIC]  # the rest: above
        visit(page, ["/dashboard", *own], email.split("@")[0])
    assert problems == [], "\n".join(problems)
