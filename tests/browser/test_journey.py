"""The whole procurement journey in a real browser, every page checked with axe-core.

An agency publishes a challenge; a supplier asks a question and submits a proposal with an
attachment; the deadline passes; evaluators declare conflicts and score; the agency awards;
the supplier downloads the notice PDF and a visitor verifies it. People and organisations
come from the factories; every step of the process goes through the pages.
"""

import datetime as dt
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from flask import current_app
from playwright.sync_api import expect

from govtech import clock
from govtech.awards.models import AwardNotice
from govtech.challenges.models import Challenge
from govtech.evaluation.checklist import load_checklist
from govtech.evaluation.models import EvaluatorAssignment
from govtech.evaluation.panel import invitation_token
from govtech.extensions import db
from tests import factories
from tests.browser.conftest import ROOT

pytestmark = pytest.mark.browser

DOWNLOADS = ROOT / "test-artifacts" / "downloads"
ZONE = "America/Bogota"


def _local(moment: dt.datetime) -> str:
    """A moment as the agency types it in a datetime-local input."""
    return clock.to_zone(moment, ZONE).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def people(db):
    """Two staff members of a verified agency, a supplier's member and three evaluators."""
    load_checklist(current_app.config["SEEDS_DIR"])
    agency = factories.agency(time_zone=ZONE)
    cast = {
        "staff": factories.agency_staff(agency, email="ana@agencia.example.org"),
        "colleague": factories.agency_staff(agency, email="beto@agencia.example.org"),
        "supplier": factories.supplier_member(
            factories.supplier(name="Turnos Ágiles S.A.S."), email="carla@turnos.example.org"
        ),
        "evaluators": [
            factories.evaluator(email=f"experta{n}@example.org", name=f"Experta {n}")
            for n in (1, 2, 3)
        ],
    }
    db.session.commit()  # the live server reads them from its own connections
    return cast


def _tick(page, radio) -> None:
    """Choose a radio button or checkbox as a person does: by its label (USWDS hides the box)."""
    page.locator(f"label[for='{radio.get_attribute('id')}']").click()


def _fill(page, prefix: str, **values) -> None:
    """Type into the fields named `prefix + key` (the rows of a step are `team-0-name`...)."""
    for key, value in values.items():
        page.locator(f"[name='{prefix}{key}']").fill(str(value))


def _sign_in(browse, person, label):
    page = browse.page()
    browse.login(page, person.email, factories.PASSWORD, check_as=f"{label}-sign-in")
    browse.check(page, f"{label}-dashboard")
    return page


def _publish_challenge(browse, staff) -> tuple[object, str]:
    page = _sign_in(browse, staff, "01-agency")
    page.goto("/challenges/new")
    browse.check(page, "02-new-challenge")
    now = clock.now()
    page.get_by_label("Title").fill("Turnos médicos sin filas en los centros de salud")
    page.get_by_label("Problem statement").fill(
        "Los vecinos esperan semanas por un turno y hacen fila desde la madrugada. " * 2
    )
    page.get_by_label("Current situation and data available").fill("Turnos por teléfono.")
    page.get_by_label("Expected results and indicators").fill("- Espera de 19 a 7 días.")
    page.get_by_label("Sector").select_option("health")
    page.get_by_label("Country", exact=True).select_option("CO")
    page.get_by_label("Budget", exact=True).fill("120000")
    page.get_by_label("Currency").select_option("COP")
    page.get_by_label("Procedure").select_option(index=1)
    page.get_by_label("Pilot duration (weeks)").fill("12")
    page.get_by_label("Deadline for questions").fill(_local(now + dt.timedelta(days=5)))
    page.get_by_label("Deadline for proposals").fill(_local(now + dt.timedelta(days=10)))
    page.get_by_label("Expected award date").fill(_local(now + dt.timedelta(days=40)))
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    challenge_url = page.url
    browse.check(page, "03-draft")

    browse.follow(page, page.get_by_role("link", name="Complete the readiness self-assessment"))
    browse.check(page, "04-readiness")
    for radio in page.locator("input[type=radio][value=yes]").all():
        _tick(page, radio)
    browse.follow(page, page.locator("form.usa-form input[type=submit]").last)
    browse.check(page, "04-readiness-saved")
    page.goto(challenge_url)
    browse.follow(page, page.get_by_role("link", name="Build the rubric"))
    browse.check(page, "05-rubric")
    weights = page.locator("input[name^=w_]")
    for index, weight in enumerate((40, 30, 20, 10)):
        weights.nth(index).fill(str(weight))
    browse.follow(page, page.locator("form.usa-form input[type=submit]").last)
    page.goto(challenge_url)
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("The challenge is published and open for proposals.")).to_be_visible()
    expect(page.locator(".gt-countdown")).to_contain_text("Closes in")
    browse.check(page, "06-published")
    return page, challenge_url


def _ask_and_propose(browse, supplier, challenge_url) -> object:
    page = _sign_in(browse, supplier, "07-supplier")
    page.goto("/challenges/")
    browse.check(page, "08-catalogue")
    page.get_by_role("link", name="Turnos médicos sin filas en los centros de salud").first.click()
    page.get_by_label("Your question").fill("¿Podemos usar el padrón de pacientes anonimizado?")
    page.get_by_role("button", name="Send question").click()
    expect(page.get_by_text("Your question was sent.")).to_be_visible()
    browse.check(page, "09-question-sent")

    browse.follow(page, page.get_by_role("link", name="Prepare a proposal"))
    browse.check(page, "10-proposal-start")
    browse.follow(page, page.get_by_role("button", name="Start my proposal"))
    browse.check(page, "11-step-solution")
    page.get_by_label("Summary").fill("Turnos por WhatsApp y SMS con recordatorios.")
    page.get_by_label("Proposed solution and how it meets the expected results").fill(
        "Un asistente conversacional conectado a la agenda de los centros."
    )
    _tick(page, page.locator("input[name=maturity]").first)
    page.get_by_label("Evidence of maturity").fill("En uso en tres clínicas privadas.")
    browse.follow(page, page.get_by_role("button", name="Save and continue"))

    browse.check(page, "12-step-pilot")
    for row, (name, week, share) in enumerate((("Diagnóstico", 2, 30), ("Piloto", 8, 70))):
        _fill(
            page,
            f"milestones-{row}-",
            name=name,
            week=week,
            deliverable="Informe",
            acceptance_test="Aprobado",
            payment_share=share,
        )
    _fill(page, "kpis-0-", name="Espera media", baseline="19 días", target="7 días")
    browse.follow(page, page.get_by_role("button", name="Save and continue"))

    browse.check(page, "13-step-team")
    _fill(page, "team-0-", name="Ana Pérez", role="Líder técnica", experience="10 años")
    browse.follow(page, page.get_by_role("button", name="Save and continue"))

    browse.check(page, "14-step-commitments")
    _fill(
        page,
        "",
        price_amount=95000,
        data_protection="Cifrado en tránsito y en reposo.",
        interoperability="API REST documentada con OpenAPI.",
        ip_position="Licencia perpetua a la agencia.",
        scale_up_plan="Extender a todos los centros de salud.",
        scale_up_cost=300000,
    )
    browse.follow(page, page.get_by_role("button", name="Save and continue"))

    browse.check(page, "15-step-attachments")
    page.get_by_label("Document title").fill("Plan del piloto")
    page.locator("input[type=file][name=document]").set_input_files(
        files=[
            {
                "name": "plan-piloto.pdf",
                "mimeType": "application/pdf",
                "buffer": factories.pdf_bytes(2, "Plan del piloto"),
            }
        ]
    )
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("Attachment added.")).to_be_visible()
    expect(page.get_by_role("link", name="Plan del piloto")).to_be_visible()
    browse.check(page, "16-attachment-added")
    browse.follow(page, page.get_by_role("link", name="Continue to review"))
    browse.check(page, "17-review")
    page.get_by_role("button", name="Submit the proposal").click()
    expect(page.get_by_text(re.compile("SHA-256"))).to_be_visible()
    browse.check(page, "18-receipt")
    return page


def _answer_question(browse, page, challenge_url):
    page.goto(challenge_url)
    page.get_by_label("Answer", exact=True).fill("Sí, en formato abierto y anonimizado.")
    page.get_by_role("button", name="Publish answer").click()
    expect(page.get_by_text("Answer published")).to_be_visible()
    browse.check(page, "19-question-answered")


def _open_evaluation(browse, page, challenge_url, evaluators):
    page.goto(challenge_url)
    browse.check(page, "20-closed")
    browse.follow(page, page.get_by_role("link", name="Open and screen the proposals"))
    browse.check(page, "21-received")
    browse.follow(page, page.locator("table a.usa-link").first)
    browse.check(page, "22-proposal-opened")
    _tick(page, page.locator("input[name=decision][value=eligible]"))
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Screening decision recorded.")).to_be_visible()

    page.goto(challenge_url)
    page.get_by_role("button", name="Start the evaluation").click()
    expect(page.get_by_text("The evaluation has started")).to_be_visible()
    browse.check(page, "23-evaluation-started")
    browse.follow(page, page.get_by_role("link", name="Evaluation panel"))
    browse.check(page, "24-panel")
    for person in evaluators:
        page.locator("input[name=email]").fill(person.email)
        page.locator("input[name=role_on_panel]").fill("Experta en salud digital")
        page.get_by_role("button", name="Invite").click()
        expect(page.get_by_text("Invitation sent.")).to_be_visible()
    browse.check(page, "24-panel-complete")


def _evaluate(browse, person, challenge_url, first: bool):
    page = browse.page()
    browse.login(page, person.email, factories.PASSWORD)
    # The invitation emailed to the evaluator: they accept it signed in.
    assignment = db.session.scalar(
        sa.select(EvaluatorAssignment)
        .where(EvaluatorAssignment.email == person.email)
        .order_by(EvaluatorAssignment.id.desc())
    )
    link = f"/evaluation/invitations/{invitation_token(assignment)}"
    db.session.rollback()
    page.goto(link)
    if first:
        browse.check(page, "25-invitation")
    page.get_by_role("button", name="Accept the invitation").click()
    expect(page.get_by_text("You are on the panel")).to_be_visible()
    page.goto(challenge_url)
    if first:
        browse.check(page, "25-evaluator-challenge")
    browse.follow(page, page.get_by_role("link", name="Evaluate: declare conflicts and score"))
    if first:
        browse.check(page, "25-conflicts")
    _tick(page, page.locator("input[type=radio][value=no]").first)
    page.get_by_role("button", name="Sign the declaration").click()
    expect(page.get_by_text("Declaration recorded.")).to_be_visible()
    if first:
        browse.check(page, "25-conflicts-declared")
    browse.follow(page, page.get_by_role("link", name="Open and score"))
    if first:
        browse.check(page, "26-scorecard")
    for name in page.locator("input[type=radio][name^=score_]").evaluate_all(
        "els => [...new Set(els.map(e => e.name))]"
    ):
        _tick(page, page.locator(f"input[name='{name}'][value='4']"))
    for box in page.locator("textarea[name^=justification_]").all():
        box.fill("Cumple el criterio con evidencia suficiente.")
    page.get_by_role("button", name="Submit scorecard").click()
    expect(page.get_by_text("Scorecard submitted.")).to_be_visible()
    if first:
        browse.check(page, "27-scorecard-submitted")


def _award(browse, page, colleague, challenge_url) -> str:
    page.goto(challenge_url)
    browse.follow(page, page.get_by_role("link", name="Scores and ranking"))
    browse.check(page, "28-results")
    page.goto(challenge_url)
    browse.follow(page, page.get_by_role("link", name="Award decision"))
    browse.check(page, "29-decision")
    _tick(page, page.locator("input[name=kind][value=award]"))
    page.get_by_label("Justification").fill(
        "La propuesta supera el puntaje mínimo y es la mejor ubicada en el ranking."
    )
    page.get_by_role("button", name="Propose the decision").click()
    expect(page.get_by_text("Decision proposed.")).to_be_visible()
    browse.check(page, "30-decision-proposed")

    second = browse.page()
    browse.login(second, colleague.email, factories.PASSWORD)
    second.goto(page.url)
    browse.check(second, "31-decision-to-confirm")
    second.get_by_role("button", name="Confirm the decision").click()
    expect(second.get_by_text("Decision confirmed.")).to_be_visible()
    browse.check(second, "32-notice")
    return second.url


def _download_and_verify(browse, supplier, challenge_url, notice_url):
    page = browse.page()
    browse.login(page, supplier.email, factories.PASSWORD)
    page.goto(challenge_url)
    browse.check(page, "33-awarded-as-bidder")
    browse.follow(page, page.get_by_role("link", name=re.compile("^Award notice")))
    assert page.url == notice_url
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the PDF").click()
    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    pdf = DOWNLOADS / "award-notice.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")

    visitor = browse.page()
    visitor.goto("/notices/verify")
    browse.check(visitor, "34-verify")
    visitor.locator("input[type=file][name=document]").set_input_files(str(pdf))
    visitor.get_by_role("button", name="Verify").click()
    expect(visitor.get_by_role("heading", name="Genuine")).to_be_visible()
    browse.check(visitor, "35-verified")

    tampered = DOWNLOADS / "award-notice-altered.pdf"
    tampered.write_bytes(pdf.read_bytes() + b"\n% altered\n")
    visitor.locator("input[type=file][name=document]").set_input_files(str(tampered))
    visitor.get_by_role("button", name="Verify").click()
    expect(visitor.get_by_role("heading", name="Not genuine")).to_be_visible()
    browse.check(visitor, "36-not-genuine")
    return pdf


def test_procurement_journey(browse, people):
    """From publication to a verified award notice, through the pages only."""
    staff_page, challenge_url = _publish_challenge(browse, people["staff"])
    _ask_and_propose(browse, people["supplier"], challenge_url)
    _answer_question(browse, staff_page, challenge_url)

    deadline = db.session.scalar(
        sa.select(Challenge.submission_deadline).order_by(Challenge.id.desc())
    )
    db.session.rollback()
    # The live server runs in this process, so travelling moves its clock too.
    with time_machine.travel(deadline + dt.timedelta(minutes=1), tick=True):
        staff_page = browse.page()
        browse.login(staff_page, people["staff"].email, factories.PASSWORD)
        _open_evaluation(browse, staff_page, challenge_url, people["evaluators"])
        for index, person in enumerate(people["evaluators"]):
            _evaluate(browse, person, challenge_url, first=index == 0)
        notice_url = _award(browse, staff_page, people["colleague"], challenge_url)
        pdf = _download_and_verify(browse, people["supplier"], challenge_url, notice_url)

    notice = db.session.scalar(sa.select(AwardNotice))
    assert notice is not None
    assert Path(pdf).read_bytes() == notice.pdf
    assert len(browse.checked) >= 30, browse.checked
