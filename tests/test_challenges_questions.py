"""Clarification questions: who may ask, who sees what, answers published anonymously."""

import datetime as dt

import time_machine

from tests import factories
from tests.conftest import login


def _client(app, user):
    client = app.test_client()
    login(client, user.email, factories.PASSWORD)
    return client


def test_question_and_answer_flow(app, db, outbox):
    staff = factories.agency_staff()
    challenge = factories.published_challenge(staff)
    asker = factories.supplier_member(name="Valentina Preguntona", email="asker@example.org")
    rival = factories.supplier_member()
    db.session.commit()

    asker_client = _client(app, asker)
    response = asker_client.post(
        f"/challenges/{challenge.id}/questions",
        data={"text": "¿Los datos de turnos incluyen la especialidad médica?"},
    )
    assert response.status_code == 302
    question_text = "especialidad médica"
    # Unanswered: the asker and the agency see it, nobody else.
    assert question_text in asker_client.get(f"/challenges/{challenge.id}").get_data(as_text=True)
    assert question_text in _client(app, staff).get(f"/challenges/{challenge.id}").get_data(
        as_text=True
    )
    assert question_text not in _client(app, rival).get(f"/challenges/{challenge.id}").get_data(
        as_text=True
    )
    assert question_text not in app.test_client().get(f"/challenges/{challenge.id}").get_data(
        as_text=True
    )

    import sqlalchemy as sa

    from govtech.challenges.models import Question

    question = db.session.scalar(sa.select(Question))
    response = _client(app, staff).post(
        f"/challenges/{challenge.id}/questions/{question.id}/answer",
        data={"answer": "Sí, incluyen la especialidad y el centro de salud."},
    )
    assert response.status_code == 302
    public_page = app.test_client().get(f"/challenges/{challenge.id}").get_data(as_text=True)
    assert question_text in public_page
    assert "incluyen la especialidad" in public_page
    assert "Valentina Preguntona" not in public_page
    assert "asker@example.org" not in public_page
    # The asker follows automatically and is told about the answer.
    assert [m.recipients for m in outbox] == [["asker@example.org"]]


def test_questions_refused_after_question_deadline(app, db):
    challenge = factories.published_challenge()
    asker = factories.supplier_member()
    db.session.commit()
    client = _client(app, asker)
    with time_machine.travel(challenge.question_deadline + dt.timedelta(seconds=1), tick=False):
        client.post(
            f"/challenges/{challenge.id}/questions",
            data={"text": "¿Llego tarde con esta pregunta?"},
        )
    import sqlalchemy as sa

    from govtech.challenges.models import Question

    assert db.session.scalar(sa.select(sa.func.count(Question.id))) == 0


def test_only_suppliers_ask_and_only_owning_agency_answers(app, db):
    staff = factories.agency_staff()
    challenge = factories.published_challenge(staff)
    asker = factories.supplier_member()
    from govtech.challenges.services import ask_question

    question = ask_question(challenge, asker, "¿Se puede presentar un consorcio de empresas?")
    outsider = factories.agency_staff()
    evaluator = factories.evaluator()
    db.session.commit()
    assert (
        _client(app, staff)
        .post(
            f"/challenges/{challenge.id}/questions", data={"text": "Pregunta de la propia agencia"}
        )
        .status_code
        == 403
    )
    assert (
        _client(app, evaluator)
        .post(f"/challenges/{challenge.id}/questions", data={"text": "Pregunta de un evaluador"})
        .status_code
        == 403
    )
    assert (
        _client(app, outsider)
        .post(
            f"/challenges/{challenge.id}/questions/{question.id}/answer",
            data={"answer": "Respuesta ajena"},
        )
        .status_code
        == 403
    )
    assert (
        _client(app, asker)
        .post(
            f"/challenges/{challenge.id}/questions/{question.id}/answer",
            data={"answer": "Me respondo solo"},
        )
        .status_code
        == 403
    )
    db.session.refresh(question)
    assert question.answer is None


def test_question_rate_limit(app_factory, db):
    challenge = factories.published_challenge()
    asker = factories.supplier_member()
    db.session.commit()
    limited = app_factory(RATELIMIT_ENABLED=True)
    client = limited.test_client()
    login(client, asker.email, factories.PASSWORD)
    codes = [
        client.post(
            f"/challenges/{challenge.id}/questions",
            data={"text": f"Pregunta número {n} sobre el reto"},
        ).status_code
        for n in range(7)
    ]
    assert codes[:5] == [302] * 5
    assert codes[5:] == [429, 429]
