"""Progressive enhancement: the pages work without JavaScript; with it, the deadline counts
down live and proposal steps keep unsaved input across a reload."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from govtech import clock
from govtech.extensions import db
from govtech.proposals.services import save_draft, start_proposal
from tests import factories

pytestmark = pytest.mark.browser

KEYS = "Object.keys(localStorage).filter(k => k.startsWith('govtech-autosave:'))"
AUTOSAVE_KEYS = f"() => {KEYS}"
ONE_COPY_KEPT = f"() => {KEYS}.length === 1"  # functions, not strings: the CSP refuses eval


def _open_challenge(minutes: float, **overrides):
    """A published challenge closing in `minutes`, and a supplier member who may bid."""
    now = clock.now()
    challenge = factories.published_challenge(
        question_deadline=now + dt.timedelta(minutes=minutes / 2),
        submission_deadline=now + dt.timedelta(minutes=minutes),
        **overrides,
    )
    member = factories.supplier_member()
    db.session.commit()
    return challenge, member


def test_countdown_ticks_and_announces_the_deadline(browse, db):
    """The server's "Closes in 30 minutes" becomes a live countdown to the second."""
    challenge, _ = _open_challenge(30)
    page = browse.page()
    page.goto(f"/challenges/{challenge.id}")
    countdown = page.locator(".gt-countdown")
    expect(countdown).to_have_text(re.compile(r"^Closes in (29|30) minutes(,? and \d+ seconds?)?$"))
    before = countdown.text_content()
    expect(countdown).not_to_have_text(before, timeout=3000)
    expect(countdown).to_have_attribute("role", "timer")
    browse.check(page, "countdown")

    soon, _ = _open_challenge(0.12)  # about 7 seconds
    page.goto(f"/challenges/{soon.id}")
    expect(page.locator(".gt-countdown")).to_have_text(re.compile(r"^Closes in \d+ seconds?$"))
    passed = "The deadline has passed. Reload the page to see what you can still do."
    expect(page.locator(".gt-countdown")).to_have_text(passed, timeout=15_000)
    expect(page.locator("[data-countdown-announce]")).to_have_text(passed)

    page.get_by_role("button", name="Español").click()  # the units follow the page's language
    page.goto(f"/challenges/{challenge.id}")
    expect(page.locator(".gt-countdown")).to_have_text(re.compile(r"minutos"))


def test_autosave_keeps_unsaved_input_across_a_reload(browse, db):
    """Typed but unsaved input comes back after a reload; saving, discarding and signing out
    clear it; a step saved elsewhere meanwhile is offered, never overwritten silently."""
    challenge, member = _open_challenge(60 * 24 * 10)
    proposal = start_proposal(challenge, member)
    db.session.commit()
    page = browse.page()
    browse.login(page, member.email, factories.PASSWORD)
    step = f"/proposals/{proposal.id}/edit/solution"
    page.goto(step)
    expect(page.locator(".gt-countdown")).to_contain_text("Closes in")
    notice = page.locator(".gt-autosave")
    expect(notice).to_be_hidden()

    summary = page.get_by_label("Summary")
    summary.fill("Turnos por WhatsApp con recordatorios")
    expect(page.get_by_text("Changes not yet saved are kept in this browser")).to_be_visible()
    page.wait_for_function(ONE_COPY_KEPT)
    page.reload()
    expect(page.get_by_label("Summary")).to_have_value("Turnos por WhatsApp con recordatorios")
    expect(notice).to_contain_text("restored from this browser")
    browse.check(page, "restored")

    page.get_by_role("button", name="Discard them").click()
    expect(page.get_by_label("Summary")).to_have_value("")
    expect(notice).to_be_hidden()
    assert page.evaluate(AUTOSAVE_KEYS) == []

    # Typed, then the page is left at once (before the debounce): still kept.
    page.get_by_label("Summary").fill("Asistente conversacional")
    page.goto(f"/proposals/{proposal.id}/edit/pilot")
    page.goto(step)
    expect(page.get_by_label("Summary")).to_have_value("Asistente conversacional")

    # Saved on the server: the copy goes, the saved text stays.
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    page.goto(step)
    expect(page.get_by_label("Summary")).to_have_value("Asistente conversacional")
    expect(notice).to_be_hidden()
    assert page.evaluate(AUTOSAVE_KEYS) == []

    # Another member saves the step while this browser holds unsaved input: offered, not applied.
    page.get_by_label("Summary").fill("Mi versión sin guardar")
    page.wait_for_function(ONE_COPY_KEPT)
    colleague = factories.supplier_member(member.supplier)
    db.session.refresh(proposal)
    save_draft(proposal, colleague, {"summary": "La versión de mi colega"})
    db.session.commit()
    page.reload()
    expect(page.get_by_label("Summary")).to_have_value("La versión de mi colega")
    expect(notice).to_contain_text("the proposal was saved since then")
    browse.check(page, "conflict")
    page.get_by_role("button", name="Restore my changes").click()
    expect(page.get_by_label("Summary")).to_have_value("Mi versión sin guardar")

    # Signing out forgets every copy (a shared computer).
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    assert page.evaluate(AUTOSAVE_KEYS) == []


def test_pages_work_without_javascript(browse, db):
    """Sign in, ask a question and save a proposal step with JavaScript off."""
    challenge, member = _open_challenge(60 * 24 * 20)
    page = browse.page(javascript=False)
    browse.login(page, member.email, factories.PASSWORD)
    page.goto(f"/challenges/{challenge.id}")
    expect(page.locator(".gt-countdown")).to_have_text(
        re.compile(r"^Closes in \d+ (weeks?|days?)$")
    )
    page.get_by_label("Your question").fill("¿Se aceptan consorcios de dos empresas?")
    page.get_by_role("button", name="Send question").click()
    expect(page.get_by_text("Your question was sent.")).to_be_visible()
    browse.check(page, "question-sent")

    page.get_by_role("link", name="Prepare a proposal").click()
    page.get_by_role("button", name="Start my proposal").click()
    expect(page.locator(".gt-autosave")).to_be_hidden()
    page.get_by_label("Summary").fill("Turnos por SMS")
    page.locator("label[for^=maturity-]").first.click()
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    browse.check(page, "step-saved")


WIDTH = 360


def test_key_pages_fit_a_360px_screen(browse, db):
    """No horizontal scrolling at 360 CSS pixels on the pages of the process."""
    challenge, member = _open_challenge(60 * 24 * 20)
    proposal = start_proposal(challenge, member)
    db.session.commit()
    page = browse.page(width=WIDTH, height=740)
    pages = [
        "/",
        "/challenges/",
        f"/challenges/{challenge.id}",
        "/accounts/login",
        "/accounts/register",
        "/notices/verify",
        "/results",
        "/checklist",
    ]
    signed_in = [
        f"/proposals/{proposal.id}/edit/{step}"
        for step in ("solution", "pilot", "team", "commitments")
    ]
    signed_in += [
        f"/proposals/{proposal.id}/attachments",
        f"/proposals/{proposal.id}/review",
        "/dashboard",
    ]
    too_wide = {}
    for number, url in enumerate(pages + ["LOGIN"] + signed_in):
        if url == "LOGIN":
            browse.login(page, member.email, factories.PASSWORD)
            continue
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > WIDTH:
            too_wide[url] = width
        browse.check(page, f"{number:02d}-{url}")
    assert too_wide == {}, f"wider than {WIDTH}px: {too_wide}"
