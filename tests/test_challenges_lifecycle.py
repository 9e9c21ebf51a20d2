"""The lifecycle of a challenge: allowed and refused transitions, clock-driven closing."""

import datetime as dt

import pytest
import sqlalchemy as sa
import time_machine

from govtech import clock
from govtech.audit.models import AuditEntry
from govtech.challenges.models import Challenge, ChallengeStatus
from govtech.challenges.services import (
    ChallengeError,
    cancel_challenge,
    close_due_challenges,
    declare_void,
    mark_awarded,
    publish_challenge,
    start_evaluation,
)
from tests import factories
from tests.conftest import login


def _staff_client(app, staff):
    client = app.test_client()
    login(client, staff.email, factories.PASSWORD)
    return client


def test_publish_through_the_page(app, db):
    staff = factories.agency_staff()
    challenge = factories.draft_challenge(staff)
    db.session.commit()
    client = _staff_client(app, staff)
    response = client.post(f"/challenges/{challenge.id}/publish")
    assert response.status_code == 302
    db.session.refresh(challenge)
    assert challenge.status is ChallengeStatus.PUBLISHED
    assert challenge.published_at is not None
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "challenge.published")
    )
    assert entry.actor_id == staff.id
    assert entry.summary["from"] == "draft"
    assert entry.summary["to"] == "published"


def test_unverified_agency_cannot_publish(db):
    agency = factories.agency(verified=False)
    staff = factories.agency_staff(agency)
    challenge = factories.draft_challenge(staff)
    with pytest.raises(ChallengeError, match="verified"):
        publish_challenge(challenge, staff)
    assert challenge.status is ChallengeStatus.DRAFT


def test_publication_requires_future_deadlines(db):
    staff = factories.agency_staff()
    past = clock.now() - dt.timedelta(days=1)
    challenge = factories.draft_challenge(
        staff,
        question_deadline=past - dt.timedelta(days=5),
        submission_deadline=past,
        expected_award_date=clock.now() + dt.timedelta(days=30),
    )
    problems = publish_challenge(challenge, staff)
    assert {p.field for p in problems} == {"question_deadline", "submission_deadline"}
    assert challenge.status is ChallengeStatus.DRAFT


def test_refused_transitions(db):
    staff = factories.agency_staff()
    draft = factories.draft_challenge(staff)
    with pytest.raises(ChallengeError):
        start_evaluation(draft, staff)  # draft -> in_evaluation skips publication
    with pytest.raises(ChallengeError):
        mark_awarded(draft, staff)
    published = factories.published_challenge(staff, title="Otro desafío para probar")
    with pytest.raises(ChallengeError):
        declare_void(published, staff, "No hubo propuestas válidas en este reto.")
    cancel_challenge(published, staff, "Presupuesto reasignado a una emergencia.")
    assert published.status is ChallengeStatus.CANCELLED
    with pytest.raises(ChallengeError):
        cancel_challenge(published, staff, "Otra vez, no debería poder hacerse.")


def test_cancel_needs_a_reason_and_is_refused_after_award(db):
    staff = factories.agency_staff()
    challenge = factories.published_challenge(staff)
    with pytest.raises(ChallengeError) as error:
        cancel_challenge(challenge, staff, "   ")
    assert error.value.field == "reason"
    with time_machine.travel(challenge.submission_deadline + dt.timedelta(minutes=1), tick=False):
        assert close_due_challenges() == 1
        start_evaluation(challenge, staff)
        mark_awarded(challenge, staff)
        with pytest.raises(ChallengeError):
            cancel_challenge(challenge, staff, "Demasiado tarde para cancelar.")
    assert challenge.status is ChallengeStatus.AWARDED


def test_other_agency_cannot_transition(db):
    challenge = factories.published_challenge()
    outsider = factories.agency_staff()
    with pytest.raises(ChallengeError):
        cancel_challenge(challenge, outsider, "No es mi desafío pero lo intento.")


def test_closing_by_the_clock_on_read(app, client, db):
    challenge = factories.published_challenge()
    db.session.commit()
    deadline = challenge.submission_deadline
    with time_machine.travel(deadline - dt.timedelta(seconds=1), tick=False):
        assert client.get(f"/challenges/{challenge.id}").status_code == 200
        db.session.refresh(challenge)
        assert challenge.status is ChallengeStatus.PUBLISHED
    with time_machine.travel(deadline + dt.timedelta(seconds=1), tick=False):
        page = client.get(f"/challenges/{challenge.id}").get_data(as_text=True)
        assert "Closed" in page
        client.get(f"/challenges/{challenge.id}")
    db.session.refresh(challenge)
    assert challenge.status is ChallengeStatus.CLOSED
    closings = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "challenge.closed")
    ).all()
    assert len(closings) == 1  # closed once, however many requests saw it
    assert closings[0].actor_id is None
    assert closings[0].actor_label == "system"


def test_close_due_command(runner, db):
    early = factories.published_challenge()
    late = factories.published_challenge(
        title="Un desafío que cierra más tarde",
        submission_deadline=clock.now() + dt.timedelta(days=30),
        expected_award_date=clock.now() + dt.timedelta(days=60),
    )
    db.session.commit()
    with time_machine.travel(early.submission_deadline + dt.timedelta(hours=1), tick=False):
        result = runner.invoke(args=["challenges", "close-due"])
        assert "Closed 1 challenge(s)." in result.output
        again = runner.invoke(args=["challenges", "close-due"])
        assert "Closed 0 challenge(s)." in again.output
    statuses = dict(db.session.execute(sa.select(Challenge.id, Challenge.status)).all())
    assert statuses[early.id] is ChallengeStatus.CLOSED
    assert statuses[late.id] is ChallengeStatus.PUBLISHED


def test_there_is_no_manual_close_route(app):
    assert not [r for r in app.url_map.iter_rules() if r.rule.endswith("/close")]
