"""Hostile input on the evaluation and award forms (and the buttons the first file leaves
out): never a 500, errors shown on the fields, a refused request leaves the database as it
was; and every POST endpoint of the app is driven by one of these property tests.

The strategies and checks are those of test_security_hostile_input. Forms whose valid
submission changes state are put back in their starting state before each example, so
every example exercises the same form rather than a "this is already done" refusal.
"""

import datetime as dt
import inspect
import re
import sys
from urllib.parse import quote

import pytest
import sqlalchemy as sa
import time_machine
from hypothesis import event, given
from hypothesis import strategies as st

from govtech.accounts.models import Agency, User
from govtech.awards.models import (
    Appeal,
    AwardDecision,
    AwardedProposal,
    DecisionStatus,
    MilestoneStatus,
    PilotMilestone,
)
from govtech.awards.notices import superseded_by
from govtech.awards.services import (
    confirm_decision,
    lodge_appeal,
    pilot_milestones,
    propose_award,
)
from govtech.challenges.services import close_due_challenges
from govtech.evaluation.checklist import checklist_items
from govtech.evaluation.models import (
    Affiliation,
    AppliesTo,
    ConflictDeclaration,
    ConsensusNote,
    ScorecardStatus,
)
from govtech.evaluation.panel import (
    accept_panel_invitation,
    assignment_of,
    declare_conflicts,
    invitation_token,
    invite_evaluator,
)
from govtech.evaluation.scorecards import reopen_scorecard, save_scorecard, scorecard_for
from govtech.evaluation.services import rubric
from govtech.proposals.services import add_attachment, start_proposal
from tests import factories
from tests import test_security_hostile_input as hostile_input
from tests.test_security_hostile_input import (
    FUZZ,
    PDF,
    SPECIAL,
    STRONG,
    _local,
    _signed_in,
    bodies,
    check_post,
    hostile,
    outcome,
    send,
    snapshot,
    uploads,
)

JUSTIFICATION = "Cumple el criterio con evidencia suficiente."
REASON = "El panel pidió revisar la evidencia del criterio."  # long enough for every form
# Whole numbers past every range: 400 digits overflow a float (NumberRange compares with
# math.isnan), 5,000 exceed what Python's int() converts.
NUMBERS = ["-1", "0", "101", "2147483648", "9" * 40, "9" * 400, "9" * 5000, "1e3", "٣", "½"]


@pytest.fixture(autouse=True)
def _watch_every_table(monkeypatch, db):
    """The snapshot compares every table, the evaluation and award ones included."""
    monkeypatch.setattr(hostile_input, "TABLES", tuple(sorted(db.metadata.tables)))


def _reset(db, *statements) -> None:
    """Put the scenario back in its starting state before an example."""
    for statement in statements:
        db.session.execute(statement)
    db.session.commit()
    db.session.expire_all()


@pytest.fixture
def client_for(app):
    """A test client signed in as the user, once for all the examples of a test."""
    clients = {}

    def client(user):
        if user.id not in clients:
            clients[user.id] = _signed_in(app, user)
        return clients[user.id]

    return client


# --- scenarios ------------------------------------------------------------------------
@pytest.fixture
def draft(db):
    """A draft challenge (readiness and rubric completed) and its author."""
    staff = factories.agency_staff()
    challenge = factories.draft_challenge(staff)
    db.session.commit()
    return challenge, staff


@pytest.fixture
def scenario(db):
    """A challenge in evaluation: two eligible proposals, a panel of three that declared."""
    challenge, staff, proposals, evaluators = factories.evaluation_scenario()
    db.session.commit()
    return challenge, staff, proposals, evaluators


@pytest.fixture
def staff_client(app, scenario):
    return _signed_in(app, scenario[1])


@pytest.fixture
def scored(db, scenario):
    """Every evaluator has submitted a scorecard for every proposal; the first one leads."""
    challenge, staff, proposals, evaluators = scenario
    for person in evaluators:
        for proposal, value in zip(proposals, (4, 3), strict=True):
            factories.score(proposal, person, [value] * 4)
    db.session.commit()
    return scenario


@pytest.fixture
def awarded(db, scored):
    """The award to the first proposal, proposed and confirmed: notice, standstill, pilot."""
    challenge, staff, proposals, evaluators = scored
    decision = propose_award(challenge, staff, [proposals[0].id])
    notice = confirm_decision(decision, factories.agency_staff(staff.agency))
    db.session.commit()
    return decision, notice


def _bidder(proposal):
    return proposal.supplier.members[0]


# --- agency: readiness, rubric, panel -------------------------------------------------
@FUZZ
@given(data=st.data())
def test_readiness(db, draft, client_for, data):
    items = checklist_items(AppliesTo.CHALLENGE)
    base = {f"answer_{item.id}": "yes" for item in items}
    base |= {f"note_{item.id}": "Nota" for item in items}
    choices = {f"answer_{item.id}": ["partly", "no", "maybe", " ", "YES"] for item in items}
    body = data.draw(bodies(base, choices), label="body")
    url = f"/evaluation/challenges/{draft[0].id}/readiness"
    check_post(db, client_for(draft[1]), url, body, [f"note_{item.id}" for item in items])


@FUZZ
@given(data=st.data())
def test_rubric(db, draft, client_for, data):
    items = checklist_items(AppliesTo.PROPOSAL)
    weights = [*factories.RUBRIC_WEIGHTS, *[""] * len(items)]
    base = {f"w_{item.id}": str(w) for item, w in zip(items, weights, strict=False)}
    for n in range(5):
        base |= {f"own-{n}-title": "", f"own-{n}-description": "", f"own-{n}-weight": ""}
    base |= {"own-0-title": "Accesibilidad", "own-0-weight": "0"}
    choices = {name: NUMBERS for name in base if name.startswith("w_") or "weight" in name}
    body = data.draw(bodies(base, choices), label="body")
    url = f"/evaluation/challenges/{draft[0].id}/rubric"
    check_post(
        db, client_for(draft[1]), url, body, [k for k in base if "title" in k or "desc" in k]
    )


@pytest.fixture
def open_challenge(db):
    """A published challenge (its deadline in 30 days, factories) and its author."""
    staff = factories.agency_staff()
    challenge = factories.published_challenge(staff)
    db.session.commit()
    return challenge, staff


@FUZZ
@given(data=st.data())
def test_rubric_amendment(db, open_challenge, client_for, data):
    """After publication the rubric form also asks for the addendum and a later deadline."""
    challenge, staff = open_challenge
    items = checklist_items(AppliesTo.PROPOSAL)
    base = {f"w_{items[0].id}": "60", f"w_{items[1].id}": "40"}
    base |= {
        "addendum_text": "Se reequilibra la rúbrica: la solución pesa más.",
        "new_submission_deadline": _local(45),
    }
    choices = {name: NUMBERS for name in base if name.startswith("w_")}
    choices["new_submission_deadline"] = [_local(1), _local(365 * 7900), "9999-12-31T23:59", ""]
    body = data.draw(bodies(base, choices), label="body")
    url = f"/evaluation/challenges/{challenge.id}/rubric"
    check_post(db, client_for(staff), url, body, ["addendum_text", "new_submission_deadline"])


@FUZZ
@given(data=st.data())
def test_panel_invitation(db, draft, member, client_for, data):
    challenge, staff = draft
    taken = [staff.email, member.email]  # already on the panel; a bidder
    base = {"email": "experta@example.org", "role_on_panel": "Experta externa"}
    choices = {"email": [*taken, "EXPERTA@example.org", "a@b", "x@" + "y" * 400 + ".org"]}
    body = data.draw(bodies(base, choices), label="body")
    url = f"/evaluation/challenges/{challenge.id}/panel"
    check_post(db, client_for(staff), url, body, ["email", "role_on_panel"])


@FUZZ
@given(
    body=bodies({"full_name": "Experta Externa", "password": STRONG}),
    token=st.sampled_from(["", "x", "e30", "e30.AAAA"]) | hostile,
)
def test_accept_invitation(app, db, draft, body, token):
    challenge, staff = draft
    client = app.test_client()
    # A hostile token is no invitation: a 404, and nothing stored.
    before = snapshot(db)
    url = "/evaluation/invitations/" + quote(token, safe="")
    for response in (client.get(url), send(client, url, body)):
        assert response.status_code in (308, 404, 405), response.status_code
    assert snapshot(db) == before
    # A fresh invitation for each example: the form on its token page.
    assignment = invite_evaluator(
        challenge, staff, f"experta{len(before['evaluator_assignments'])}@x.org", "Ex"
    )
    db.session.commit()
    url = f"/evaluation/invitations/{invitation_token(assignment)}"
    assert client.get(url).status_code == 200
    result = check_post(db, client, url, body, ["full_name", "password"])
    if result == "accepted":  # spent: the link now only points to the sign-in page
        assert client.get(url).status_code == 302


# --- evaluators: affiliations, conflicts, scorecards ----------------------------------
AFFILIATION = {
    "organisation": "Startup Uno S.A.S.", "country": "CO", "tax_id": "900.123.456-8",
    "until_year": "2019",
}  # fmt: skip
AFFILIATION_CHOICES = {
    "country": ["BR", "ZZ", "co", " "],
    "tax_id": ["ß" * 32, "ﬃ" * 32, " x ", "9" * 32],  # upper() makes some longer
    "until_year": ["1899", "2101", *NUMBERS],
}


def _saved(db, user):
    db.session.commit()
    return user


@pytest.fixture
def expert(db):
    return _saved(db, factories.evaluator())


@FUZZ
@given(body=bodies(AFFILIATION, AFFILIATION_CHOICES))
def test_affiliations(db, expert, client_for, body):
    url = "/evaluation/affiliations"
    check_post(db, client_for(expert), url, body, ["organisation", "tax_id"])


@pytest.fixture
def newcomer(db, scenario):
    """An evaluator who joined the panel late, once employed by the first bidder (so a
    "no conflict" with it is flagged), and has declared nothing yet."""
    challenge, staff, proposals, _ = scenario
    person = factories.evaluator()
    bidder = proposals[0].supplier
    db.session.add(
        Affiliation(
            user_id=person.id,
            organisation=bidder.legal_name,
            country=bidder.country,
            tax_id=bidder.tax_id,
        )
    )
    accept_panel_invitation(invite_evaluator(challenge, staff, person.email, "Experta"), person)
    db.session.commit()
    return person


@FUZZ
@given(data=st.data())
def test_conflict_declarations(db, scenario, newcomer, client_for, data):
    challenge, _, proposals, _ = scenario
    _reset(db, sa.delete(ConflictDeclaration).where(ConflictDeclaration.user_id == newcomer.id))
    base, choices = {}, {}
    for p in proposals:
        base |= {f"conflict_{p.id}": "no", f"kind_{p.id}": "", f"note_{p.id}": ""}
        choices |= {f"conflict_{p.id}": ["yes", "maybe", " "], f"kind_{p.id}": ["family", " "]}
    body = data.draw(bodies(base, choices), label="body")
    url = f"/evaluation/challenges/{challenge.id}/conflicts"
    notes = [f"note_{p.id}" for p in proposals]
    check_post(db, client_for(newcomer), url, body, notes)


@FUZZ
@given(data=st.data())
def test_scorecard(db, scenario, client_for, data):
    challenge, staff, proposals, evaluators = scenario
    person, proposal = evaluators[0], proposals[0]
    card = scorecard_for(proposal, person)
    if card is not None and card.status is ScorecardStatus.SUBMITTED:
        reopen_scorecard(card, staff, REASON)
        _reset(db)
    version = card.version if card is not None else 0
    base = {"version": str(version), "save": "Save draft", "submit_card": "Submit scorecard"}
    choices = {
        "version": [str(version - 1), str(version + 1), "", "abc", "-0", " 1", *NUMBERS],
        "submit_card": ["", "0", "false"],
    }
    for criterion in rubric(challenge):
        base |= {f"score_{criterion.id}": "4", f"justification_{criterion.id}": JUSTIFICATION}
        choices |= {f"score_{criterion.id}": ["6", "-1", "5.0", " ", "None", "９", "", "0"]}
    body = data.draw(bodies(base, choices), label="body")
    text = ["version", *[k for k in base if k.startswith("justification_")]]
    url = f"/evaluation/proposals/{proposal.id}/scorecard"
    client = client_for(person)
    before = snapshot(db)
    response = send(client, url, body)
    if response.status_code == 409:
        # A version other than the card's (another tab saved, or junk): told above the
        # form, where no field is wrong; the input is kept and nothing is stored.
        assert "Someone saved this scorecard" in response.get_data(as_text=True)
        result = "refused"
    else:
        result = outcome(client, response)
    event(result)
    if result == "refused":
        assert snapshot(db) == before
    if hostile_input.nul_in(body, text):
        assert result == "refused"


# --- agency: results, consensus, flags, reopening -------------------------------------
@FUZZ
@given(body=bodies({"reason": REASON}))
def test_reopen(db, scored, staff_client, body):
    challenge, staff, proposals, evaluators = scored
    card = scorecard_for(proposals[0], evaluators[0])
    if card.status is not ScorecardStatus.SUBMITTED:
        values = {c.id: (4, JUSTIFICATION) for c in rubric(challenge)}
        save_scorecard(card, evaluators[0], card.version, values, submit=True)
        _reset(db)
    check_post(db, staff_client, f"/evaluation/scorecards/{card.id}/reopen", body, ["reason"])


@FUZZ
@given(body=bodies({"note": "El panel acuerda un 3: la evidencia es parcial."}))
def test_consensus(db, scored, staff_client, body):
    challenge, staff, proposals, evaluators = scored
    _reset(db, sa.delete(ConsensusNote))
    criterion = rubric(challenge)[0]
    url = f"/evaluation/proposals/{proposals[0].id}/consensus/{criterion.id}"
    check_post(db, staff_client, url, body, ["note"])


@FUZZ
@given(body=bodies({"reason": "La evaluadora está de licencia médica hasta marzo."}))
def test_excuse_missing_scorecard(db, scenario, staff_client, body):
    challenge, staff, proposals, evaluators = scenario
    assignment = assignment_of(challenge, evaluators[2])
    url = f"/evaluation/challenges/{challenge.id}/missing/{assignment.id}/{proposals[1].id}"
    check_post(db, staff_client, url, body, ["reason"])


@FUZZ
@given(
    body=bodies(
        {"decision": "clear", "note": "Dejó la empresa en 2019, fuera del plazo."},
        {"decision": ["conflict", "maybe", " ", "CLEAR"]},
    )
)
def test_resolve_flag(db, scenario, staff_client, newcomer, body):
    challenge, staff, proposals, evaluators = scenario
    flag = db.session.scalar(
        sa.select(ConflictDeclaration).where(ConflictDeclaration.user_id == newcomer.id)
    )
    if flag is None:
        declare_conflicts(challenge, newcomer, {p.id: (False, None, None) for p in proposals})
        db.session.commit()
        flag = db.session.scalar(
            sa.select(ConflictDeclaration).where(ConflictDeclaration.flagged.is_(True))
        )
    _reset(
        db,
        sa.update(ConflictDeclaration)
        .where(ConflictDeclaration.id == flag.id)
        .values(flag_resolved_at=None, flag_resolved_by_id=None, flag_resolution=None)
        .values(has_conflict=False, kind=None),
    )
    url = f"/evaluation/declarations/{flag.id}/resolve"
    check_post(db, staff_client, url, body, ["note"])


# --- awards: decision, confirmation, notices ------------------------------------------
@FUZZ
@given(data=st.data())
def test_award_decision(db, scored, staff_client, data):
    challenge, staff, (first, second), _ = scored
    proposed = sa.select(AwardDecision.id).where(AwardDecision.status == DecisionStatus.PROPOSED)
    _reset(
        db,
        sa.delete(AwardedProposal).where(AwardedProposal.decision_id.in_(proposed)),
        sa.delete(AwardDecision).where(AwardDecision.status == DecisionStatus.PROPOSED),
    )
    ids = [str(first.id), str(second.id)]
    base = {"kind": "award", "winners": ids[0], "justification": ""}
    choices = {
        "kind": ["void", "other", " ", "AWARD"],
        "winners": [ids[1], ids, ids[::-1], [ids[0], ids[0]], "", *NUMBERS],
        "justification": [REASON, "corto", "x" * 10_001],
    }
    body = data.draw(bodies(base, choices), label="body")
    url = f"/awards/challenges/{challenge.id}/decision"
    check_post(db, staff_client, url, body, ["justification"])


@pytest.fixture
def proposed(db, scored):
    """An award proposed by the scenario's staff, and a colleague who may confirm it."""
    challenge, staff, proposals, _ = scored
    decision = propose_award(challenge, staff, [proposals[0].id])
    colleague = factories.agency_staff(staff.agency)
    db.session.commit()
    return decision, colleague


@FUZZ
@given(body=bodies({"submit": "Confirm"}), proposer=st.booleans())
def test_confirm_decision(db, staff_client, client_for, proposed, body, proposer):
    """The proposer is always refused (four-eyes); the colleague confirms, once."""
    decision, colleague = proposed
    client = staff_client if proposer else client_for(colleague)
    check_post(db, client, f"/awards/decisions/{decision.id}/confirm", body, [])


@FUZZ
@given(body=bodies({"reason": "El nombre legal del ganador estaba mal escrito."}))
def test_notice_correction(db, awarded, staff_client, body):
    latest = awarded[1]
    while (later := superseded_by(latest)) is not None:  # the latest correction is correctable
        latest = later
    url = f"/notices/{latest.reference}/correct"
    check_post(db, staff_client, url, body, ["reason"])


@FUZZ
@given(data=st.data())
def test_notice_verification(app, db, awarded, data):
    """Any upload: checked or refused with the error on the field, and never stored."""
    issued = awarded[1].pdf
    documents = st.tuples(
        st.just(issued) | st.integers(0, len(issued) - 1).map(lambda n: issued[:n]),
        st.sampled_from(["aviso.pdf", "x" * 5000 + ".pdf", "aviso.exe", "\u202efdp.exe"]),
    )
    base = {"document": (issued, "aviso.pdf")}
    body = data.draw(bodies(base, {"document": documents | uploads}), label="body")
    client = app.test_client()
    before = snapshot(db)
    response = send(client, "/notices/verify", body)
    result = outcome(client, response, posted=False)  # the answer is a page, not a redirect
    event(result)
    assert snapshot(db) == before
    page = response.get_data(as_text=True)
    if body == ("form", base):
        assert awarded[1].reference in page


# --- awards: appeals and the pilot ----------------------------------------------------
APPEAL = "El puntaje del criterio de madurez no refleja la evidencia presentada."


@FUZZ
@given(body=bodies({"reason": APPEAL}))
def test_appeal(db, scored, awarded, client_for, body):
    loser = client_for(_bidder(scored[2][1]))
    check_post(db, loser, f"/awards/decisions/{awarded[0].id}/appeals", body, ["reason"])


@FUZZ
@given(body=bodies({"answer": "El panel revisó la evidencia y mantiene el puntaje otorgado."}))
def test_appeal_answer(db, scored, awarded, staff_client, body):
    appeal = db.session.scalar(sa.select(Appeal))
    if appeal is None:
        appeal = lodge_appeal(awarded[0], _bidder(scored[2][1]), APPEAL)
        db.session.commit()
    _reset(
        db,
        sa.update(Appeal).values(answer=None, answered_at=None, answered_by_id=None),
    )
    check_post(db, staff_client, f"/awards/appeals/{appeal.id}/answer", body, ["answer"])


def _milestone(db, **values):
    """The first pilot milestone, put back in the given state."""
    challenge = db.session.get(AwardDecision, values.pop("decision")).challenge
    milestone = pilot_milestones(challenge)[0]
    values = {"evidence": None, "delivered_at": None, **values}
    values |= {"decision_reason": None, "decided_at": None, "decided_by_id": None}
    _reset(db, sa.update(PilotMilestone).where(PilotMilestone.id == milestone.id).values(values))
    return milestone


@FUZZ
@given(body=bodies({"evidence": "Informe de diagnóstico entregado con sus anexos."}))
def test_milestone_delivery(db, scored, awarded, client_for, body):
    milestone = _milestone(db, decision=awarded[0].id, status=MilestoneStatus.PENDING)
    winner = client_for(_bidder(scored[2][0]))
    check_post(db, winner, f"/awards/milestones/{milestone.id}/deliver", body, ["evidence"])


@FUZZ
@given(
    body=bodies(
        {"decision": "accept", "reason": ""},
        {"decision": ["reject", "maybe", " ", "ACCEPT"], "reason": ["no", REASON]},
    )
)
def test_milestone_decision(db, awarded, staff_client, body):
    milestone = _milestone(
        db,
        decision=awarded[0].id,
        status=MilestoneStatus.DELIVERED,
        evidence="Informe entregado.",
        delivered_at=dt.datetime.now(dt.UTC),
    )
    check_post(db, staff_client, f"/awards/milestones/{milestone.id}/decide", body, ["reason"])


# --- buttons and forms the first file leaves out ---------------------------------------
@pytest.fixture
def member(db):
    return _saved(db, factories.supplier_member())


@FUZZ
@given(
    body=bodies(
        {"current": factories.PASSWORD, "password": STRONG, "confirm": STRONG},
        {"current": [STRONG, ""], "password": ["short", factories.PASSWORD, "a" * 201]},
    )
)
def test_change_password(db, member, client_for, body):
    """A wrong current password counts towards the lockout, as at sign-in: a refusal may
    change that count (and lock the account, audited), nothing else."""
    original = member.password_hash
    _reset(
        db,
        sa.update(User)
        .where(User.id == member.id)
        .values(password_hash=original, failed_logins=0, locked_until=None),
    )
    client = client_for(member)
    counts = {"failed_logins", "locked_until", "last_login_at"}
    before = snapshot(db)
    result = outcome(client, send(client, "/accounts/password", body))
    event(result)
    after = snapshot(db)
    if result == "refused":
        assert {name for name in before if after[name] != before[name]} <= {
            "users",
            "audit_entries",
        }
        strip = [{k: v for k, v in row.items() if k not in counts} for row in before["users"]]
        assert strip == [
            {k: v for k, v in row.items() if k not in counts} for row in after["users"]
        ]
        known = {row["id"] for row in before["audit_entries"]}
        new = [row["action"] for row in after["audit_entries"] if row["id"] not in known]
        assert set(new) <= {"user.locked"}
    if hostile_input.nul_in(body, ["current", "password", "confirm"]):
        assert result == "refused"


@pytest.fixture
def closed(db):
    """A challenge past its deadline with one submitted proposal, not yet in evaluation."""
    staff = factories.agency_staff()
    challenge = factories.published_challenge(staff)
    factories.submitted_proposal(challenge)
    with time_machine.travel(challenge.submission_deadline + dt.timedelta(seconds=1), tick=False):
        close_due_challenges()
    db.session.commit()
    return challenge, staff


@FUZZ
@given(body=bodies({"submit": "Confirm", "next": "/challenges/"}, {"next": SPECIAL}))
def test_begin_evaluation(db, closed, client_for, body):
    """Once the evaluation has begun, pressing the button again is refused."""
    challenge, staff = closed
    check_post(db, client_for(staff), f"/challenges/{challenge.id}/evaluate", body, [])


@pytest.fixture
def unverified(db):
    """An administrator and an agency waiting for verification."""
    admin = factories.admin()
    agency = factories.agency(verified=False)
    db.session.commit()
    return admin, agency


@FUZZ
@given(body=bodies({"submit": "Confirm"}))
def test_verify_agency(db, unverified, client_for, body):
    admin, agency = unverified
    _reset(db, sa.update(Agency).values(verified_at=None, verified_by_id=None))
    url = f"/accounts/agencies/{agency.id}/verify"
    check_post(db, client_for(admin), url, body, [])


@pytest.fixture
def draft_proposal(db, member):
    proposal = start_proposal(factories.published_challenge(), member)
    db.session.commit()
    return proposal


@FUZZ
@given(body=bodies({"submit": "Confirm"}))
def test_delete_attachment(db, member, draft_proposal, client_for, body):
    db.session.expire_all()
    if not draft_proposal.attachments:  # removed by the previous example
        add_attachment(draft_proposal, member, "Anexo", "anexo.pdf", PDF)
        _reset(db)
    attachment = draft_proposal.attachments[0]
    url = f"/proposals/{draft_proposal.id}/attachments/{attachment.id}/delete"
    check_post(db, client_for(member), url, body, [])


# --- what the fuzzing found --------------------------------------------------------------
def test_inputs_that_gave_a_500_or_wrote_on_refusal(db, scenario, newcomer, client_for):
    """Each was a 500, or a refused request that stored something, before its fix."""
    challenge, staff, proposals, evaluators = scenario
    agency = client_for(staff)
    item = checklist_items(AppliesTo.PROPOSAL)[0]
    huge = "9" * 400  # NumberRange turns it into a float: OverflowError
    url = f"/evaluation/challenges/{challenge.id}/rubric"
    assert agency.post(url, data={f"w_{item.id}": "40", "own-0-weight": huge}).status_code == 400
    expert = client_for(newcomer)
    for values in ({"until_year": huge}, {"tax_id": "ß" * 32}):  # "SS" * 32: too long
        data = {"organisation": "Startup", "country": "CO", "tax_id": "1", **values}
        assert expert.post("/evaluation/affiliations", data=data).status_code == 400
    data = {f"conflict_{p.id}": "no" for p in proposals} | {f"kind_{proposals[0].id}": " "}
    url = f"/evaluation/challenges/{challenge.id}/conflicts"
    assert expert.post(url, data=data).status_code == 400  # " " was ConflictKind(" ")
    # A first save that is refused stores no empty scorecard (SQLite released a savepoint
    # outside a transaction, which committed it).
    url = f"/evaluation/proposals/{proposals[0].id}/scorecard"
    criteria = rubric(challenge)
    blank = {f"score_{c.id}": " " for c in criteria}  # " " was int(" ")
    unjustified = {f"score_{c.id}": "4" for c in criteria} | {"submit_card": "y"}
    scorer = client_for(evaluators[1])
    for data in (blank, unjustified):
        before = snapshot(db)
        response = scorer.post(url, data={"version": "0", **data})
        assert response.status_code == 400
        assert snapshot(db) == before
    # A second press of "record the reason" (the unique row was an IntegrityError).
    assignment = assignment_of(challenge, evaluators[2])
    url = f"/evaluation/challenges/{challenge.id}/missing/{assignment.id}/{proposals[1].id}"
    for _ in range(2):
        assert agency.post(url, data={"reason": REASON}).status_code == 302
    assert len(snapshot(db)["missing_scorecard_reasons"]) == 1
    said = agency.get(f"/evaluation/challenges/{challenge.id}/results").text
    assert "A reason is already recorded for this missing scorecard." in said


# --- every POST endpoint is fuzzed -------------------------------------------------------
FIRST = "tests.test_security_hostile_input"
THIS = __name__
# endpoint -> the property test that sends it hostile bodies (module, function).
DRIVEN_BY = {
    "accounts.change_password_page": (THIS, "test_change_password"),
    "accounts.forgot_password": (FIRST, "test_forgot_password"),
    "accounts.login": (FIRST, "test_login"),
    "accounts.logout": (FIRST, "test_buttons"),
    "accounts.organisation": (FIRST, "test_supplier_profile"),
    "accounts.confirm_registration": (FIRST, "test_confirm_registration"),
    "accounts.register": (FIRST, "test_register"),
    "accounts.reset_password": (FIRST, "test_reset_password"),
    "accounts.verify": (THIS, "test_verify_agency"),
    "awards.answer": (THIS, "test_appeal_answer"),
    "awards.appeal": (THIS, "test_appeal"),
    "awards.confirm": (THIS, "test_confirm_decision"),
    "awards.correct": (THIS, "test_notice_correction"),
    "awards.decide": (THIS, "test_milestone_decision"),
    "awards.decision": (THIS, "test_award_decision"),
    "awards.deliver": (THIS, "test_milestone_delivery"),
    "awards.verify": (THIS, "test_notice_verification"),
    "challenges.answer": (FIRST, "test_answer_question"),
    "challenges.ask": (FIRST, "test_ask_question"),
    "challenges.begin_evaluation": (THIS, "test_begin_evaluation"),
    "challenges.cancel": (FIRST, "test_cancel"),
    "challenges.edit": (FIRST, "test_edit_draft"),
    "challenges.new": (FIRST, "test_new_challenge"),
    "challenges.new_addendum": (FIRST, "test_addendum"),
    "challenges.publish": (FIRST, "test_buttons"),
    "challenges.toggle_follow": (FIRST, "test_buttons"),
    "challenges.upload_document": (FIRST, "test_pdf_uploads"),
    "evaluation.accept_invitation": (THIS, "test_accept_invitation"),
    "evaluation.affiliations": (THIS, "test_affiliations"),
    "evaluation.conflicts": (THIS, "test_conflict_declarations"),
    "evaluation.consensus": (THIS, "test_consensus"),
    "evaluation.edit_rubric": (THIS, "test_rubric"),
    "evaluation.excuse": (THIS, "test_excuse_missing_scorecard"),
    "evaluation.manage_panel": (THIS, "test_panel_invitation"),
    "evaluation.readiness": (THIS, "test_readiness"),
    "evaluation.reopen": (THIS, "test_reopen"),
    "evaluation.resolve": (THIS, "test_resolve_flag"),
    "evaluation.scorecard": (THIS, "test_scorecard"),
    "proposals.attachments": (FIRST, "test_pdf_uploads"),
    "proposals.delete_attachment": (THIS, "test_delete_attachment"),
    "proposals.edit": (FIRST, "test_proposal_steps"),
    "proposals.screen": (FIRST, "test_screening"),
    "proposals.start": (FIRST, "test_buttons"),
    "proposals.submit": (FIRST, "test_buttons"),
    "proposals.withdraw": (FIRST, "test_buttons"),
    "site.set_language": (FIRST, "test_buttons"),
}


def test_every_post_endpoint_is_fuzzed(app):
    """A new form or button fails here until a property test sends it hostile input."""
    posted = {r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods}
    assert sorted(posted - DRIVEN_BY.keys()) == [], "add a hostile-input test, then map it"
    assert sorted(DRIVEN_BY.keys() - posted) == [], "endpoint gone: remove it from DRIVEN_BY"
    modules = {FIRST: hostile_input, THIS: sys.modules[THIS]}
    for endpoint, (module, name) in DRIVEN_BY.items():
        test = getattr(modules[module], name, None)
        assert hasattr(test, "hypothesis"), (endpoint, name)  # a property test
        # The test (or a fixture it asks for) posts to the endpoint's URL: every fixed part
        # of the rule appears in its source.
        used = [getattr(modules[module], p, None) for p in inspect.signature(test).parameters]
        source = "".join(inspect.getsource(f) for f in [test, *used] if callable(f))
        fixed = re.split(r"<[^>]+>", app.url_map._rules_by_endpoint[endpoint][0].rule)
        assert all(part in source for part in fixed), (endpoint, name, fixed)
