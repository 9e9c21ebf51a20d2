"""Nobody learns how many suppliers bid before the deadline: not the owning agency, not a
rival, not the public; every page they can open reads the same whether one company or
four are bidding. After the deadline the agency sees the count and opens the register."""

import datetime as dt
import re

import time_machine

from govtech.challenges.services import close_due_challenges
from govtech.proposals.services import withdraw_proposal
from tests import factories
from tests.conftest import login

# Tokens and ids that differ on every response, whatever the data.
_VOLATILE = [
    re.compile(r'(name="csrf_token"[^>]*value=")[^"]*'),
    re.compile(r'(value=")[^"]*("[^>]*name="csrf_token")'),
    re.compile(r'(<meta name="csrf-token" content=")[^"]*'),
    re.compile(r'(nonce=")[^"]*'),
    re.compile(r'("csrf_token":\s*")[^"]*'),
]


def _normalised(body: str) -> str:
    for pattern in _VOLATILE:
        body = pattern.sub(
            lambda m: m.group(1) + "…" + (m.group(2) if m.lastindex == 2 else ""), body
        )
    return body


def _client(app, user=None):
    client = app.test_client()
    if user is not None:
        login(client, user.email, factories.PASSWORD)
    return client


def _pages(challenge, own_proposal=None) -> list[str]:
    urls = [
        f"/challenges/{challenge.id}",
        "/challenges/",
        "/dashboard",
        f"/api/v1/challenges/{challenge.id}",
        "/api/v1/challenges",
        f"/challenges/{challenge.id}/ocds.json",
        "/ocds/releases.json",
        "/ocds/records.json",
        "/ecosystem",
        f"/ecosystem?country={challenge.country}",
        "/api/v1/ecosystem",
        f"/api/v1/ecosystem?country={challenge.country}&year={challenge.published_at.year}",
        "/results",
        "/api/v1/results",
    ]
    if own_proposal is not None:
        urls += ["/proposals/mine", f"/proposals/{own_proposal.id}"]
    return urls


def _snapshot(app, viewers, challenge, rival_proposal) -> dict:
    seen = {}
    for role, user in viewers.items():
        client = _client(app, user)
        urls = _pages(challenge, rival_proposal if role == "rival" else None)
        if role == "staff":
            urls.append(f"/transparency/audit/challenges/{challenge.id}")
        for url in urls:
            response = client.get(url)
            seen[role, url] = (response.status_code, _normalised(response.get_data(as_text=True)))
    return seen


def test_no_page_tells_anyone_how_many_bid_before_the_deadline(app, db):
    moment = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with time_machine.travel(moment, tick=False):
        staff = factories.agency_staff()
        challenge = factories.published_challenge(staff)
        rival = factories.supplier_member()
        rival_proposal = factories.submitted_proposal(challenge, rival)
        viewers = {
            "staff": staff,
            "colleague": factories.agency_staff(staff.agency),
            "other_agency": factories.agency_staff(),
            "rival": rival,
            "other_supplier": factories.supplier_member(),
            "public": None,
        }
        db.session.commit()
        before = _snapshot(app, viewers, challenge, rival_proposal)
        # Three more companies bid: two submit, one keeps a draft, one withdraws.
        for _ in range(2):
            factories.submitted_proposal(challenge)
        factories.complete_proposal(challenge)
        withdrawing = factories.supplier_member()
        withdrawn = factories.submitted_proposal(challenge, withdrawing)
        withdraw_proposal(withdrawn, withdrawing)
        db.session.commit()
        after = _snapshot(app, viewers, challenge, rival_proposal)
    assert before.keys() == after.keys()
    for key, (status, body) in before.items():
        assert after[key][0] == status, key
        assert after[key][1] == body, f"{key} changed when others bid"
    # The agency is told that bids are sealed, and until when.
    staff_page = before["staff", f"/challenges/{challenge.id}"][1]
    assert "Proposals stay sealed until" in staff_page
    assert "proposals received" not in staff_page
    assert "proposal received" not in staff_page


def test_after_the_deadline_the_agency_sees_the_count_and_the_register(app, db):
    staff = factories.agency_staff()
    challenge = factories.published_challenge(staff)
    bids = [factories.submitted_proposal(challenge) for _ in range(3)]
    factories.complete_proposal(challenge)  # a draft is not a bid
    db.session.commit()
    with time_machine.travel(challenge.submission_deadline + dt.timedelta(seconds=1), tick=False):
        close_due_challenges()
        db.session.commit()
        page = _client(app, staff).get(f"/challenges/{challenge.id}").get_data(as_text=True)
        assert "3 proposals received." in page
        assert "Proposals stay sealed" not in page
        register = _client(app, staff).get(f"/proposals/challenge/{challenge.id}")
        body = register.get_data(as_text=True)
        assert register.status_code == 200
        # Numbered in the order the proposals were received.
        order = [body.index(p.reference) for p in bids]
        assert order == sorted(order)
        assert re.search(r'data-label="No\.">3<', body)
        # A rival and the public still see no count on the challenge page...
        for viewer in (factories.supplier_member(), None):
            db.session.commit()
            other = _client(app, viewer).get(f"/challenges/{challenge.id}").get_data(as_text=True)
            assert not re.search(r"proposals? received", other)
        # ...and the open figures now count the bids of the closed challenge.
        figures = _client(app).get("/api/v1/ecosystem").get_json()
        assert figures["supply"]["distinct_suppliers"] == 3
        assert figures["supply"]["proposals_per_challenge"] == 3.0
