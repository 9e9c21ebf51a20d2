"""Bidding: eligibility, validation, the deadline by the clock, digests, versions."""

import datetime as dt
import io
import re
import threading
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine

from govtech.accounts.models import SizeBand
from govtech.proposals.models import Proposal, ProposalStatus, ProposalSubmission
from govtech.proposals.services import (
    ProposalError,
    content_digest,
    proposal_content,
    save_draft,
    start_proposal,
    submit_proposal,
    withdraw_proposal,
)
from tests import factories
from tests.conftest import login


def _client(app, user):
    client = app.test_client()
    login(client, user.email, factories.PASSWORD)
    return client


# --- eligibility -----------------------------------------------------------------------
def test_eligibility_refusals_with_reasons(app, db):
    challenge = factories.published_challenge(
        eligible_size_bands=["micro", "small"],
        eligible_countries=["CO", "BR"],
        max_company_age_years=5,
    )
    large = factories.supplier_member(factories.supplier("CO", size_band=SizeBand.LARGE))
    foreign = factories.supplier_member(factories.supplier("AR"))
    old = factories.supplier_member(factories.supplier("BR", founding_year=1990))
    ok = factories.supplier_member(factories.supplier("CO"))
    db.session.commit()
    for member, reason in (
        (large, "not open to companies of your size"),
        (foreign, "open only to companies registered in"),
        (old, "at most 5 years old"),
    ):
        client = _client(app, member)
        page = client.get(f"/proposals/start/{challenge.id}").get_data(as_text=True)
        assert reason in page, reason
        response = client.post(f"/proposals/start/{challenge.id}")
        assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Proposal.id))) == 0
    response = _client(app, ok).post(f"/proposals/start/{challenge.id}")
    assert response.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Proposal.id))) == 1


def test_one_proposal_per_supplier_and_challenge(db):
    challenge = factories.published_challenge()
    member = factories.supplier_member()
    colleague = factories.supplier_member(member.supplier)
    first = start_proposal(challenge, member)
    assert start_proposal(challenge, colleague).id == first.id


# --- validation ------------------------------------------------------------------------
def _pilot_form(shares, weeks=(2, 8)):
    data = {}
    for i, (share, week) in enumerate(zip(shares, weeks, strict=False)):
        data.update(
            {
                f"milestones-{i}-name": f"Hito {i}",
                f"milestones-{i}-week": str(week),
                f"milestones-{i}-deliverable": "Entregable",
                f"milestones-{i}-acceptance_test": "Prueba",
                f"milestones-{i}-payment_share": str(share),
            }
        )
    data.update({"kpis-0-name": "Espera", "kpis-0-baseline": "19", "kpis-0-target": "7"})
    return data


def test_milestone_shares_must_sum_to_100(app, db):
    challenge = factories.published_challenge()
    member = factories.supplier_member()
    proposal = start_proposal(challenge, member)
    db.session.commit()
    client = _client(app, member)
    response = client.post(f"/proposals/{proposal.id}/edit/pilot", data=_pilot_form([30, 60]))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "add up to 90%" in page
    # What the supplier typed is still in the form: nothing is lost.
    assert 'value="Hito 1"' in page
    ok = client.post(f"/proposals/{proposal.id}/edit/pilot", data=_pilot_form([30, 70]))
    assert ok.status_code == 302
    db.session.refresh(proposal)
    assert [m["payment_share"] for m in proposal.milestones] == [30.0, 70.0]


def test_half_filled_milestone_row_is_refused(app, db):
    challenge = factories.published_challenge()
    member = factories.supplier_member()
    proposal = start_proposal(challenge, member)
    db.session.commit()
    data = _pilot_form([100], weeks=[4])
    data["milestones-1-name"] = "Hito sin semana"
    response = _client(app, member).post(f"/proposals/{proposal.id}/edit/pilot", data=data)
    assert response.status_code == 400
    assert 'id="milestones-1-week-error-1"' in response.get_data(as_text=True)


def test_price_over_budget_refused(app, db):
    challenge = factories.published_challenge(budget_amount=Decimal("100000"))
    member = factories.supplier_member()
    proposal = start_proposal(challenge, member)
    db.session.commit()
    response = _client(app, member).post(
        f"/proposals/{proposal.id}/edit/commitments",
        data={"price_amount": "100000.01", "data_protection": "x"},
    )
    assert response.status_code == 400
    assert 'id="price_amount-error-1"' in response.get_data(as_text=True)
    db.session.refresh(proposal)
    assert proposal.price_amount is None


def _upload(client, proposal, data, name="anexo.pdf"):
    return client.post(
        f"/proposals/{proposal.id}/attachments",
        data={"title": "Anexo", "document": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_attachments_pdf_by_content_size_and_count(app_factory, db):
    challenge = factories.published_challenge()
    member = factories.supplier_member()
    proposal = start_proposal(challenge, member)
    db.session.commit()
    small_limit = app_factory(MAX_ATTACHMENT_BYTES=20_000)
    client = small_limit.test_client()
    login(client, member.email, factories.PASSWORD)
    renamed = _upload(client, proposal, b"PK\x03\x04 a zip file pretending", "propuesta.pdf")
    assert renamed.status_code == 400
    assert "not a PDF" in renamed.get_data(as_text=True)
    damaged = _upload(client, proposal, b"%PDF-1.7\n garbage without structure")
    assert damaged.status_code == 400
    oversized = _upload(client, proposal, factories.pdf_bytes() + b"%" + b"0" * 30_000)
    assert oversized.status_code == 400
    assert "larger than" in oversized.get_data(as_text=True)
    for _ in range(5):
        assert _upload(client, proposal, factories.pdf_bytes()).status_code == 302
    sixth = _upload(client, proposal, factories.pdf_bytes())
    assert sixth.status_code == 400
    assert "at most 5 attachments" in sixth.get_data(as_text=True)
    db.session.refresh(proposal)
    assert len(proposal.attachments) == 5


# --- the deadline, by the server's clock -----------------------------------------------
def test_submission_one_second_before_and_after_the_deadline(app, db, outbox):
    challenge = factories.published_challenge()
    early_member = factories.supplier_member()
    late_member = factories.supplier_member()
    early = factories.complete_proposal(challenge, early_member)
    late = factories.complete_proposal(challenge, late_member)
    db.session.commit()
    deadline = challenge.submission_deadline
    with time_machine.travel(deadline - dt.timedelta(seconds=1), tick=False):
        response = _client(app, early_member).post(f"/proposals/{early.id}/submit")
        assert response.status_code == 302
        assert "/receipts/1" in response.headers["Location"]
    with time_machine.travel(deadline + dt.timedelta(seconds=1), tick=False):
        client = _client(app, late_member)
        response = client.post(f"/proposals/{late.id}/submit", follow_redirects=True)
        assert "deadline for proposals has passed" in response.get_data(as_text=True)
    db.session.expire_all()
    assert early.status is ProposalStatus.SUBMITTED
    assert late.status is ProposalStatus.DRAFT
    assert late.summary == factories.proposal_values()["summary"]  # nothing lost
    assert late.milestones == factories.proposal_values()["milestones"]
    assert db.session.scalar(sa.select(sa.func.count(ProposalSubmission.id))) == 1
    # The receipt went to the early bidder's members.
    assert [m.recipients for m in outbox] == [[early_member.email]]
    assert early.latest_submission.digest in outbox[0].body


def test_exactly_at_the_deadline_is_too_late(db):
    challenge = factories.published_challenge()
    member = factories.supplier_member()
    proposal = factories.complete_proposal(challenge, member)
    with (
        time_machine.travel(challenge.submission_deadline, tick=False),
        pytest.raises(ProposalError),
    ):
        submit_proposal(proposal, member)


def test_draft_cannot_change_after_the_deadline(app, db):
    challenge = factories.published_challenge()
    member = factories.supplier_member()
    proposal = factories.complete_proposal(challenge, member)
    db.session.commit()
    with time_machine.travel(challenge.submission_deadline + dt.timedelta(minutes=1), tick=False):
        response = _client(app, member).post(
            f"/proposals/{proposal.id}/edit/solution", data={"summary": "Cambio tardío"}
        )
    assert response.status_code == 400
    db.session.refresh(proposal)
    assert proposal.summary != "Cambio tardío"


def test_two_concurrent_submissions_record_one(app, db, data_app):
    challenge = factories.published_challenge()
    member = factories.supplier_member()
    proposal = factories.complete_proposal(challenge, member)
    db.session.commit()
    proposal_id, member_id, user_class = proposal.id, member.id, type(member)
    barrier = threading.Barrier(2)
    outcomes = []

    def attempt():
        with data_app.app_context():
            from govtech.extensions import db as thread_db

            p = thread_db.session.get(Proposal, proposal_id)
            m = thread_db.session.get(user_class, member_id)
            barrier.wait()
            try:
                submit_proposal(p, m)
                thread_db.session.commit()
                outcomes.append("submitted")
            except (ProposalError, sa.exc.OperationalError, sa.exc.IntegrityError):
                thread_db.session.rollback()
                outcomes.append("refused")
            finally:
                thread_db.session.remove()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["refused", "submitted"]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(ProposalSubmission.id))) == 1
    assert db.session.get(Proposal, proposal_id).submission_count == 1


# --- versions and digests --------------------------------------------------------------
def test_withdraw_and_resubmit_keeps_both_versions(app, db):
    challenge = factories.published_challenge()
    member = factories.supplier_member()
    proposal = factories.submitted_proposal(challenge, member)
    first_digest = proposal.latest_submission.digest
    with pytest.raises(ProposalError):
        save_draft(proposal, member, {"summary": "Cambio sin retirar"})
    withdraw_proposal(proposal, member)
    save_draft(proposal, member, {"summary": "Versión mejorada con más detalle."})
    second = submit_proposal(proposal, member)
    db.session.commit()
    versions = db.session.scalars(
        sa.select(ProposalSubmission)
        .where(ProposalSubmission.proposal_id == proposal.id)
        .order_by(ProposalSubmission.version)
    ).all()
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].withdrawn_at is not None
    assert versions[1].withdrawn_at is None
    assert versions[0].snapshot["content"]["summary"] == factories.proposal_values()["summary"]
    assert versions[1].snapshot["content"]["summary"] == "Versión mejorada con más detalle."
    assert second.digest != first_digest
    page = _client(app, member).get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert f"{proposal.reference}-V1" in page
    assert f"{proposal.reference}-V2" in page


def test_digest_is_stable_and_changes_with_any_field(db):
    challenge = factories.published_challenge()
    member = factories.supplier_member()
    proposal = factories.complete_proposal(challenge, member)
    base = content_digest(proposal_content(proposal))
    assert content_digest(proposal_content(proposal)) == base
    assert re.fullmatch(r"[0-9a-f]{64}", base)
    changes = {
        "summary": "Otro resumen",
        "price_amount": Decimal("49999.99"),
        "maturity_evidence": "Otra evidencia",
        "kpis": [{"name": "Espera media", "baseline": "19 días", "target": "6 días"}],
        "team": [{"name": "Ana Pérez", "role": "Líder", "experience": "10 años"}],
        "scale_up_cost": Decimal("150000.01"),
    }
    for field, value in changes.items():
        original = getattr(proposal, field)
        setattr(proposal, field, value)
        assert content_digest(proposal_content(proposal)) != base, field
        setattr(proposal, field, original)
        assert content_digest(proposal_content(proposal)) == base, field


def test_submitted_digest_matches_the_snapshot(db):
    challenge = factories.published_challenge()
    proposal = factories.submitted_proposal(challenge)
    submission = proposal.latest_submission
    assert content_digest(submission.snapshot["content"]) == submission.digest


def test_snapshot_is_immutable_on_postgresql(db):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the immutability trigger exists on PostgreSQL")
    proposal = factories.submitted_proposal(factories.published_challenge())
    db.session.commit()
    with pytest.raises(sa.exc.DBAPIError, match="immutable"), db.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE proposal_submissions SET digest = 'x' WHERE id = :id"),
            {"id": proposal.latest_submission.id},
        )
