"""Awards: readiness for a decision, four-eyes, the PDF notice parsed back, verification,
emails to bidders, appeals and the pilot milestones."""

import datetime as dt
import hashlib
import io
import re

import pytest
import sqlalchemy as sa
import time_machine
from pypdf import PdfReader

from govtech.audit.models import AuditEntry
from govtech.awards.models import AwardNotice, MilestoneStatus
from govtech.awards.services import (
    AwardError,
    answer_appeal,
    confirm_decision,
    decide_milestone,
    deliver_milestone,
    lodge_appeal,
    pilot_milestones,
    propose_award,
    propose_void,
)
from govtech.challenges.models import ChallengeStatus
from tests import factories
from tests.conftest import login


def _client(app, user):
    client = app.test_client()
    login(client, user.email, factories.PASSWORD)
    return client


def _scored(n_bidders=2, values=((4, 4, 4, 4), (3, 3, 3, 3))):
    challenge, staff, proposals, evaluators = factories.evaluation_scenario(n_bidders=n_bidders)
    for person in evaluators:
        for proposal, scores in zip(proposals, values, strict=True):
            factories.score(proposal, person, list(scores))
    return challenge, staff, proposals, evaluators


def test_award_refused_while_scorecards_are_missing(db):
    challenge, staff, proposals, evaluators = factories.evaluation_scenario()
    for proposal in proposals:
        factories.score(proposal, evaluators[0], [4, 4, 4, 4])
        factories.score(proposal, evaluators[1], [4, 4, 4, 4])
    with pytest.raises(AwardError, match="scorecards are still missing"):
        propose_award(challenge, staff, [proposals[0].id])
    for proposal in proposals:
        factories.score(proposal, evaluators[2], [4, 4, 4, 4])
    assert (
        propose_award(challenge, staff, [proposals[0].id]).winners[0].proposal_id == proposals[0].id
    )


def test_justification_required_off_the_top_rank(db):
    challenge, staff, (first, second), _ = _scored()
    with pytest.raises(AwardError) as error:
        propose_award(challenge, staff, [second.id])
    assert error.value.field == "justification"
    decision = propose_award(
        challenge, staff, [second.id], "La primera propuesta no garantiza la accesibilidad exigida."
    )
    assert decision.winners[0].rank == 2


def test_winners_must_reach_the_minimum_score_and_the_maximum_count(db):
    challenge, staff, proposals, _ = _scored(values=((4, 4, 4, 4), (1, 1, 1, 1)))
    with pytest.raises(AwardError, match="minimum score"):
        propose_award(
            challenge, staff, [proposals[1].id], "Justificación suficientemente larga para el caso."
        )
    with pytest.raises(AwardError, match="at most 1"):
        propose_award(challenge, staff, [p.id for p in proposals])


def test_four_eyes_the_same_user_cannot_confirm(app, db):
    challenge, staff, proposals, _ = _scored()
    decision = propose_award(challenge, staff, [proposals[0].id])
    with pytest.raises(AwardError, match="Another member"):
        confirm_decision(decision, staff)
    outsider = factories.agency_staff()
    with pytest.raises(AwardError):
        confirm_decision(decision, outsider)
    assert challenge.status is ChallengeStatus.IN_EVALUATION
    colleague = factories.agency_staff(staff.agency)
    db.session.commit()
    response = _client(app, staff).post(f"/awards/decisions/{decision.id}/confirm")
    assert response.status_code == 302
    db.session.refresh(challenge)
    assert challenge.status is ChallengeStatus.IN_EVALUATION
    response = _client(app, colleague).post(f"/awards/decisions/{decision.id}/confirm")
    assert response.status_code == 302
    assert "/notices/" in response.headers["Location"]
    db.session.refresh(challenge)
    assert challenge.status is ChallengeStatus.AWARDED


def _confirmed(outbox=None):
    challenge, staff, proposals, evaluators = _scored()
    decision = propose_award(challenge, staff, [proposals[0].id])
    colleague = factories.agency_staff(staff.agency)
    notice = confirm_decision(decision, colleague)
    return challenge, staff, proposals, evaluators, decision, notice


def test_notice_pdf_contains_the_facts(app, db):
    challenge, staff, proposals, evaluators, decision, notice = _confirmed()
    db.session.commit()
    response = app.test_client().get(f"/notices/{notice.reference}.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert 1 <= len(reader.pages) <= 3
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
    text = re.sub(r"\s+", " ", "".join(page.extract_text() for page in reader.pages))
    assert notice.reference in text
    winner = proposals[0].supplier
    assert winner.legal_name in text
    assert "50.000,00" in text  # the awarded amount, in the agency's (Spanish) format
    for person in evaluators:
        assert person.full_name in text
    assert notice.record_sha256 in text.replace(" ", "")
    assert re.match(rf"{staff.agency.code}-\d{{4}}-0001$", notice.reference)


def test_same_bytes_on_every_download_and_never_regenerated(app, db):
    challenge, staff, proposals, evaluators, decision, notice = _confirmed()
    db.session.commit()
    client = app.test_client()
    first = client.get(f"/notices/{notice.reference}.pdf").data
    second = client.get(f"/notices/{notice.reference}.pdf").data
    assert first == second
    assert hashlib.sha256(first).hexdigest() == notice.pdf_sha256
    from govtech.awards.notices import issue_notice

    assert issue_notice(decision).id == notice.id  # asking again returns the stored one
    assert db.session.scalar(sa.select(sa.func.count(AwardNotice.id))) == 1


def test_verify_accepts_the_issued_file_and_rejects_a_one_byte_change(app, runner, db, tmp_path):
    challenge, staff, proposals, evaluators, decision, notice = _confirmed()
    db.session.commit()
    client = app.test_client()
    pdf = client.get(f"/notices/{notice.reference}.pdf").data
    genuine = client.post(
        "/notices/verify",
        data={"document": (io.BytesIO(pdf), "n.pdf")},
        content_type="multipart/form-data",
    )
    assert "Genuine" in genuine.get_data(as_text=True)
    assert notice.reference in genuine.get_data(as_text=True)
    altered = bytearray(pdf)
    altered[len(altered) // 2] ^= 0x01
    forged = client.post(
        "/notices/verify",
        data={"document": (io.BytesIO(bytes(altered)), "n.pdf")},
        content_type="multipart/form-data",
    )
    assert "Not genuine" in forged.get_data(as_text=True)
    good_file, bad_file = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good_file.write_bytes(pdf)
    bad_file.write_bytes(bytes(altered))
    ok = runner.invoke(args=["notices", "verify", str(good_file)])
    assert ok.exit_code == 0
    assert notice.reference in ok.output
    ko = runner.invoke(args=["notices", "verify", str(bad_file)])
    assert ko.exit_code == 1
    page = client.get(f"/notices/{notice.reference}").get_data(as_text=True)
    assert "Valid" in page
    assert notice.pdf_sha256 in page


def test_every_bidder_is_emailed_with_score_and_rank(db, outbox):
    challenge, staff, proposals, evaluators, decision, notice = _confirmed()
    db.session.commit()
    results = [m for m in outbox if m.subject.startswith(("Your proposal won", "Result of"))]
    recipients = {r for m in results for r in m.recipients}
    expected = {member.email for p in proposals for member in p.supplier.members}
    assert recipients == expected
    loser_mail = next(
        m for m in results if m.recipients[0] in {u.email for u in proposals[1].supplier.members}
    )
    assert "60.0" in loser_mail.body  # (40+30+20+10)*3/5 = 60.0
    assert "2" in loser_mail.body


def test_confirmation_is_audited_and_notice_immutable_on_postgresql(db):
    challenge, staff, proposals, evaluators, decision, notice = _confirmed()
    db.session.commit()
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "award.confirmed"))
    assert entry.summary["notice"] == notice.reference
    if db.engine.dialect.name == "postgresql":
        with pytest.raises(sa.exc.DBAPIError, match="immutable"), db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE award_notices SET record_sha256 = 'x'"))


def test_void_declaration(db):
    challenge, staff, proposals, evaluators = _scored(values=((1, 1, 1, 1), (1, 1, 1, 1)))
    with pytest.raises(AwardError):
        propose_void(challenge, staff, "corto")
    decision = propose_void(
        challenge, staff, "Ninguna propuesta alcanza el puntaje mínimo publicado."
    )
    notice = confirm_decision(decision, factories.agency_staff(staff.agency))
    assert challenge.status is ChallengeStatus.VOID
    assert notice.record["kind"] == "void"


def test_appeals_during_standstill_and_finality(app, db):
    challenge, staff, proposals, evaluators, decision, notice = _confirmed()
    loser = proposals[1].supplier.members[0]
    outsider = factories.supplier_member()
    with pytest.raises(AwardError):
        lodge_appeal(decision, outsider, "No participé pero quiero apelar igualmente la decisión.")
    appeal = lodge_appeal(
        decision, loser, "El puntaje del criterio de madurez no refleja la evidencia."
    )
    assert not decision.is_final
    with time_machine.travel(decision.standstill_ends_at + dt.timedelta(minutes=1), tick=False):
        assert not decision.is_final  # an appeal is still unanswered
        with pytest.raises(AwardError):
            lodge_appeal(decision, loser, "Una segunda apelación fuera del plazo permitido.")
        answer_appeal(appeal, staff, "El panel revisó la evidencia y mantiene el puntaje otorgado.")
        assert decision.is_final
    db.session.commit()
    page = app.test_client().get(f"/challenges/{challenge.id}").get_data(as_text=True)
    assert "mantiene el puntaje" in page
    assert "Weighted scores of the eligible proposals" in page  # the ranking chart
    assert proposals[1].supplier.legal_name in page  # names are public after the award


def test_milestone_acceptance_flow_and_permissions(app, db):
    challenge, staff, proposals, evaluators, decision, notice = _confirmed()
    milestones = pilot_milestones(challenge)
    assert [m.payment_share for m in milestones] == [30, 70]
    winner = proposals[0].supplier.members[0]
    rival = proposals[1].supplier.members[0]
    first = milestones[0]
    with pytest.raises(AwardError):
        deliver_milestone(first, rival, "Entrega hecha por quien no ganó.")
    with pytest.raises(AwardError):
        decide_milestone(first, staff, True, "")  # not delivered yet
    deliver_milestone(first, winner, "Informe de diagnóstico entregado.")
    with pytest.raises(AwardError):
        decide_milestone(first, winner, True, "")  # suppliers do not accept their own work
    with pytest.raises(AwardError):
        decide_milestone(first, staff, False, "no")  # a rejection needs a reason
    decide_milestone(first, staff, False, "Falta el anexo de datos del informe.")
    assert first.status is MilestoneStatus.REJECTED
    deliver_milestone(first, winner, "Informe con el anexo de datos completo.")
    decide_milestone(first, staff, True, "")
    assert first.status is MilestoneStatus.ACCEPTED
    db.session.commit()
    page = app.test_client().get(f"/challenges/{challenge.id}").get_data(as_text=True)
    assert "Pilot progress" in page
    assert "30% of the payments released." in page
    rival_client = _client(app, rival)
    assert (
        rival_client.post(
            f"/awards/milestones/{milestones[1].id}/deliver", data={"evidence": "No es mío."}
        ).status_code
        == 404
    )
    outsider = factories.agency_staff()
    db.session.commit()
    other_staff = _client(app, outsider)
    assert (
        other_staff.post(
            f"/awards/milestones/{milestones[0].id}/decide", data={"decision": "accept"}
        ).status_code
        == 403
    )


def test_a_recorded_reason_lets_the_award_go_ahead_without_a_scorecard(app, db):
    challenge, staff, proposals, evaluators = factories.evaluation_scenario()
    for proposal in proposals:
        factories.score(proposal, evaluators[0], [4, 4, 4, 4])
        factories.score(proposal, evaluators[1], [4, 4, 4, 4])
    factories.score(proposals[0], evaluators[2], [4, 4, 4, 4])
    from govtech.evaluation.panel import assignment_of

    db.session.commit()
    missing = assignment_of(challenge, evaluators[2])
    client = _client(app, staff)
    url = f"/evaluation/challenges/{challenge.id}/missing/{missing.id}/{proposals[1].id}"
    client.post(url, data={"reason": "corto"})
    with pytest.raises(AwardError, match="missing"):
        propose_award(challenge, staff, [proposals[0].id])
    client.post(url, data={"reason": "La evaluadora está de licencia médica hasta marzo."})
    assert propose_award(challenge, staff, [proposals[0].id]) is not None
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "scorecard.excused"))
    assert "licencia" in entry.summary["reason"]


def test_a_correction_supersedes_the_notice_and_both_are_kept(app, db, runner, tmp_path):
    challenge, staff, proposals, evaluators, decision, notice = _confirmed()
    db.session.commit()
    client = _client(app, staff)
    # The agency finds the correction form on the notice's page; the public does not.
    assert "Issue a correcting notice" in client.get(f"/notices/{notice.reference}").text
    public_page = app.test_client().get(f"/notices/{notice.reference}").text
    assert "Issue a correcting notice" not in public_page
    original_pdf = app.test_client().get(f"/notices/{notice.reference}.pdf").data
    response = client.post(
        f"/notices/{notice.reference}/correct",
        data={"reason": "El nombre legal del ganador estaba mal escrito."},
    )
    assert response.status_code == 302
    correction = db.session.scalar(
        sa.select(AwardNotice).where(AwardNotice.supersedes_id == notice.id)
    )
    assert correction.reference != notice.reference
    assert correction.record["corrects"]["reference"] == notice.reference
    assert correction.correction_reason.startswith("El nombre legal")
    old_page = app.test_client().get(f"/notices/{notice.reference}").get_data(as_text=True)
    assert f"Superseded by {correction.reference}" in old_page
    assert app.test_client().get(f"/notices/{notice.reference}.pdf").data == original_pdf
    good = tmp_path / "old.pdf"
    good.write_bytes(original_pdf)
    result = runner.invoke(args=["notices", "verify", str(good)])
    assert result.exit_code == 0
    assert f"superseded by {correction.reference}" in result.output
    again = client.post(
        f"/notices/{notice.reference}/correct",
        data={"reason": "Una segunda corrección sobre el original no vale."},
    )
    assert again.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(AwardNotice.id))) == 2


def test_weasyprint_fetches_only_the_apps_static_files():
    from govtech.awards.notices import StaticOnlyFetcher

    fetcher = StaticOnlyFetcher()
    own = fetcher.fetch("static:css/govtech.css")
    assert b"gt-header" in own.read()
    for url in (
        "file:///etc/passwd",
        "http://127.0.0.1:9/",
        "https://example.org/logo.png",
        "static:../../pyproject.toml",
        "static:/../config.py",
    ):
        with pytest.raises(ValueError, match="refused|no such static file|disallowed"):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain,hola").read() == b"hola"


def test_a_second_pending_decision_cannot_be_confirmed_after_the_award(app, db):
    """If two colleagues proposed at the same moment (two pending decisions), confirming the
    second after the first is a clear refusal, not a 500 or a second award."""
    from govtech.awards.models import AwardDecision, DecisionKind, DecisionStatus

    challenge, staff, proposals, evaluators = _scored()
    first = propose_award(challenge, staff, [proposals[0].id])
    second = AwardDecision(
        challenge_id=challenge.id,
        kind=DecisionKind.VOID,
        status=DecisionStatus.PROPOSED,
        justification="Propuesta en paralelo por otra persona de la agencia.",
        proposed_by_id=staff.id,
    )
    db.session.add(second)
    colleague = factories.agency_staff(staff.agency)
    confirm_decision(first, colleague)
    db.session.commit()
    response = _client(app, colleague).post(f"/awards/decisions/{second.id}/confirm")
    assert response.status_code == 302
    db.session.refresh(second)
    assert second.status is DecisionStatus.PROPOSED
    assert challenge.status is ChallengeStatus.AWARDED
    notices = db.session.scalars(sa.select(AwardNotice)).all()
    assert [n.decision_id for n in notices] == [first.id]


def _notice_text(client, reference: str) -> str:
    response = client.get(f"/notices/{reference}.pdf")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.data))
    return re.sub(r"\s+", " ", "".join(page.extract_text() for page in reader.pages))


def test_a_notice_without_conflicts_says_none_was_declared(app, db):
    from flask_babel import force_locale, gettext, ngettext

    *_, notice = _confirmed()
    db.session.commit()
    assert notice.record["conflicts_declared"] == 0
    text = _notice_text(app.test_client(), notice.reference)
    with force_locale(notice.language):
        none = gettext("No conflict of interest was declared.")
        counted = ngettext(
            "%(num)d conflict of interest was declared; the evaluator concerned did not score "
            "that proposal.",
            "%(num)d conflicts of interest were declared; the evaluators concerned did not "
            "score those proposals.",
            0,
        )
    assert none in text
    assert counted.split(";")[0] not in text


def test_a_void_notice_without_evaluation_prints_no_empty_ranking_or_panel(app, runner, db):
    from flask_babel import force_locale, gettext

    assert runner.invoke(args=["seed", "checklist"]).exit_code == 0
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    void = [n for n in db.session.scalars(sa.select(AwardNotice)) if n.record["kind"] == "void"]
    bare = [n for n in void if not n.record["ranking"] and not n.record["committee"]]
    assert bare, "the demo has a void decision reached before any evaluation"
    notice = bare[0]
    text = _notice_text(app.test_client(), notice.reference)
    with force_locale(notice.language):
        headings = [gettext("Ranking"), gettext("Evaluation committee")]
        justification = gettext("Justification")
    assert justification in text  # the document itself was read
    for heading in headings:
        assert heading not in text, heading
