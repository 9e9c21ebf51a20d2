"""Authorization matrix (OWASP ASVS V4): every route, every actor, every phase.

Every route in `app.url_map` needs an entry in EXPECTED saying what each actor gets in each
phase; a route without one fails here, so no route ships without an authorization decision.
URLs address real objects of other people (bidder A's proposal while signed in as bidder B,
the agency's draft while signed in as another agency) and an id that does not exist.
Refused requests must change nothing in the database, and bidder A's sealed proposal must
never reach anyone not entitled to it, whatever the status code.
"""

import contextlib
import dataclasses
import datetime as dt
import io
import logging
import re
from collections.abc import Callable
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
import time_machine
from pypdf import PdfReader

from govtech.accounts.models import Agency, User
from govtech.accounts.services import _registration_serializer, password_reset_token
from govtech.awards.models import Appeal, MilestoneStatus, PilotMilestone
from govtech.awards.services import (
    confirm_decision,
    lodge_appeal,
    pilot_milestones,
    propose_award,
)
from govtech.challenges.models import Challenge, ChallengeFollower, ChallengeStatus, Question
from govtech.challenges.services import (
    ask_question,
    attach_document,
    close_due_challenges,
    publish_challenge,
    start_evaluation,
)
from govtech.evaluation.models import ConflictKind, Criterion
from govtech.evaluation.panel import (
    accept_panel_invitation,
    declarations_of,
    declare_conflicts,
    invite_evaluator,
)
from govtech.evaluation.services import rubric
from govtech.extensions import db
from govtech.proposals.models import Proposal, ProposalStatus, Screening
from govtech.proposals.services import add_attachment, screen_proposal, submit_proposal
from tests import factories
from tests.conftest import login

# "ok": 2xx, or a redirect that is not to the login page; "login": a redirect to
# /accounts/login; "forbidden": 403 or 404. Anything else (400, 500...) fails the cell.
OK, LOGIN, NO = "ok", "login", "forbidden"
NOT_FOUND = "404"  # what an otherwise allowed actor must get for an id that does not exist
MISSING_ID = 987_654

ACTORS = (
    "anonymous",
    "bidder_a",  # supplier member of company A, whose proposal the URLs address
    "bidder_b",  # supplier member of company B, a rival with its own draft
    "agency",  # staff of the agency that owns the challenge
    "other_agency",  # staff of another agency
    "assigned",  # evaluator on the challenge's panel, no conflict with bidder A
    "conflicted",  # evaluator on the panel who declared a conflict with bidder A
    "unassigned",  # evaluator on no panel of this challenge
    "admin",
)

# Before the deadline; just after it (closed, not yet in evaluation); in evaluation (screened,
# conflicts declared, one scorecard submitted); awarded to bidder A (notice issued, an
# appeal lodged by bidder C, the pilot's milestones created).
OPEN, CLOSED, EVALUATION, AWARDED = "open", "closed", "evaluation", "awarded"
PHASES = (OPEN, CLOSED, EVALUATION, AWARDED)

# What is sealed in bidder A's proposal, and who may see each part in each phase; nobody
# else, on any page. The assigned evaluator reads the proposal blind: never the bidder's
# name or email. Admins see who acts (the audit log names every actor), never the content.
# Once awarded, the winner's name and price are public (the notice, results and OCDS).
READ = ("summary", "price")
# Attachments may name the bidder, so blind review leaves them out.
FILES = ("attachment title", "attachment file")
IDENTITY = ("bidder's name", "bidder's email")
_SEALED = {"bidder_a"}
_OPENED = {"bidder_a", "agency"}
_REVIEWED = {"bidder_a", "agency", "assigned"}
_SEEN_BY = {
    OPEN: (_SEALED, _SEALED, _SEALED | {"admin"}),
    CLOSED: (_OPENED, _OPENED, _OPENED | {"admin"}),
    EVALUATION: (_REVIEWED, _OPENED, _OPENED | {"admin"}),
    AWARDED: (_OPENED, _OPENED, _OPENED | {"admin"}),  # the scorecards are closed
}
ENTITLED = {
    phase: {
        **dict.fromkeys(READ, read),
        **dict.fromkeys(FILES, files),
        **dict.fromkeys(IDENTITY, identity),
    }
    for phase, (read, files, identity) in _SEEN_BY.items()
}
ENTITLED[AWARDED] |= {"price": set(ACTORS), "bidder's name": set(ACTORS)}


def row(*outcomes: str) -> dict[str, str]:
    """One outcome per actor, in the order of ACTORS."""
    assert len(outcomes) == len(ACTORS), f"a row needs {len(ACTORS)} outcomes: {outcomes}"
    return dict(zip(ACTORS, outcomes, strict=True))


# fmt: off
#                    anonym bidder_a bidder_b agency other_ag assigned conflicted unassig admin
EVERYONE       = row(OK,    OK,      OK,      OK,    OK,      OK,      OK,        OK,     OK)
SIGNED_IN      = row(LOGIN, OK,      OK,      OK,    OK,      OK,      OK,        OK,     OK)
SUPPLIERS      = row(LOGIN, OK,      OK,      NO,    NO,      NO,      NO,        NO,     NO)
BIDDER_A       = row(LOGIN, OK,      NO,      NO,    NO,      NO,      NO,        NO,     NO)
BIDDER_B       = row(LOGIN, NO,      OK,      NO,    NO,      NO,      NO,        NO,     NO)
A_AND_AGENCY   = row(LOGIN, OK,      NO,      OK,    NO,      NO,      NO,        NO,     NO)
A_AGENCY_PANEL = row(LOGIN, OK,      NO,      OK,    NO,      OK,      NO,        NO,     NO)
AGENCY         = row(LOGIN, NO,      NO,      OK,    NO,      NO,      NO,        NO,     NO)
ANY_AGENCY     = row(LOGIN, NO,      NO,      OK,    OK,      NO,      NO,        NO,     NO)
PANEL_ROLES    = row(LOGIN, NO,      NO,      OK,    OK,      OK,      OK,        OK,     NO)
AGENCY_PANEL   = row(LOGIN, NO,      NO,      OK,    NO,      OK,      OK,        NO,     NO)
ASSIGNED       = row(LOGIN, NO,      NO,      NO,    NO,      OK,      NO,        NO,     NO)
ADMIN          = row(LOGIN, NO,      NO,      NO,    NO,      NO,      NO,        NO,     OK)
AGENCY_ADMIN   = row(LOGIN, NO,      NO,      OK,    NO,      NO,      NO,        NO,     OK)
NOBODY         = row(LOGIN, NO,      NO,      NO,    NO,      NO,      NO,        NO,     NO)
# Public routes on objects only the owning agency may see (drafts): hidden, even from admins.
AGENCY_HIDDEN  = row(NO,    NO,      NO,      OK,    NO,      NO,      NO,        NO,     NO)
NOBODY_HIDDEN  = row(NO,    NO,      NO,      NO,    NO,      NO,      NO,        NO,     NO)
# fmt: on


@dataclasses.dataclass(frozen=True)
class Probe:
    """One request to a route: the object it addresses and what each actor gets."""

    method: str
    target: str  # what the URL addresses, for failure messages
    outcomes: dict[str, dict[str, str]]  # phase -> actor -> outcome
    params: Callable[[SimpleNamespace], dict]
    # The form POSTed (CSRF is off); for a form page, by the actors refused the page. Where
    # cheap it is valid, so that a refusal that failed open would write and be caught.
    data: dict
    # Only for POSTs whose "ok" changes state: they run after the no-change checks, and
    # `effect(run)` then says whether the allowed requests did their job.
    effect: Callable | None = None


def _signup() -> str:
    """A registration link's token, signed on the phase's clock (it lasts 24 hours)."""
    return _registration_serializer().dumps({
        "email": "nueva@example.org", "full_name": "Nueva Postora", "locale": None,
        "supplier": {"legal_name": "Nueva S.A.S.", "tax_id": "900.123.456-8", "country": "CO",
                     "size_band": "micro", "founding_year": 2021, "website": None},
    })  # fmt: skip


def get(target, outcomes, params=None, data=None):
    """A GET probe (and, for a form page, a POST of `data` by the actors it refuses)."""
    return Probe("GET", target, outcomes, params or (lambda s: {}), data or {})


def post(target, outcomes, params=None, data=None, effect=None):
    """A POST probe of `data`; `effect` if an allowed POST changes state."""
    return Probe("POST", target, outcomes, params or (lambda s: {}), data or {}, effect)


def phases(open_, closed=None, evaluation=None, awarded=None) -> dict[str, dict[str, str]]:
    """One row per phase; a phase left out keeps the row of the phase before it."""
    closed = closed or open_
    evaluation = evaluation or closed
    return {OPEN: open_, CLOSED: closed, EVALUATION: evaluation, AWARDED: awarded or evaluation}


def both(outcomes: dict[str, str]) -> dict[str, dict[str, str]]:
    """The same row in every phase."""
    return phases(outcomes)


def sealed(before: dict[str, str], after: dict[str, str]) -> dict[str, dict[str, str]]:
    """One row before the deadline, another in every phase after it."""
    return phases(before, after)


def _by_phase(run, open_value, later_value, **overrides):
    return overrides.get(run.phase, open_value if run.phase == OPEN else later_value)


# What the allowed state-changing POSTs must have done.
def _signed_out(run):
    return all(_outcome(c.get("/dashboard")) == LOGIN for c in run.clients.values())


def _verified(run):
    return db.session.get(Agency, run.s.unverified_agency).is_verified


def _published(run):  # after the deadline the draft's own dates have passed: refused
    status = db.session.get(Challenge, run.s.draft).status
    return status is _by_phase(run, ChallengeStatus.PUBLISHED, ChallengeStatus.DRAFT)


def _evaluating(run):  # only a closed challenge moves into evaluation
    status = db.session.get(Challenge, run.s.challenge).status
    after = ChallengeStatus.IN_EVALUATION
    return status is _by_phase(
        run, ChallengeStatus.PUBLISHED, after, awarded=ChallengeStatus.AWARDED
    )


def _follows(run):
    return db.session.get(ChallengeFollower, (run.s.challenge, run.s.users["bidder_a"]))


def _asked(run):  # the question window closes before the submission deadline
    asked = sa.select(sa.func.count()).where(Question.asked_by_id == run.s.users["bidder_a"])
    return db.session.scalar(asked) == _by_phase(run, 1, 0)


def _answered(run):
    return db.session.get(Question, run.s.question).is_answered


def _withdrawn(run):  # after the deadline a proposal can no longer be withdrawn
    status = db.session.get(Proposal, run.s.proposal).status
    return status is _by_phase(run, ProposalStatus.WITHDRAWN, ProposalStatus.SUBMITTED)


def _screened(run):  # in evaluation it was already eligible
    screening = db.session.get(Proposal, run.s.proposal).screening
    return screening is _by_phase(run, Screening.PENDING, Screening.ELIGIBLE)


def _appealed(run):  # any bidder may appeal during the standstill, the winner too
    appeals = sa.select(sa.func.count()).where(Appeal.lodged_by_id == run.s.users["bidder_a"])
    return db.session.scalar(appeals) == _by_phase(run, 0, 0, awarded=1)


def _appeal_answered(run):
    appeal = db.session.get(Appeal, run.s.appeal)
    return appeal is None or appeal.answered_at is not None


def _delivered(run):
    milestone = db.session.get(PilotMilestone, run.s.milestone)
    return milestone is None or milestone.status is MilestoneStatus.DELIVERED


def _challenge(s):
    return {"challenge_id": s.challenge}


def _draft(s):
    return {"challenge_id": s.draft}


def _proposal(s):
    return {"proposal_id": s.proposal}


# fmt: off
EXPECTED: dict[str, list[Probe]] = {
    # --- site, accounts ----------------------------------------------------------------
    "site.home": [get("home page", both(EVERYONE))],
    "site.dashboard": [get("own dashboard", both(SIGNED_IN))],
    "site.set_language": [post("own session", both(EVERYONE))],
    "site.healthz": [get("health check", both(EVERYONE))],
    "site.favicon": [get("icon", both(EVERYONE))],
    "accounts.login": [get("login form", both(EVERYONE))],
    "accounts.logout": [post("own session", both(SIGNED_IN), effect=_signed_out)],
    "accounts.register": [get("registration form", both(EVERYONE))],
    # The emailed link is the credential; an invalid one reaches nobody.
    "accounts.confirm_registration": [
        get("an invalid registration link", both(NOBODY_HIDDEN), lambda s: {"token": "no-such"}),
        # The form that chooses the password; nothing is stored before it is sent.
        get("a new supplier's registration link", both(EVERYONE), lambda s: {"token": _signup()})],
    "accounts.forgot_password": [get("reset request form", both(EVERYONE))],
    # The link is the credential: whoever holds bidder A's may open the form.
    "accounts.reset_password": [
        get("bidder A's reset link", both(EVERYONE), lambda s: {"token": s.reset_token})],
    "accounts.change_password_page": [get("own password", both(SIGNED_IN))],
    "accounts.agencies": [get("all agencies", both(ADMIN))],
    "accounts.verify": [post("an unverified agency", both(ADMIN),
                             lambda s: {"agency_id": s.unverified_agency}, effect=_verified)],
    "accounts.organisation": [get("own company", both(SUPPLIERS), data={"legal_name": "X"})],
    # --- challenges --------------------------------------------------------------------
    "challenges.catalogue": [get("public catalogue", both(EVERYONE))],
    "challenges.detail": [get("published challenge", both(EVERYONE), _challenge),
                          get("the agency's draft", both(AGENCY_HIDDEN), _draft)],
    "challenges.new": [get("own agency", both(ANY_AGENCY), data={"title": "Intruso"})],
    "challenges.edit": [get("the agency's draft", both(AGENCY), _draft,
                            {"title": "Editado por quien no puede"})],
    "challenges.publish": [post("the agency's draft", both(AGENCY), _draft, effect=_published)],
    "challenges.begin_evaluation": [
        post("published challenge", both(AGENCY), _challenge, effect=_evaluating)],
    "challenges.cancel": [get("published challenge", both(AGENCY), _challenge,
                              {"reason": "Cancelado por quien no puede hacerlo"})],
    "challenges.new_addendum": [get("published challenge", both(AGENCY), _challenge,
                                    {"text": "Adenda publicada por quien no puede hacerlo"})],
    "challenges.upload_document": [get("the agency's draft", both(AGENCY), _draft)],
    "challenges.document": [
        get("published challenge's document", both(EVERYONE),
            lambda s: {"challenge_id": s.challenge, "document_id": s.document}),
        get("the draft's document", both(AGENCY_HIDDEN),
            lambda s: {"challenge_id": s.draft, "document_id": s.draft_document}),
        get("the draft's document through the published challenge", both(NOBODY_HIDDEN),
            lambda s: {"challenge_id": s.challenge, "document_id": s.draft_document})],
    "challenges.toggle_follow": [
        post("published challenge", both(SUPPLIERS), _challenge, effect=_follows)],
    "challenges.ask": [post("published challenge", both(SUPPLIERS), _challenge,
                            {"text": "¿Se puede usar el padrón de pacientes?"}, _asked)],
    "challenges.answer": [
        post("bidder B's question", both(AGENCY),
             lambda s: {"challenge_id": s.challenge, "question_id": s.question},
             {"answer": "Sí, en formato abierto."}, _answered),
        post("another agency's question through the own challenge", both(NOBODY),
             lambda s: {"challenge_id": s.challenge, "question_id": s.other_question},
             {"answer": "Respuesta indebida."})],
    # The API publishes public challenges only: drafts are 404 even to their agency.
    "challenges_api.list_challenges": [get("public catalogue", both(EVERYONE))],
    "challenges_api.get_challenge": [get("published challenge", both(EVERYONE), _challenge),
                                     get("the agency's draft", both(NOBODY_HIDDEN), _draft)],
    # --- proposals ---------------------------------------------------------------------
    "proposals.start": [get("published challenge", both(SUPPLIERS), _challenge),
                        get("the agency's draft", both(NOBODY), _draft)],
    "proposals.detail": [
        get("bidder A's proposal", sealed(BIDDER_A, A_AND_AGENCY), _proposal),
        # Drafts are not bids: the agency never opens them.
        get("bidder B's draft", both(BIDDER_B), lambda s: {"proposal_id": s.rival_draft})],
    "proposals.edit": [get("bidder A's proposal", both(BIDDER_A),
                           lambda s: {**_proposal(s), "step": "solution"},
                           {"summary": "Reescrita por otra empresa", "solution": "Otra"})],
    "proposals.attachments": [get("bidder A's proposal", both(BIDDER_A), _proposal)],
    # Submitted, so bidder A's own request only earns a message; it changes nothing.
    "proposals.delete_attachment": [
        post("bidder A's attachment", both(BIDDER_A),
             lambda s: {**_proposal(s), "attachment_id": s.attachment}),
        post("bidder A's attachment through bidder B's draft", both(NOBODY),
             lambda s: {"proposal_id": s.rival_draft, "attachment_id": s.attachment})],
    "proposals.attachment": [
        get("bidder A's file", sealed(BIDDER_A, A_AND_AGENCY),
            lambda s: {**_proposal(s), "file_id": s.file}),
        get("bidder A's file through bidder B's draft", both(NOBODY),
            lambda s: {"proposal_id": s.rival_draft, "file_id": s.file}),
        get("the agency's draft document through bidder A's proposal", both(NOBODY),
            lambda s: {**_proposal(s), "file_id": s.draft_document_file})],
    "proposals.review": [get("bidder A's proposal", both(BIDDER_A), _proposal)],
    # Already submitted: bidder A is sent back to the review page with a message.
    "proposals.submit": [post("bidder A's proposal", both(BIDDER_A), _proposal)],
    "proposals.receipt": [get("bidder A's receipt", both(BIDDER_A),
                              lambda s: {**_proposal(s), "version": 1})],
    "proposals.withdraw": [post("bidder A's proposal", both(BIDDER_A), _proposal,
                                effect=_withdrawn)],
    "proposals.mine": [get("own company's proposals", both(SUPPLIERS))],
    # While sealed, the agency is redirected to the challenge page ("ok": not a refusal).
    "proposals.received": [get("published challenge", both(AGENCY), _challenge)],
    "proposals.screen": [post("bidder A's proposal", sealed(NOBODY, AGENCY), _proposal,
                              {"decision": "eligible"}, _screened)],
    # --- evaluation --------------------------------------------------------------------
    "evaluation.checklist": [get("public checklist", both(EVERYONE))],
    "evaluation_api.checklist": [get("public checklist", both(EVERYONE))],
    "evaluation.readiness": [get("published challenge", both(AGENCY), _challenge)],
    "evaluation.edit_rubric": [get("published challenge", both(AGENCY), _challenge)],
    "evaluation.manage_panel": [get("published challenge", both(AGENCY), _challenge,
                                    {"email": "intruso@example.org", "role_on_panel": "X"})],
    # The token is the credential; an invalid one reaches nobody.
    "evaluation.accept_invitation": [
        get("an invalid invitation", both(NOBODY_HIDDEN), lambda s: {"token": "no-such"})],
    "evaluation.assignments": [get("own assignments", both(PANEL_ROLES))],
    "evaluation.affiliations": [get("own affiliations", both(PANEL_ROLES))],
    # The panel declares here, the agency follows the declarations.
    "evaluation.conflicts": [get("published challenge", both(AGENCY_PANEL), _challenge)],
    # Only during the evaluation, only to the assigned evaluator without a conflict.
    "evaluation.scorecard": [get("bidder A's proposal", phases(NOBODY, NOBODY, ASSIGNED, NOBODY),
                                 _proposal, {"submit": "1"})],
    "evaluation.results": [get("published challenge", sealed(NOBODY, AGENCY), _challenge)],
    # Empty reasons: the agency is sent back with a message; nothing changes.
    "evaluation.excuse": [
        post("the assigned evaluator's missing scorecard", both(AGENCY),
             lambda s: {**_challenge(s), "assignment_id": s.assignment, "proposal_id": s.proposal}),
        post("another challenge's assignment through the own challenge", both(NOBODY),
             lambda s: {**_challenge(s), "assignment_id": s.other_assignment,
                        "proposal_id": s.proposal})],
    "evaluation.reopen": [
        post("a submitted scorecard", phases(NOBODY, NOBODY, AGENCY),
             lambda s: {"scorecard_id": s.scorecard})],
    "evaluation.resolve": [
        post("the conflicted evaluator's declaration", phases(NOBODY, NOBODY, AGENCY),
             lambda s: {"declaration_id": s.declaration})],
    # An empty form: the agency is sent back to the results with a message.
    "evaluation.consensus": [
        post("bidder A's proposal", sealed(NOBODY, AGENCY),
             lambda s: {**_proposal(s), "criterion_id": s.criterion}),
        post("bidder B's draft", both(NOBODY),
             lambda s: {"proposal_id": s.rival_draft, "criterion_id": s.criterion}),
        post("another challenge's criterion through bidder A's proposal", both(NOBODY),
             lambda s: {**_proposal(s), "criterion_id": s.other_criterion})],
    # --- awards ------------------------------------------------------------------------
    # Before the award the decision, notice, appeal and milestone do not exist (their ids
    # are missing ones); once awarded the URLs address the real ones.
    "awards.decision": [get("published challenge", sealed(NOBODY, AGENCY), _challenge,
                            {"kind": "void", "justification": "Desierto por quien no puede"})],
    # No reason given: the agency gets the form back; the notice stays as issued.
    "awards.correct": [
        post("the notice", phases(NOBODY, NOBODY, NOBODY, AGENCY),
             lambda s: {"reference": s.notice})],
    # Already confirmed: a message, nothing changes.
    "awards.confirm": [
        post("the decision", phases(NOBODY, NOBODY, NOBODY, AGENCY),
             lambda s: {"decision_id": s.decision})],
    "awards.notice": [
        get("the notice", phases(NOBODY_HIDDEN, NOBODY_HIDDEN, NOBODY_HIDDEN, EVERYONE),
            lambda s: {"reference": s.notice})],
    "awards.notice_pdf": [
        get("the notice", phases(NOBODY_HIDDEN, NOBODY_HIDDEN, NOBODY_HIDDEN, EVERYONE),
            lambda s: {"reference": s.notice})],
    "awards.verify": [get("notice checker", both(EVERYONE))],
    "awards.appeal": [
        post("the decision", phases(NOBODY, NOBODY, NOBODY, SUPPLIERS),
             lambda s: {"decision_id": s.decision},
             {"reason": "La evaluación no consideró el anexo técnico presentado."}, _appealed)],
    "awards.answer": [
        post("bidder C's appeal", phases(NOBODY, NOBODY, NOBODY, AGENCY),
             lambda s: {"appeal_id": s.appeal},
             {"answer": "El anexo fue considerado en el criterio técnico."}, _appeal_answered)],
    "awards.deliver": [
        post("bidder A's milestone", phases(NOBODY, NOBODY, NOBODY, BIDDER_A),
             lambda s: {"milestone_id": s.milestone},
             {"evidence": "Informe de avance del piloto en el anexo."}, _delivered)],
    # Not delivered yet (the delivery runs later): a message, nothing changes.
    "awards.decide": [
        post("bidder A's milestone", phases(NOBODY, NOBODY, NOBODY, AGENCY),
             lambda s: {"milestone_id": s.milestone}, {"decision": "accept"})],
    # --- transparency ------------------------------------------------------------------
    "transparency.audit_head": [get("public chain head", both(EVERYONE))],
    "transparency.challenge_trail": [
        get("published challenge", both(AGENCY_ADMIN), _challenge)],
    "transparency.full_trail": [get("whole audit log", both(ADMIN))],
    "transparency.challenge_ocds": [
        get("published challenge", both(EVERYONE), _challenge),
        get("the agency's draft", both(NOBODY_HIDDEN), _draft)],
    "transparency.ocds_releases": [get("all public releases", both(EVERYONE))],
    "transparency.ocds_records": [get("all public records", both(EVERYONE))],
    "transparency.results": [get("public results", both(EVERYONE))],
    "transparency.results_csv": [get("results as CSV", both(EVERYONE))],
    "transparency.results_json": [get("results as JSON", both(EVERYONE))],
    "transparency.open_data": [get("open data downloads", both(EVERYONE))],
    "transparency.data_dictionary": [get("data dictionary", both(EVERYONE))],
    "transparency.ecosystem": [get("ecosystem figures", both(EVERYONE))],
    "transparency_api.results": [get("results API", both(EVERYONE))],
    "transparency_api.ecosystem": [get("ecosystem API", both(EVERYONE))],
    "transparency_api.openapi": [get("OpenAPI document", both(EVERYONE))],
}

# Cells where today's code differs from the decision above, in code being built by someone
# else right now. The matrix expects today's outcome there, so it fails once the code is
# fixed; then delete the line.
KNOWN_DEVIATIONS: dict = {}
# Sealed content that today's code shows to someone not entitled, outside the code this file
# may fix; the matrix insists the leak still happens, so it fails once it is fixed.
KNOWN_LEAKS: dict = {}
# fmt: on

# Bidder A's sealed content: unique strings that must reach nobody else.
SECRET_SUMMARY = "Propuesta sellada 4417-QX: turnos con triaje predictivo"
SECRET_PRICE = Decimal("73519.87")
# Any digit grouping; not inside a hex string (error pages show random request ids).
SECRET_PRICE_PATTERN = re.compile(
    rb"(?<![0-9a-f])73(?:[,.\s]|\xc2\xa0|\xe2\x80\xaf)?519(?![0-9a-f])"
)
SECRET_ATTACHMENT_TITLE = "Anexo sellado 4417-QX"
SECRET_FILE_TEXT = "Contenido sellado 4417QX"  # no "-": PDF strings escape it
SECRET_BIDDER = "Sellada 4417-QX S.A.S."
SECRET_EMAIL = "sellada-4417qx@example.org"


def _sealed_leaks(body: bytes) -> list[str]:
    found = {
        "summary": SECRET_SUMMARY.encode() in body,
        "price": SECRET_PRICE_PATTERN.search(body) is not None,
        "attachment title": SECRET_ATTACHMENT_TITLE.encode() in body,
        "attachment file": SECRET_FILE_TEXT.encode() in body,
        "bidder's name": SECRET_BIDDER.encode() in body,
        "bidder's email": SECRET_EMAIL.encode() in body,
    }
    return [label for label, leaked in found.items() if leaked]


def _readable(response) -> bytes:
    """The body as sent, plus the text of a PDF (its streams are compressed)."""
    body = response.get_data()
    if response.mimetype == "application/pdf" and body.startswith(b"%PDF"):
        pages = PdfReader(io.BytesIO(body)).pages
        body += "\n".join(page.extract_text() for page in pages).encode()
    return body


def _first_criterion(challenge: Challenge) -> int:
    where = Criterion.challenge_id == challenge.id
    return db.session.scalar(sa.select(sa.func.min(Criterion.id)).where(where))


def _scenario() -> tuple[SimpleNamespace, dict]:
    """Two agencies' challenges, bidder A's submitted proposal, bidder B's draft, bidder C's
    proposal, a panel, and the users; returns the ids the URLs use and the users by actor."""
    staff, other_staff = factories.agency_staff(), factories.agency_staff()
    bidder_a = factories.supplier_member(factories.supplier(name=SECRET_BIDDER), email=SECRET_EMAIL)
    bidder_b = factories.supplier_member()
    challenge = factories.draft_challenge(staff)
    document = attach_document(challenge, staff, "Términos", "terminos.pdf", factories.pdf_bytes())
    assert publish_challenge(challenge, staff) == []
    draft = factories.draft_challenge(staff, title="Borrador interno de la agencia")
    draft_document = attach_document(draft, staff, "Interno", "interno.pdf", factories.pdf_bytes())
    other_challenge = factories.published_challenge(other_staff)
    proposal = factories.complete_proposal(
        challenge, bidder_a, summary=SECRET_SUMMARY, price_amount=SECRET_PRICE
    )
    annex = factories.pdf_bytes(text=SECRET_FILE_TEXT)
    attachment = add_attachment(proposal, bidder_a, SECRET_ATTACHMENT_TITLE, "anexo.pdf", annex)
    submit_proposal(proposal, bidder_a)
    bidder_c = factories.supplier_member()
    third = factories.submitted_proposal(challenge, bidder_c)
    users = {
        "anonymous": None,
        "bidder_a": bidder_a,
        "bidder_b": bidder_b,
        "agency": staff,
        "other_agency": other_staff,
        "assigned": factories.evaluator(),
        "conflicted": factories.evaluator(),
        "unassigned": factories.evaluator(),
        "admin": factories.admin(),
    }
    # The panel is formed while the challenge is open; two more experts make the quorum.
    panel = [users["assigned"], users["conflicted"], factories.evaluator(), factories.evaluator()]
    assignments = [invite_evaluator(challenge, staff, p.email, "Experta") for p in panel]
    other_assignment = invite_evaluator(other_challenge, other_staff, panel[0].email, "Experta")
    for assignment, person in [*zip(assignments, panel, strict=True), (other_assignment, panel[0])]:
        accept_panel_invitation(assignment, person)
    s = SimpleNamespace(
        users={actor: user and user.id for actor, user in users.items()},
        staff=staff.id,
        colleague=factories.agency_staff(staff.agency).id,
        panel=[p.id for p in panel],
        bidder_c=bidder_c.id,
        third=third.id,
        challenge=challenge.id,
        draft=draft.id,
        document=document.id,
        draft_document=draft_document.id,
        draft_document_file=draft_document.file_id,
        question=ask_question(challenge, bidder_b, "¿Hay datos abiertos de turnos?").id,
        other_question=ask_question(other_challenge, bidder_b, "¿Cuál es el volumen?").id,
        criterion=_first_criterion(challenge),
        other_criterion=_first_criterion(other_challenge),
        proposal=proposal.id,
        attachment=attachment.id,
        file=attachment.file_id,
        rival_draft=factories.complete_proposal(challenge, bidder_b).id,
        unverified_agency=factories.agency(verified=False).id,
        reset_token=password_reset_token(bidder_a),
        assignment=assignments[0].id,
        other_assignment=other_assignment.id,
        # What exists only later; until then the URLs address missing ones.
        scorecard=MISSING_ID,
        declaration=MISSING_ID,
        decision=MISSING_ID,
        notice="NO-SUCH",
        appeal=MISSING_ID,
        milestone=MISSING_ID,
    )
    db.session.commit()
    return s, users


def _enter(phase: str, s: SimpleNamespace):
    """The clock of a phase: now, or just past the submission deadline."""
    if phase == OPEN:
        return contextlib.nullcontext()
    deadline = db.session.get(Challenge, s.challenge).submission_deadline
    return time_machine.travel(deadline + dt.timedelta(seconds=1), tick=False)


def _advance(phase: str, s: SimpleNamespace) -> None:
    """Move the scenario, on the phase's clock, to where the phase's requests find it."""
    close_due_challenges()
    if phase in (OPEN, CLOSED):
        db.session.commit()
        return
    challenge = db.session.get(Challenge, s.challenge)
    staff = db.session.get(User, s.staff)
    bidder_a, bidder_c = (db.session.get(Proposal, s.proposal), db.session.get(Proposal, s.third))
    for proposal in (bidder_a, bidder_c):
        screen_proposal(proposal, staff, eligible=True)
    start_evaluation(challenge, staff)
    assigned, conflicted, *quorum = [db.session.get(User, pid) for pid in s.panel]
    no_conflict = (False, None, None)
    for person in (assigned, *quorum):
        declare_conflicts(challenge, person, {bidder_a.id: no_conflict, bidder_c.id: no_conflict})
    family = (True, ConflictKind.FAMILY, "Mi hermana trabaja en la empresa.")
    declare_conflicts(challenge, conflicted, {bidder_a.id: family, bidder_c.id: no_conflict})
    s.declaration = declarations_of(challenge, conflicted)[bidder_a.id].id
    s.scorecard = factories.score(bidder_a, quorum[0], [4] * len(rubric(challenge))).id
    if phase == AWARDED:
        for person in (assigned, quorum[1]):
            factories.score(bidder_a, person, [4] * len(rubric(challenge)))
        for person in (assigned, conflicted, *quorum):
            factories.score(bidder_c, person, [2] * len(rubric(challenge)))
        decision = propose_award(challenge, staff, [bidder_a.id])
        notice = confirm_decision(decision, db.session.get(User, s.colleague))
        appeal = lodge_appeal(
            decision, db.session.get(User, s.bidder_c), "Nuestra propuesta no fue bien leída."
        )
        s.decision, s.notice, s.appeal = decision.id, notice.reference, appeal.id
        s.milestone = pilot_milestones(challenge)[0].id
    db.session.commit()


def _outcome(response) -> str:
    status = response.status_code
    if 300 <= status < 400:
        location = urlsplit(response.headers.get("Location", "")).path
        return LOGIN if location == "/accounts/login" else OK
    if 200 <= status < 300:
        return OK
    return NO if status in (403, 404) else f"status {status}"


def _database_state() -> dict[str, list[str]]:
    """Every row of every table, to prove that a batch of requests wrote nothing."""
    db.session.rollback()
    return {
        table.name: sorted(repr(tuple(r)) for r in db.session.execute(sa.select(table)))
        for table in db.metadata.sorted_tables
    }


def _unchanged(before: dict, after: dict, what: str, problems: list) -> None:
    for table in before:
        if before[table] != after[table]:
            added = sorted(set(after[table]) - set(before[table]))[:3]
            removed = sorted(set(before[table]) - set(after[table]))[:3]
            problems.append(f"{what} changed table {table}: +{added} -{removed}")


@dataclasses.dataclass
class Run:
    """One phase being checked."""

    s: SimpleNamespace
    phase: str
    clients: dict
    problems: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class Cell:
    """One request of one actor, and the outcome it must have."""

    endpoint: str
    probe: Probe
    actor: str
    method: str
    url: str
    expected: str


def _cells(app, run: Run) -> list[Cell]:
    """Every (route, probe, actor) of the phase, plus refused form posts and missing ids."""
    adapter = app.url_map.bind(app.config["SERVER_NAME"])
    cells = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if rule.endpoint == "static":
            continue
        if not EXPECTED.get(rule.endpoint):
            run.problems.append(
                f"route {rule.endpoint} ({rule.rule}) has no entry in EXPECTED: "
                "decide who may reach it before it ships"
            )
            continue
        for index, probe in enumerate(EXPECTED[rule.endpoint]):
            params = probe.params(run.s)
            url = adapter.build(rule.endpoint, params, method=probe.method)
            for actor, want in probe.outcomes[run.phase].items():
                want = KNOWN_DEVIATIONS.get((rule.endpoint, probe.target, run.phase, actor), want)
                cells.append(Cell(rule.endpoint, probe, actor, probe.method, url, want))
                if probe.method == "GET" and "POST" in rule.methods and want != OK:
                    cells.append(Cell(rule.endpoint, probe, actor, "POST", url, want))
            ids = {k for k, v in params.items() if isinstance(v, int) and v != MISSING_ID}
            if index == 0 and ids:
                url = adapter.build(
                    rule.endpoint, {**params, **dict.fromkeys(ids, MISSING_ID)}, probe.method
                )
                missing = dataclasses.replace(probe, target="a missing id", effect=None)
                for actor, want in probe.outcomes[run.phase].items():
                    want = NOT_FOUND if want == OK else want
                    cells.append(Cell(rule.endpoint, missing, actor, probe.method, url, want))
    return cells


def _check(run: Run, cell: Cell) -> None:
    client = run.clients[cell.actor]
    response = client.open(cell.url, method=cell.method, data=cell.probe.data)
    got = _outcome(response)
    if cell.expected == NOT_FOUND and response.status_code == 404:
        got = NOT_FOUND
    where = f"[{run.phase}] {cell.actor} {cell.method} {cell.url} ({cell.probe.target})"
    if got != cell.expected:
        run.problems.append(f"{where}: expected {cell.expected}, got {got}")
    leaks = {
        leak
        for leak in _sealed_leaks(_readable(response))
        if cell.actor not in ENTITLED[run.phase][leak]
    }
    known = KNOWN_LEAKS.get((cell.endpoint, cell.probe.target, run.phase, cell.actor), set())
    for leak in sorted(leaks - known):
        run.problems.append(f"{where}: the sealed {leak} leaked")
    for leak in sorted(known - leaks):
        run.problems.append(f"{where}: the known {leak} leak is fixed; delete it from KNOWN_LEAKS")
    if 300 <= response.status_code < 400:
        # Redirects are not followed, so their flash messages would pile up in the cookie.
        with client.session_transaction() as session:
            session.pop("_flashes", None)


def _entitled_actors_see_the_content(run: Run) -> None:
    """The leak checks mean something only if the markers show where they are allowed."""
    entitled = ENTITLED[run.phase]
    for actor in entitled["summary"]:
        client = run.clients[actor]
        if actor == "assigned":
            page = client.get(f"/evaluation/proposals/{run.s.proposal}/scorecard").get_data()
        else:
            page = client.get(f"/proposals/{run.s.proposal}").get_data()
        expected = {"summary", "price"} | (
            {"bidder's name"} if actor in entitled["bidder's name"] - {"admin"} else set()
        )
        assert set(_sealed_leaks(page)) >= expected, actor
    for actor in entitled["attachment file"]:
        upload = run.clients[actor].get(f"/proposals/{run.s.proposal}/files/{run.s.file}")
        assert _sealed_leaks(upload.get_data()) == ["attachment file"], actor
    page = run.clients["bidder_a"].get(f"/proposals/{run.s.proposal}/attachments").get_data()
    assert "attachment title" in _sealed_leaks(page)


def test_every_route_has_an_authorization_decision(app):
    """No route without an entry; no entry without a route, a phase or an actor."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - {"static"}
    missing = sorted(endpoints - set(EXPECTED))
    assert missing == [], f"routes without an authorization decision in EXPECTED: {missing}"
    stale = sorted(set(EXPECTED) - endpoints)
    assert stale == [], f"EXPECTED names endpoints that no longer exist: {stale}"
    for endpoint, probes in EXPECTED.items():
        methods = next(app.url_map.iter_rules(endpoint)).methods
        for probe in probes:
            assert probe.method in methods, (endpoint, probe.method)
            assert probe.effect is None or probe.method == "POST", endpoint
            assert tuple(probe.outcomes) == PHASES, (endpoint, probe.target)
            for outcomes in probe.outcomes.values():
                assert tuple(outcomes) == ACTORS, (endpoint, probe.target)
                assert set(outcomes.values()) <= {OK, LOGIN, NO}, (endpoint, probe.target)
    targets = {(endpoint, p.target) for endpoint, probes in EXPECTED.items() for p in probes}
    for endpoint, target, phase, actor in [*KNOWN_DEVIATIONS, *KNOWN_LEAKS]:
        assert (endpoint, target) in targets, (endpoint, target)
        assert phase in PHASES, phase
        assert actor in ACTORS, actor


class _LogRecords(logging.Handler):
    """Every log line written during the run, tracebacks included."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))


@contextlib.contextmanager
def _logs():
    handler = _LogRecords()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)


def _emails_and_logs_leak_nothing(run: Run, users: dict, outbox, log_lines) -> None:
    """Emails carry sealed content only to people entitled to it; logs to nobody."""
    actor_of = {user.email: actor for actor, user in users.items() if user is not None}
    for message in outbox:
        text = f"{message.subject}\n{message.body}".encode()
        for leak in _sealed_leaks(text):
            allowed = ENTITLED[run.phase][leak]
            for address in message.recipients:
                if allowed != set(ACTORS) and actor_of.get(address) not in allowed:
                    run.problems.append(
                        f"[{run.phase}] the sealed {leak} was emailed to {address}: "
                        f"{message.subject}"
                    )
    for line in log_lines:
        for leak in _sealed_leaks(line.encode()):
            run.problems.append(f"[{run.phase}] the sealed {leak} was logged: {line[:200]}")


@pytest.mark.parametrize("phase", PHASES)
def test_authorization_matrix(app, db, outbox, phase):
    """Each actor gets what EXPECTED says; refusals and reads write nothing; nothing leaks,
    in responses, emails or logs."""
    with _logs() as log_lines:
        _run_matrix(app, phase, outbox, log_lines)


def _run_matrix(app, phase, outbox, log_lines):
    s, users = _scenario()
    with _enter(phase, s):
        _advance(phase, s)
        clients = {actor: app.test_client() for actor in ACTORS}
        for actor, user in users.items():
            if user is not None:
                login(clients[actor], user.email, factories.PASSWORD)
        run = Run(s, phase, clients)
        _entitled_actors_see_the_content(run)
        cells = _cells(app, run)

        before = _database_state()
        for cell in (c for c in cells if c.expected != OK):
            _check(run, cell)
        after = _database_state()
        _unchanged(before, after, "a refused request", run.problems)
        for cell in (c for c in cells if c.expected == OK and c.probe.effect is None):
            _check(run, cell)
        _unchanged(after, _database_state(), "a read or a no-op request", run.problems)
        # Signing out goes last: every other cell uses those clients.
        changing = [c for c in cells if c.expected == OK and c.probe.effect is not None]
        for cell in sorted(changing, key=lambda c: c.endpoint == "accounts.logout"):
            _check(run, cell)
        db.session.rollback()
        for endpoint, probes in EXPECTED.items():
            for probe in probes:
                if probe.effect is not None and not probe.effect(run):
                    run.problems.append(f"[{phase}] {endpoint}: the allowed POST had no effect")
    assert run.problems == [], "\n".join(run.problems)
