"""Sealed until the deadline: every role before and after; no reading by guessing URLs."""

import datetime as dt
import re

import sqlalchemy as sa
import time_machine

from govtech.challenges.services import close_due_challenges
from govtech.proposals.models import IneligibilityReason, Proposal, Screening
from govtech.proposals.services import screen_proposal
from tests import factories
from tests.conftest import login

SECRET_SUMMARY = "Propuesta confidencial número 7781"
SECRET_PRICE = "48,765.43"


def _client(app, user=None):
    client = app.test_client()
    if user is not None:
        login(client, user.email, factories.PASSWORD)
    return client


def _scenario(db):
    staff = factories.agency_staff()
    challenge = factories.published_challenge(staff)
    bidder = factories.supplier_member()
    proposal = factories.submitted_proposal(
        challenge, bidder, summary=SECRET_SUMMARY, price_amount=factories.Decimal("48765.43")
    )
    factories.complete_proposal(challenge)  # another company's draft
    people = {
        "owner": bidder,
        "colleague": factories.supplier_member(bidder.supplier),
        "rival": factories.supplier_member(),
        "staff": staff,
        "other_agency": factories.agency_staff(),
        "evaluator": factories.evaluator(),
        "admin": factories.admin(),
        "anonymous": None,
    }
    db.session.commit()
    return challenge, proposal, people


def _urls(proposal):
    file_id = proposal.latest_submission.snapshot["content"]["attachments"]
    urls = [
        f"/proposals/{proposal.id}",
        f"/proposals/{proposal.id}/review",
        f"/proposals/{proposal.id}/receipts/1",
        f"/proposals/{proposal.id}/edit/solution",
    ]
    return urls + [f"/proposals/{proposal.id}/files/{a['file_id']}" for a in file_id]


def _sees(client, url) -> bool:
    response = client.get(url)
    body = response.get_data(as_text=True)
    return response.status_code == 200 and (SECRET_SUMMARY in body or SECRET_PRICE in body)


def test_sealed_before_the_deadline_for_every_role(app, db):
    challenge, proposal, people = _scenario(db)
    for role, user in people.items():
        client = _client(app, user)
        seen = _sees(client, f"/proposals/{proposal.id}")
        assert seen is (role in ("owner", "colleague")), role
        if role not in ("owner", "colleague"):
            status = client.get(f"/proposals/{proposal.id}").status_code
            assert status in (302, 403, 404), (role, status)
        # The challenge page, catalogue and API never show the content.
        for url in (
            f"/challenges/{challenge.id}",
            "/challenges/",
            "/api/v1/challenges",
            f"/api/v1/challenges/{challenge.id}",
            "/dashboard",
        ):
            body = client.get(url).get_data(as_text=True)
            if role not in ("owner", "colleague"):
                assert SECRET_SUMMARY not in body, (role, url)
                assert SECRET_PRICE not in body, (role, url)
    # The agency learns only that bids are sealed: not even how many it has received.
    staff_page = _client(app, people["staff"]).get(f"/challenges/{challenge.id}")
    assert "Proposals stay sealed until" in staff_page.get_data(as_text=True)
    assert "proposal received" not in staff_page.get_data(as_text=True)
    assert (
        _client(app, people["staff"]).get(f"/proposals/challenge/{challenge.id}").status_code == 302
    )


def test_after_the_deadline_only_the_owning_agency_opens_it(app, db):
    challenge, proposal, people = _scenario(db)
    with time_machine.travel(challenge.submission_deadline + dt.timedelta(seconds=1), tick=False):
        close_due_challenges()
        db.session.commit()
        allowed = {"owner", "colleague", "staff"}
        for role, user in people.items():
            client = _client(app, user)
            assert _sees(client, f"/proposals/{proposal.id}") is (role in allowed), role
        listing = _client(app, people["staff"]).get(f"/proposals/challenge/{challenge.id}")
        assert proposal.reference in listing.get_data(as_text=True)
        # Drafts of other companies are not bids: the agency never sees them.
        draft = db.session.scalar(sa.select(Proposal).where(Proposal.id != proposal.id))
        assert _client(app, people["staff"]).get(f"/proposals/{draft.id}").status_code == 404
        assert (
            _client(app, people["other_agency"])
            .get(f"/proposals/challenge/{challenge.id}")
            .status_code
            == 403
        )


def test_guessing_urls_reveals_nothing_and_changes_nothing(app, db):
    challenge, proposal, people = _scenario(db)
    rival = _client(app, people["rival"])
    for url in _urls(proposal):
        assert rival.get(url).status_code in (403, 404), url
    for url, data in (
        (f"/proposals/{proposal.id}/edit/solution", {"summary": "hackeado"}),
        (f"/proposals/{proposal.id}/withdraw", {}),
        (f"/proposals/{proposal.id}/submit", {}),
        (f"/proposals/{proposal.id}/attachments/1/delete", {}),
    ):
        assert rival.post(url, data=data).status_code in (403, 404), url
    for missing in ("/proposals/99999", "/proposals/99999/receipts/1", "/proposals/99999/files/1"):
        assert rival.get(missing).status_code == 404
    db.session.refresh(proposal)
    assert proposal.summary == SECRET_SUMMARY
    assert proposal.status.value == "submitted"


def test_files_of_other_objects_cannot_be_fetched_through_a_proposal(app, db):
    challenge, proposal, people = _scenario(db)
    staff = people["staff"]
    draft = factories.draft_challenge(staff)
    from govtech.challenges.services import attach_document

    doc = attach_document(draft, staff, "Interno", "interno.pdf", factories.pdf_bytes())
    db.session.commit()
    owner = _client(app, people["owner"])
    assert owner.get(f"/proposals/{proposal.id}/files/{doc.file_id}").status_code == 404


def test_screening_after_the_deadline_notifies_ineligible(app, db, outbox):
    challenge, proposal, people = _scenario(db)
    staff_client = _client(app, people["staff"])
    # Before the deadline, screening is refused.
    assert (
        staff_client.post(
            f"/proposals/{proposal.id}/screen", data={"decision": "eligible"}
        ).status_code
        == 404
    )
    with time_machine.travel(challenge.submission_deadline + dt.timedelta(minutes=1), tick=False):
        close_due_challenges()
        db.session.commit()
        outsider = _client(app, people["other_agency"])
        staff_client = _client(app, people["staff"])  # weeks later: the old session expired
        assert outsider.post(
            f"/proposals/{proposal.id}/screen", data={"decision": "eligible"}
        ).status_code in (403, 404)
        missing_reason = staff_client.post(
            f"/proposals/{proposal.id}/screen", data={"decision": "ineligible"}
        )
        assert missing_reason.status_code == 302
        db.session.refresh(proposal)
        assert proposal.screening is Screening.PENDING
        response = staff_client.post(
            f"/proposals/{proposal.id}/screen",
            data={
                "decision": "ineligible",
                "reason": "price_above_budget",
                "note": "El precio incluye costos fuera del alcance.",
            },
        )
        assert response.status_code == 302
    db.session.refresh(proposal)
    assert proposal.screening is Screening.INELIGIBLE
    assert proposal.screening_reason is IneligibilityReason.PRICE_ABOVE_BUDGET
    # The notice quotes the agency's explanation (its subject is in the user's language).
    notices = [m for m in outbox if "fuera del alcance" in m.body]
    recipients = sorted(r for m in notices for r in m.recipients)
    assert recipients == sorted([people["owner"].email, people["colleague"].email])
    assert all("fuera del alcance" in m.body for m in notices)


def test_screening_service_requires_reason(db):
    challenge, proposal, people = _scenario(db)
    import pytest

    from govtech.proposals.services import ProposalError

    with time_machine.travel(challenge.submission_deadline + dt.timedelta(minutes=1), tick=False):
        close_due_challenges()
        with pytest.raises(ProposalError) as error:
            screen_proposal(proposal, people["staff"], eligible=False)
        assert error.value.field == "reason"
        screen_proposal(proposal, people["staff"], eligible=True)
    assert proposal.screening is Screening.ELIGIBLE


def test_supplier_dashboard_lists_drafts_and_receipts(app, db):
    challenge, proposal, people = _scenario(db)
    page = _client(app, people["colleague"]).get("/dashboard").get_data(as_text=True)
    assert challenge.title in page
    assert re.search(rf"{re.escape(proposal.reference)}-V1", page)
