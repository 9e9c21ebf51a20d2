"""Authoring: validation with field errors, permissions, safe Markdown, addenda, documents."""

import datetime as dt
import re

import sqlalchemy as sa
import time_machine

from govtech import clock
from govtech.challenges.models import Addendum, Challenge, ChallengeStatus
from tests import factories
from tests.conftest import login


def _client_for(app, user):
    client = app.test_client()
    login(client, user.email, factories.PASSWORD)
    return client


def _form(**overrides):
    local = (clock.now() + dt.timedelta(days=10)).astimezone(dt.timezone(dt.timedelta(hours=-5)))
    fmt = "%Y-%m-%dT%H:%M"
    data = {
        "title": "Reducir la espera para turnos médicos",
        "problem_statement": "Los vecinos esperan semanas por un turno de atención primaria. " * 2,
        "current_situation": "Turnos por teléfono.",
        "expected_results": "- Espera de 19 a 7 días.",
        "sector": "health",
        "country": "CO",
        "region": "Bogotá",
        "budget_amount": "150000.50",
        "currency": "COP",
        "procedure_type": "innovation_challenge",
        "eligible_size_bands": ["micro", "small"],
        "question_deadline": local.strftime(fmt),
        "submission_deadline": (local + dt.timedelta(days=10)).strftime(fmt),
        "expected_award_date": (local + dt.timedelta(days=30)).strftime(fmt),
        "pilot_duration_weeks": "12",
        "contact_name": "Contacto",
        "contact_email": "contacto@example.org",
    }
    data.update(overrides)
    return data


def test_agency_creates_a_draft_in_its_time_zone(app, db):
    staff = factories.agency_staff(factories.agency(time_zone="America/Bogota"))
    db.session.commit()
    client = _client_for(app, staff)
    form = _form(max_winners="2", minimum_score="60", standstill_days="15", blind_review="y")
    response = client.post("/challenges/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    challenge = db.session.scalar(sa.select(Challenge))
    assert challenge.status is ChallengeStatus.DRAFT
    assert str(challenge.budget_amount) == "150000.50"
    assert (challenge.max_winners, challenge.minimum_score, challenge.standstill_days) == (
        2,
        60,
        15,
    )
    assert challenge.blind_review is True
    # 10:00 in Bogotá (UTC-5) is stored as 15:00 UTC.
    typed = dt.datetime.strptime(form["question_deadline"], "%Y-%m-%dT%H:%M")
    assert challenge.question_deadline == (typed + dt.timedelta(hours=5)).replace(tzinfo=dt.UTC)
    assert challenge.reference.startswith(f"{staff.agency.code}-{clock.now().year}-")


def test_bad_dates_and_amounts_get_field_errors(app, db):
    staff = factories.agency_staff()
    db.session.commit()
    client = _client_for(app, staff)
    cases = [
        ({"budget_amount": "0"}, "budget_amount"),
        ({"budget_amount": "-5"}, "budget_amount"),
        ({"budget_amount": "mucho"}, "budget_amount"),
        ({"question_deadline": "not-a-date"}, "question_deadline"),
        ({"submission_deadline": _form()["question_deadline"]}, "question_deadline"),
        ({"expected_award_date": _form()["question_deadline"]}, "expected_award_date"),
        ({"title": ""}, "title"),
        ({"currency": "XXX"}, "currency"),
        ({"eligible_size_bands": []}, "eligible_size_bands"),
        ({"pilot_duration_weeks": "0"}, "pilot_duration_weeks"),
    ]
    for change, field in cases:
        response = client.post("/challenges/new", data=_form(**change))
        assert response.status_code == 400, change
        page = response.get_data(as_text=True)
        assert f'href="#{field}"' in page, (change, field)
        assert f'id="{field}-error-1"' in page, (change, field)
    assert db.session.scalar(sa.select(sa.func.count(Challenge.id))) == 0


def test_supplier_and_evaluator_cannot_author(app, db):
    challenge = factories.draft_challenge()
    member = factories.supplier_member()
    evaluator = factories.evaluator()
    db.session.commit()
    for user in (member, evaluator):
        client = _client_for(app, user)
        assert client.get("/challenges/new").status_code == 403
        assert client.post("/challenges/new", data=_form()).status_code == 403
        assert client.get(f"/challenges/{challenge.id}/edit").status_code == 403
        assert client.post(f"/challenges/{challenge.id}/publish").status_code == 403


def test_other_agency_cannot_see_or_edit_a_draft(app, db):
    challenge = factories.draft_challenge()
    outsider = factories.agency_staff()
    db.session.commit()
    client = _client_for(app, outsider)
    assert client.get(f"/challenges/{challenge.id}").status_code == 404
    assert (
        client.post(
            f"/challenges/{challenge.id}/edit", data=_form(title="Hackeado por otra agencia")
        ).status_code
        == 404
    )
    assert client.post(f"/challenges/{challenge.id}/publish").status_code == 404
    assert app.test_client().get(f"/challenges/{challenge.id}").status_code == 404
    db.session.refresh(challenge)
    assert challenge.title != "Hackeado por otra agencia"


def test_other_agency_cannot_manage_a_published_challenge(app, db):
    challenge = factories.published_challenge()
    outsider = factories.agency_staff()
    db.session.commit()
    client = _client_for(app, outsider)
    assert client.get(f"/challenges/{challenge.id}").status_code == 200  # public page
    for path in ("edit", "cancel", "addenda/new", "documents"):
        assert client.get(f"/challenges/{challenge.id}/{path}").status_code == 403, path
    response = client.post(
        f"/challenges/{challenge.id}/cancel", data={"reason": "No es mío pero cancelo."}
    )
    assert response.status_code == 403
    db.session.refresh(challenge)
    assert challenge.status is ChallengeStatus.PUBLISHED


def test_published_challenge_is_not_editable(app, db):
    staff = factories.agency_staff()
    challenge = factories.published_challenge(staff)
    db.session.commit()
    response = _client_for(app, staff).post(
        f"/challenges/{challenge.id}/edit", data=_form(title="Cambio silencioso del título")
    )
    assert response.status_code == 302
    db.session.refresh(challenge)
    assert challenge.title != "Cambio silencioso del título"


def test_markdown_with_script_is_inert(app, client, db):
    challenge = factories.published_challenge(
        problem_statement=(
            "Texto **importante**.\n\n<script>alert('x')</script>\n\n"
            "<img src=x onerror=alert(1)> [enlace](javascript:alert(2)) "
            "[ok](https://example.org)"
        ),
        title="<b>Título</b> con etiquetas",
    )
    db.session.commit()
    page = client.get(f"/challenges/{challenge.id}").get_data(as_text=True)
    assert "<strong>importante</strong>" in page
    assert "<script>alert" not in page
    assert "<img src=x" not in page  # raw HTML is shown as text, never as markup
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert 'href="javascript:' not in page
    assert 'href="https://example.org" rel="nofollow noopener noreferrer"' in page
    assert "&lt;b&gt;Título&lt;/b&gt;" in page


def test_addendum_extends_never_shortens(app, db, outbox):
    staff = factories.agency_staff()
    challenge = factories.published_challenge(staff)
    follower = factories.supplier_member()
    from govtech.challenges.services import follow

    follow(challenge, follower)
    db.session.commit()
    client = _client_for(app, staff)
    tz = dt.timezone(dt.timedelta(hours=-5))
    fmt = "%Y-%m-%dT%H:%M"
    earlier = (challenge.submission_deadline - dt.timedelta(days=1)).astimezone(tz).strftime(fmt)
    response = client.post(
        f"/challenges/{challenge.id}/addenda/new",
        data={
            "text": "Se acorta el plazo, lo que no se puede.",
            "changes_requirements": "y",
            "new_submission_deadline": earlier,
        },
    )
    assert response.status_code == 400
    assert 'id="new_submission_deadline-error-1"' in response.get_data(as_text=True)
    later = (challenge.submission_deadline + dt.timedelta(days=7)).astimezone(tz).strftime(fmt)
    response = client.post(
        f"/challenges/{challenge.id}/addenda/new",
        data={
            "text": "Se agrega un requisito de accesibilidad.",
            "changes_requirements": "y",
            "new_submission_deadline": later,
        },
    )
    assert response.status_code == 302
    db.session.refresh(challenge)
    addendum = db.session.scalar(sa.select(Addendum))
    assert addendum.number == 1
    assert addendum.extends_deadline
    assert challenge.submission_deadline == addendum.new_submission_deadline
    page = app.test_client().get(f"/challenges/{challenge.id}").get_data(as_text=True)
    assert "Addendum 1" in page
    assert "requisito de accesibilidad" in page
    assert [m.recipients for m in outbox] == [[follower.email]]


def test_moving_the_deadline_needs_a_change_of_requirements(db):
    import pytest

    from govtech.challenges.services import ChallengeError, publish_addendum

    staff = factories.agency_staff()
    challenge = factories.published_challenge(staff)
    with pytest.raises(ChallengeError) as error:
        publish_addendum(
            challenge,
            staff,
            "Solo una aclaración menor.",
            changes_requirements=False,
            new_submission_deadline=challenge.submission_deadline + dt.timedelta(days=3),
        )
    assert error.value.field == "new_submission_deadline"


def test_addendum_refused_after_closing(db):
    import pytest

    from govtech.challenges.services import ChallengeError, publish_addendum

    staff = factories.agency_staff()
    challenge = factories.published_challenge(staff)
    with (
        time_machine.travel(challenge.submission_deadline + dt.timedelta(minutes=1), tick=False),
        pytest.raises(ChallengeError),
    ):
        publish_addendum(
            challenge, staff, "Demasiado tarde para cambiar algo.", changes_requirements=True
        )


def test_documents_pdf_only_by_content_and_downloaded_as_attachment(app, db):
    staff = factories.agency_staff()
    challenge = factories.draft_challenge(staff)
    db.session.commit()
    client = _client_for(app, staff)
    import io

    fake = client.post(
        f"/challenges/{challenge.id}/documents",
        data={"title": "Bases", "document": (io.BytesIO(b"MZ\x90\x00 not a pdf"), "bases.pdf")},
        content_type="multipart/form-data",
    )
    assert fake.status_code == 400
    assert "not a PDF" in fake.get_data(as_text=True)
    ok = client.post(
        f"/challenges/{challenge.id}/documents",
        data={
            "title": "Bases",
            "document": (io.BytesIO(factories.pdf_bytes()), "bases técnicas.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert ok.status_code == 302
    page = client.get(f"/challenges/{challenge.id}").get_data(as_text=True)
    href = re.search(r'href="(/challenges/\d+/documents/\d+)"', page).group(1)
    download = client.get(href)
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert download.data.startswith(b"%PDF-")


def test_oversized_upload_gets_a_friendly_413(app_factory, db):
    staff = factories.agency_staff()
    challenge = factories.draft_challenge(staff)
    db.session.commit()
    small = app_factory(MAX_CONTENT_LENGTH=50_000)
    client = small.test_client()
    login(client, staff.email, factories.PASSWORD)
    import io

    response = client.post(
        f"/challenges/{challenge.id}/documents",
        data={"title": "Grande", "document": (io.BytesIO(b"%PDF-" + b"0" * 100_000), "big.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "The file is too large" in response.get_data(as_text=True)


def test_addenda_and_cancellation_reach_every_bidder_not_only_followers(db, outbox):
    from govtech.challenges.services import cancel_challenge, publish_addendum

    staff = factories.agency_staff()
    challenge = factories.published_challenge(staff)
    drafting = factories.supplier_member()
    factories.complete_proposal(challenge, drafting)
    submitted = factories.supplier_member()
    factories.submitted_proposal(challenge, submitted)
    colleague = factories.supplier_member(submitted.supplier)  # same company, told too
    bystander = factories.supplier_member()  # no proposal, not following
    db.session.commit()
    outbox.clear()
    publish_addendum(
        challenge,
        staff,
        "Se agrega un requisito de accesibilidad.",
        changes_requirements=True,
        new_submission_deadline=challenge.submission_deadline + dt.timedelta(days=7),
    )
    db.session.commit()
    told = sorted(r for m in outbox for r in m.recipients)
    assert told == sorted([drafting.email, submitted.email, colleague.email])
    assert bystander.email not in told
    outbox.clear()
    cancel_challenge(challenge, staff, "El programa fue reformulado por la agencia.")
    db.session.commit()
    assert sorted(r for m in outbox for r in m.recipients) == told
