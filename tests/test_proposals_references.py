"""Proposal references reveal nothing about rival bids, and starting at the same moment as
another company never fails."""

import re
import threading

import pytest
import sqlalchemy as sa

from govtech.audit.models import AuditEntry
from govtech.proposals import services
from govtech.proposals.models import Proposal
from govtech.proposals.services import is_well_formed_reference, start_proposal
from tests import factories
from tests.conftest import login


def _client(app, user):
    client = app.test_client()
    login(client, user.email, factories.PASSWORD)
    return client


def _code(proposal: Proposal) -> str:
    """The part of the reference after the (public) challenge reference."""
    assert proposal.reference.startswith(proposal.challenge.reference + "-")
    return proposal.reference[len(proposal.challenge.reference) + 1 :]


def test_a_late_bidder_cannot_tell_how_many_started_before(app, db):
    challenge = factories.published_challenge()
    early = [start_proposal(challenge, factories.supplier_member()) for _ in range(19)]
    late_member = factories.supplier_member()
    db.session.commit()
    # The twentieth company starts through the form and reads its reference on its draft.
    client = _client(app, late_member)
    response = client.post(f"/proposals/start/{challenge.id}")
    assert response.status_code == 302
    late = db.session.scalar(
        sa.select(Proposal).where(Proposal.supplier_id == late_member.supplier_id)
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert late.reference in page
    proposals = [*early, late]
    codes = [_code(p) for p in proposals]
    assert len(set(codes)) == len(codes)
    for code in codes:
        # Long enough not to be guessed: at least eight letters or digits.
        assert len(re.sub(r"[^0-9A-Z]", "", code)) >= 8, code
    # Not even the order in which companies started: sorting references does not give it
    # back (the chance that 20 random codes come out in starting order is 1 in 20!).
    assert sorted(codes) != codes
    assert all(is_well_formed_reference(p.reference) for p in proposals)


def test_a_mistyped_reference_is_caught_by_its_check_symbol(db):
    proposal = start_proposal(factories.published_challenge(), factories.supplier_member())
    reference = proposal.reference
    assert is_well_formed_reference(reference)
    assert is_well_formed_reference(reference.lower())  # read aloud, typed in lower case
    alphabet = services.REFERENCE_ALPHABET
    positions = [i for i, ch in enumerate(reference) if i > len(proposal.challenge.reference) + 2]
    positions = [i for i in positions if reference[i] != "-"]
    for i in positions:
        for wrong in alphabet:
            if wrong != reference[i]:
                typo = reference[:i] + wrong + reference[i + 1 :]
                assert not is_well_formed_reference(typo), typo
    assert not is_well_formed_reference(reference[:-1])
    assert not is_well_formed_reference(proposal.challenge.reference + "-P001")


def test_a_reference_already_taken_is_drawn_again(db, monkeypatch):
    challenge = factories.published_challenge()
    first = start_proposal(challenge, factories.supplier_member())
    db.session.commit()
    drawn = iter([first.reference, first.reference])
    real = services.new_proposal_reference
    monkeypatch.setattr(services, "new_proposal_reference", lambda c: next(drawn, None) or real(c))
    member = factories.supplier_member()
    second = start_proposal(challenge, member)
    db.session.commit()
    assert second.reference != first.reference
    assert is_well_formed_reference(second.reference)
    assert db.session.scalar(sa.select(sa.func.count(Proposal.id))) == 2
    # The draws that collided left nothing behind; the start is audited once.
    started = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "proposal.started")
    ).all()
    assert [e.object_id for e in started] == [str(first.id), str(second.id)]


def test_after_five_collisions_the_start_is_refused_not_a_500(app, db, monkeypatch):
    challenge = factories.published_challenge()
    first = start_proposal(challenge, factories.supplier_member())
    member = factories.supplier_member()
    db.session.commit()
    monkeypatch.setattr(services, "new_proposal_reference", lambda c: first.reference)
    response = _client(app, member).post(f"/proposals/start/{challenge.id}")
    assert response.status_code == 200
    assert "could not be started" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Proposal.id))) == 1


@pytest.mark.parametrize("companies", [2, 4])
def test_companies_starting_at_the_same_moment_all_get_a_draft(app, db, companies):
    challenge = factories.published_challenge()
    members = [factories.supplier_member() for _ in range(companies)]
    db.session.commit()
    clients = [_client(app, m) for m in members]
    url = f"/proposals/start/{challenge.id}"
    # Hold every request at its INSERT until all of them have chosen a reference, the
    # moment a real race would make them collide.
    barrier = threading.Barrier(companies)
    held = []

    def hold(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("INSERT INTO PROPOSALS "):
            barrier.wait(timeout=20)
            held.append(statement)

    statuses: list[int] = []

    def start(client):
        statuses.append(client.post(url).status_code)

    with app.app_context():  # the serving app's engine (the test's own is data_app's)
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", hold)
    try:
        threads = [threading.Thread(target=start, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        sa.event.remove(engine, "before_cursor_execute", hold)
    assert len(held) == companies  # every request did reach the barrier
    assert statuses == [302] * companies
    db.session.expire_all()
    proposals = db.session.scalars(
        sa.select(Proposal).where(Proposal.challenge_id == challenge.id)
    ).all()
    assert sorted(p.supplier_id for p in proposals) == sorted(m.supplier_id for m in members)
    assert len({p.reference for p in proposals}) == companies
