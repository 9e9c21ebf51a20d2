"""Evaluation: rubric rules, conflicts, blind review, independence, aggregation, ranking."""

import re
import threading

import pytest
import sqlalchemy as sa

from govtech.audit.models import AuditEntry
from govtech.challenges.services import publish_challenge
from govtech.evaluation.checklist import checklist_items
from govtech.evaluation.models import (
    Affiliation,
    AppliesTo,
    ConflictKind,
    Scorecard,
    ScorecardStatus,
)
from govtech.evaluation.panel import (
    accept_panel_invitation,
    declare_conflicts,
    invite_evaluator,
    resolve_flag,
)
from govtech.evaluation.ranking import divergences, open_divergences, ranking
from govtech.evaluation.scorecards import reopen_scorecard, save_scorecard, scorecard_for
from govtech.evaluation.services import EvaluationError, StaleScorecard, set_rubric
from tests import factories
from tests.conftest import login


def _client(app, user):
    client = app.test_client()
    login(client, user.email, factories.PASSWORD)
    return client


# --- rubric ----------------------------------------------------------------------------
def test_weights_not_summing_to_100_are_refused(app, db):
    staff = factories.agency_staff()
    challenge = factories.draft_challenge(staff, prepared=False)
    items = checklist_items(AppliesTo.PROPOSAL) or None
    if items is None:
        from govtech.evaluation.checklist import load_checklist

        load_checklist(app.config["SEEDS_DIR"])
        items = checklist_items(AppliesTo.PROPOSAL)
    with pytest.raises(EvaluationError) as error:
        set_rubric(
            challenge,
            staff,
            [{"item_id": items[0].id, "weight": 60}, {"item_id": items[1].id, "weight": 30}],
        )
    assert error.value.field == "weights"
    db.session.commit()
    client = _client(app, staff)
    form = {
        f"w_{items[0].id}": "70",
        f"w_{items[1].id}": "20",
        "own-0-title": "Propio",
        "own-0-weight": "5",
    }
    response = client.post(f"/evaluation/challenges/{challenge.id}/rubric", data=form)
    assert response.status_code == 400
    assert "add up to 95" in response.get_data(as_text=True)
    form["own-0-weight"] = "10"
    assert (
        client.post(f"/evaluation/challenges/{challenge.id}/rubric", data=form).status_code == 302
    )
    from govtech.evaluation.services import rubric

    assert sorted(c.weight for c in rubric(challenge)) == [10, 20, 70]


def test_challenge_side_items_and_too_many_own_criteria_refused(db):
    staff = factories.agency_staff()
    challenge = factories.draft_challenge(staff)
    challenge_item = checklist_items(AppliesTo.CHALLENGE)[0]
    with pytest.raises(EvaluationError):
        set_rubric(challenge, staff, [{"item_id": challenge_item.id, "weight": 100}])
    with pytest.raises(EvaluationError):
        set_rubric(
            challenge,
            staff,
            [{"item_id": None, "title": f"C{n}", "weight": 10} for n in range(6)]
            + [{"item_id": None, "title": "X", "weight": 40}],
        )


def test_publication_needs_readiness_and_rubric_then_freezes_it(app, db):
    from govtech.evaluation.checklist import load_checklist

    load_checklist(app.config["SEEDS_DIR"])
    staff = factories.agency_staff()
    challenge = factories.draft_challenge(staff, prepared=False)
    messages = [p.message for p in publish_challenge(challenge, staff)]
    assert any("readiness" in str(m) for m in messages)
    factories.prepare_for_publication(challenge, staff)
    assert publish_challenge(challenge, staff) == []
    with pytest.raises(EvaluationError, match="frozen"):
        set_rubric(
            challenge,
            staff,
            [{"item_id": checklist_items(AppliesTo.PROPOSAL)[0].id, "weight": 100}],
        )
    db.session.commit()
    page = app.test_client().get(f"/challenges/{challenge.id}").get_data(as_text=True)
    assert "How proposals will be evaluated" in page
    assert "40%" in page
    assert "Readiness profile" in page


def test_readiness_gaps_are_shown_publicly(app, db):
    staff = factories.agency_staff()
    challenge = factories.draft_challenge(staff)
    from govtech.evaluation.services import save_readiness

    first = checklist_items(AppliesTo.CHALLENGE)[0]
    save_readiness(challenge, staff, {first.id: ("no", "Sin patrocinio todavía")})
    assert publish_challenge(challenge, staff) == []
    db.session.commit()
    page = app.test_client().get(f"/challenges/{challenge.id}").get_data(as_text=True)
    assert 'usa-tag gt-tag--warn">1<' in page  # one gap on line 1


# --- conflicts ---------------------------------------------------------------------------
def test_conflicted_evaluator_cannot_open_the_proposal_by_url(app, db):
    challenge, staff, proposals, evaluators = factories.evaluation_scenario(declare=False)
    conflicted, clean = evaluators[0], evaluators[1]
    declare_conflicts(
        challenge,
        conflicted,
        {
            proposals[0].id: (True, ConflictKind.FAMILY, "Mi hermano es socio."),
            proposals[1].id: (False, None, None),
        },
    )
    declare_conflicts(challenge, clean, {p.id: (False, None, None) for p in proposals})
    db.session.commit()
    client = _client(app, conflicted)
    assert client.get(f"/evaluation/proposals/{proposals[0].id}/scorecard").status_code == 404
    assert client.get(f"/evaluation/proposals/{proposals[1].id}/scorecard").status_code == 200
    list_page = client.get(f"/evaluation/challenges/{challenge.id}/conflicts").get_data(
        as_text=True
    )
    assert f"/evaluation/proposals/{proposals[0].id}/scorecard" not in list_page
    assert (
        _client(app, clean).get(f"/evaluation/proposals/{proposals[0].id}/scorecard").status_code
        == 200
    )
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "conflict.declared")
    ).all()
    assert len(entries) == 4
    assert any(e.summary["has_conflict"] is True and e.summary["kind"] == "family" for e in entries)


def test_evaluator_must_declare_before_seeing_any_proposal(app, db):
    challenge, staff, proposals, evaluators = factories.evaluation_scenario(declare=False)
    db.session.commit()
    client = _client(app, evaluators[0])
    assert client.get(f"/evaluation/proposals/{proposals[0].id}/scorecard").status_code == 404
    response = client.post(
        f"/evaluation/challenges/{challenge.id}/conflicts",
        data={f"conflict_{proposals[0].id}": "no", f"conflict_{proposals[1].id}": "yes"},
    )
    assert response.status_code == 400  # a declared conflict needs its kind
    response = client.post(
        f"/evaluation/challenges/{challenge.id}/conflicts",
        data={
            f"conflict_{proposals[0].id}": "no",
            f"conflict_{proposals[1].id}": "yes",
            f"kind_{proposals[1].id}": "financial",
        },
    )
    assert response.status_code == 302
    assert client.get(f"/evaluation/proposals/{proposals[0].id}/scorecard").status_code == 200
    assert client.get(f"/evaluation/proposals/{proposals[1].id}/scorecard").status_code == 404


def test_affiliation_match_is_flagged_until_the_agency_resolves_it(app, db):
    challenge, staff, proposals, evaluators = factories.evaluation_scenario(declare=False)
    person = evaluators[0]
    bidder = proposals[0].supplier
    db.session.add(
        Affiliation(
            user_id=person.id,
            organisation=bidder.legal_name,
            country=bidder.country,
            tax_id=bidder.tax_id,
        )
    )
    declare_conflicts(challenge, person, {p.id: (False, None, None) for p in proposals})
    db.session.commit()
    client = _client(app, person)
    assert client.get(f"/evaluation/proposals/{proposals[0].id}/scorecard").status_code == 404
    assert client.get(f"/evaluation/proposals/{proposals[1].id}/scorecard").status_code == 200
    from govtech.evaluation.models import ConflictDeclaration

    flag = db.session.scalar(
        sa.select(ConflictDeclaration).where(ConflictDeclaration.flagged.is_(True))
    )
    assert flag.proposal_id == proposals[0].id
    with pytest.raises(EvaluationError):
        resolve_flag(flag, factories.agency_staff(), conflict=False, note="No es mi agencia.")
    resolve_flag(flag, staff, conflict=False, note="Dejó la empresa en 2019, fuera del plazo.")
    db.session.commit()
    assert client.get(f"/evaluation/proposals/{proposals[0].id}/scorecard").status_code == 200


def test_staff_with_a_conflict_cannot_see_that_bidders_scores(app, db):
    challenge, staff, proposals, evaluators = factories.evaluation_scenario()
    for person in evaluators:
        for proposal in proposals:
            factories.score(proposal, person, [4, 3, 5, 2])
    colleague = factories.agency_staff(staff.agency)
    declare_conflicts(
        challenge,
        colleague,
        {
            proposals[0].id: (True, ConflictKind.FINANCIAL, None),
            proposals[1].id: (False, None, None),
        },
    )
    db.session.commit()
    clear_page = _client(app, staff).get(f"/evaluation/challenges/{challenge.id}/results")
    conflicted_page = _client(app, colleague).get(f"/evaluation/challenges/{challenge.id}/results")
    assert proposals[0].reference in clear_page.get_data(as_text=True)
    body = conflicted_page.get_data(as_text=True)
    assert proposals[0].reference not in body
    assert proposals[0].supplier.legal_name not in body
    assert proposals[1].reference in body


# --- blind review and independence ----------------------------------------------------
def test_blind_review_hides_names_in_every_page_an_evaluator_reaches(app, db):
    challenge, staff, proposals, evaluators = factories.evaluation_scenario()
    db.session.commit()
    client = _client(app, evaluators[0])
    pages = [
        "/dashboard",
        "/evaluation/assignments",
        f"/evaluation/challenges/{challenge.id}/conflicts",
        f"/challenges/{challenge.id}",
    ]
    pages += [f"/evaluation/proposals/{p.id}/scorecard" for p in proposals]
    secrets = []
    for proposal in proposals:
        secrets.append(proposal.supplier.legal_name)
        secrets.append(proposal.supplier.tax_id)
        secrets += [member["name"] for member in proposal.team]
    for url in pages:
        body = client.get(url).get_data(as_text=True)
        for secret in secrets:
            assert secret not in body, (url, secret)
    # Nor can the evaluator reach the unblinded proposal or the agency's lists.
    assert client.get(f"/proposals/{proposals[0].id}").status_code == 404
    assert client.get(f"/proposals/challenge/{challenge.id}").status_code == 403
    assert client.get(f"/evaluation/challenges/{challenge.id}/results").status_code == 403


def test_evaluator_sees_others_scores_only_after_submitting(app, db):
    challenge, staff, proposals, evaluators = factories.evaluation_scenario(n_bidders=1)
    first, second = evaluators[0], evaluators[1]
    factories.score(
        proposals[0],
        first,
        [5, 5, 5, 5],
        justification="Una justificación muy particular y reconocible.",
    )
    factories.score(proposals[0], second, [1, 1, 1, 1], submit=False)
    db.session.commit()
    url = f"/evaluation/proposals/{proposals[0].id}/scorecard"
    before = _client(app, second).get(url).get_data(as_text=True)
    assert "Evaluator 1" not in before
    card = scorecard_for(proposals[0], second)
    db.session.refresh(card)
    factories.score(proposals[0], second, [1, 1, 1, 1])
    db.session.commit()
    after = _client(app, second).get(url).get_data(as_text=True)
    assert "Evaluator 1" in after


def test_submitted_scorecard_is_final_until_reopened_with_reason(db):
    challenge, staff, proposals, evaluators = factories.evaluation_scenario(n_bidders=1)
    card = factories.score(proposals[0], evaluators[0], [3, 3, 3, 3])
    with pytest.raises(EvaluationError):
        save_scorecard(card, evaluators[0], card.version, {}, submit=False)
    with pytest.raises(EvaluationError):
        reopen_scorecard(card, staff, "corto")
    reopen_scorecard(card, staff, "El puntaje del criterio 2 no coincide con la nota.")
    assert card.status is ScorecardStatus.DRAFT
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "scorecard.reopened")
    )
    assert "no coincide" in entry.summary["reason"]


def test_justification_required_to_submit(db):
    challenge, staff, proposals, evaluators = factories.evaluation_scenario(n_bidders=1)
    with pytest.raises(EvaluationError) as error:
        factories.score(proposals[0], evaluators[0], [3, 3, 3, 3], justification="Ok.")
    assert error.value.field.startswith("justification_")


# --- aggregation and ranking -----------------------------------------------------------
def test_aggregation_matches_a_hand_computed_example(db):
    # Weights 40, 30, 20, 10. Proposal A scores by three evaluators:
    #   c1: 4, 5, 3 -> mean 4     c2: 3, 3, 3 -> 3     c3: 5, 4, 3 -> 4     c4: 2, 2, 5 -> 3
    # weighted = (40*4 + 30*3 + 20*4 + 10*3) / 5 = (160 + 90 + 80 + 30) / 5 = 72.0
    # Proposal B: all 2s -> (40+30+20+10)*2/5 = 40.0
    challenge, staff, (a, b), evaluators = factories.evaluation_scenario()
    for person, values in zip(evaluators, ([4, 3, 5, 2], [5, 3, 4, 2], [3, 3, 3, 5]), strict=True):
        factories.score(a, person, values)
        factories.score(b, person, [2, 2, 2, 2])
    ranked = ranking(challenge)
    assert [r.proposal_id for r in ranked] == [a.id, b.id]
    assert ranked[0].score == pytest.approx(72.0)
    assert ranked[1].score == pytest.approx(40.0)
    assert ranked[0].evaluators == 3


def test_tie_break_heaviest_criterion_then_price_then_submission(db):
    from decimal import Decimal

    # Three proposals with the same weighted score (48):
    #   P1: c1 3, c2 2, c3 2, c4 2 -> (120+60+40+20)/5 = 48, heaviest mean 3
    #   P2: c1 2, c2 4, c3 1, c4 2 -> (80+120+20+20)/5 = 48, heaviest mean 2, price 40000
    #   P3: c1 2, c2 4, c3 1, c4 2 -> 48, heaviest mean 2, price 45000
    challenge, staff, (p1, p2, p3), evaluators = factories.evaluation_scenario(
        n_bidders=3, n_evaluators=1, prices=[Decimal("60000"), Decimal("40000"), Decimal("45000")]
    )
    (person,) = evaluators
    factories.score(p1, person, [3, 2, 2, 2])
    factories.score(p2, person, [2, 4, 1, 2])
    factories.score(p3, person, [2, 4, 1, 2])
    ranked = ranking(challenge)
    assert [r.score for r in ranked] == [pytest.approx(48.0)] * 3
    assert [r.proposal_id for r in ranked] == [p1.id, p2.id, p3.id]
    # Same price too: the earlier submission wins.
    p3.price_amount = Decimal("40000")
    p2.submitted_at, p3.submitted_at = p3.submitted_at, p2.submitted_at
    db.session.flush()
    assert [r.proposal_id for r in ranking(challenge)][1:] == [p3.id, p2.id]


def test_divergence_of_three_points_is_flagged_until_consensus(app, db):
    challenge, staff, (a, b), evaluators = factories.evaluation_scenario()
    for person, first in zip(evaluators, (1, 3, 4), strict=True):
        factories.score(a, person, [first, 3, 3, 3])
        factories.score(b, person, [3, 3, 3, 3])
    flagged = divergences(challenge)
    assert list(flagged) == [a.id]
    (criterion_id,) = flagged[a.id]
    assert flagged[a.id][criterion_id] == (1, 4)
    assert open_divergences(challenge) == 1
    db.session.commit()
    client = _client(app, staff)
    page = client.get(f"/evaluation/challenges/{challenge.id}/results").get_data(as_text=True)
    assert "Divergence: 3 points or more" in page
    assert "<svg" in page
    assert "<rect" in page
    client.post(
        f"/evaluation/proposals/{a.id}/consensus/{criterion_id}",
        data={"note": "El panel acuerda un 3: la evidencia es parcial."},
    )
    assert open_divergences(challenge) == 0


def test_results_page_shows_the_ranking_a_page_at_a_time(app, db, monkeypatch):
    from govtech.evaluation import presentation

    monkeypatch.setattr(presentation, "RESULTS_PAGE_SIZE", 2)
    challenge, staff, proposals, evaluators = factories.evaluation_scenario(n_bidders=3)
    for n, proposal in enumerate(proposals):
        for person in evaluators:
            factories.score(proposal, person, [5 - n, 3, 3, 3])
    db.session.commit()
    client = _client(app, staff)
    url = f"/evaluation/challenges/{challenge.id}/results"
    first, second = (client.get(url, query_string={"page": n}) for n in (1, 2))
    assert first.status_code == second.status_code == 200
    first, second = first.get_data(as_text=True), second.get_data(as_text=True)
    top, middle, last = (f'id="p-{p.id}"' for p in proposals)
    assert top in first
    assert middle in first
    assert last not in first
    assert last in second
    assert top not in second
    assert "Page 1 of 2" in first
    assert f"{url}?page=2" in first
    assert client.get(url, query_string={"page": 99}).status_code == 200


def test_calibration_shows_normalised_scores_after_five_proposals(db):
    challenge, staff, proposals, evaluators = factories.evaluation_scenario(
        n_bidders=5, n_evaluators=2
    )
    harsh, lenient = evaluators
    for n, proposal in enumerate(proposals):
        factories.score(proposal, harsh, [n % 3, n % 3, 1, 1])
        factories.score(proposal, lenient, [5 - (n % 2), 4, 4, 4])
    ranked = ranking(challenge)
    assert all(r.normalised is not None for r in ranked)
    assert sum(r.normalised for r in ranked) == pytest.approx(0.0, abs=1e-9)


# --- concurrency -------------------------------------------------------------------------
def test_concurrent_scorecard_saves_never_lose_an_update_silently(app, db, data_app):
    challenge, staff, proposals, evaluators = factories.evaluation_scenario(n_bidders=1)
    person = evaluators[0]
    card = scorecard_for(proposals[0], person, create=True)
    db.session.commit()
    card_id, person_id, version = card.id, person.id, card.version
    from govtech.accounts.models import User
    from govtech.evaluation.services import rubric

    criteria_ids = [c.id for c in rubric(challenge)]
    barrier = threading.Barrier(2)
    outcomes = []

    def save(value):
        with data_app.app_context():
            from govtech.extensions import db as thread_db

            c = thread_db.session.get(Scorecard, card_id)
            u = thread_db.session.get(User, person_id)
            scores = {cid: (value, None) for cid in criteria_ids}
            barrier.wait()
            try:
                save_scorecard(c, u, version, scores)
                thread_db.session.commit()
                outcomes.append(("saved", value))
            except (StaleScorecard, sa.exc.OperationalError):
                thread_db.session.rollback()
                outcomes.append(("told", value))
            finally:
                thread_db.session.remove()

    threads = [threading.Thread(target=save, args=(v,)) for v in (2, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(o for o, _ in outcomes) == ["saved", "told"]
    winner = next(v for o, v in outcomes if o == "saved")
    db.session.expire_all()
    stored = db.session.get(Scorecard, card_id)
    assert {s.score for s in stored.scores} == {winner}
    assert stored.version == version + 1


def test_stale_form_is_told_and_keeps_its_input(app, db):
    challenge, staff, proposals, evaluators = factories.evaluation_scenario(n_bidders=1)
    person = evaluators[0]
    card = scorecard_for(proposals[0], person, create=True)
    db.session.commit()
    from govtech.evaluation.services import rubric

    criteria = rubric(challenge)
    client = _client(app, person)
    url = f"/evaluation/proposals/{proposals[0].id}/scorecard"
    page = client.get(url).get_data(as_text=True)
    loaded_version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    # Another tab saves first.
    save_scorecard(card, person, card.version, {c.id: (1, None) for c in criteria})
    db.session.commit()
    data = {"version": loaded_version, "save": "1"}
    for c in criteria:
        data[f"score_{c.id}"] = "4"
        data[f"justification_{c.id}"] = "Mi texto que no debe perderse."
    response = client.post(url, data=data)
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "Someone saved this scorecard" in body
    assert "Mi texto que no debe perderse." in body
    db.session.expire_all()
    assert {s.score for s in db.session.get(Scorecard, card.id).scores} == {1}


def test_invited_expert_creates_an_evaluator_account(app, db, outbox):
    challenge, staff, proposals, evaluators = factories.evaluation_scenario(n_evaluators=0)
    db.session.commit()
    client = _client(app, staff)
    response = client.post(
        f"/evaluation/challenges/{challenge.id}/panel",
        data={"email": "experta@example.org", "role_on_panel": "Experta externa"},
    )
    assert response.status_code == 302
    message = next(m for m in outbox if m.recipients == ["experta@example.org"])
    link = re.search(r"http://govtech\.test(/evaluation/invitations/\S+)", message.body).group(1)
    expert = app.test_client()
    response = expert.post(
        link, data={"full_name": "Experta Externa", "password": "another-strong-passphrase-3"}
    )
    assert response.status_code == 302
    login(expert, "experta@example.org", "another-strong-passphrase-3")
    page = expert.get("/evaluation/assignments").get_data(as_text=True)
    assert challenge.title in page
    bidder_member = factories.supplier_member(proposals[0].supplier)
    db.session.commit()
    member_client = _client(app, bidder_member)
    assert (
        member_client.post(
            f"/evaluation/challenges/{challenge.id}/panel",
            data={"email": "x@example.org", "role_on_panel": "x"},
        ).status_code
        == 403
    )
    # A bidder's address may be invited (the agency is not told whose it is), never seated.
    invitation = invite_evaluator(challenge, staff, bidder_member.email, "Juez y parte")
    with pytest.raises(EvaluationError):
        accept_panel_invitation(invitation, bidder_member)


def test_opening_a_scorecard_writes_nothing_and_the_first_save_works(app, db):
    challenge, staff, proposals, evaluators = factories.evaluation_scenario(n_bidders=1)
    db.session.commit()
    client = _client(app, evaluators[0])
    url = f"/evaluation/proposals/{proposals[0].id}/scorecard"
    page = client.get(url).get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Scorecard.id))) == 0
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    from govtech.evaluation.services import rubric

    data = {"version": version, "save": "1"}
    for c in rubric(challenge):
        data[f"score_{c.id}"] = "3"
    assert client.post(url, data=data).status_code == 302
    card = db.session.scalar(sa.select(Scorecard))
    assert {s.score for s in card.scores} == {3}


def test_a_published_rubric_changes_only_by_addendum_with_a_later_deadline(app, db):
    import datetime as dt

    from govtech import clock
    from govtech.challenges.models import Addendum
    from govtech.evaluation.services import rubric

    staff = factories.agency_staff()
    challenge = factories.published_challenge(staff)
    db.session.commit()
    items = checklist_items(AppliesTo.PROPOSAL)
    client = _client(app, staff)
    url = f"/evaluation/challenges/{challenge.id}/rubric"
    page = client.get(url).get_data(as_text=True)
    assert "New deadline for proposals" in page
    deadline = challenge.submission_deadline

    def local(moment):
        return clock.to_zone(moment, challenge.time_zone).strftime("%Y-%m-%dT%H:%M")

    weights = {f"w_{items[0].id}": "70", f"w_{items[1].id}": "30"}
    text = "Se reequilibra la rúbrica: la solución pesa más que el equipo."
    same = client.post(
        url, data={**weights, "addendum_text": text, "new_submission_deadline": local(deadline)}
    )
    assert same.status_code == 400
    assert "A new rubric needs a later deadline for proposals." in same.get_data(as_text=True)
    db.session.expire_all()
    assert [c.weight for c in rubric(challenge)] == [40, 30, 20, 10]  # unchanged
    later = deadline + dt.timedelta(days=7)
    done = client.post(
        url, data={**weights, "addendum_text": text, "new_submission_deadline": local(later)}
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert [c.weight for c in rubric(challenge)] == [70, 30]
    addendum = db.session.scalar(sa.select(Addendum).where(Addendum.challenge_id == challenge.id))
    assert addendum.changes_requirements
    assert addendum.new_submission_deadline > deadline
    assert challenge.submission_deadline == addendum.new_submission_deadline
    actions = [e.action for e in db.session.scalars(sa.select(AuditEntry))]
    assert "challenge.rubric_amended" in actions
    public = app.test_client().get(f"/challenges/{challenge.id}").get_data(as_text=True)
    assert "70%" in public
    assert text in public
