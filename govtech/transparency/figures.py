"""Public results and the ecosystem's figures, computed from the platform's own data."""

import statistics
from collections import Counter, defaultdict
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from govtech.awards.models import AwardDecision, AwardedProposal, AwardNotice, DecisionStatus
from govtech.challenges.models import PUBLIC_STATUSES, Challenge, ChallengeStatus, Question
from govtech.evaluation.models import ReadinessAnswer
from govtech.extensions import db
from govtech.proposals.models import Proposal, ProposalStatus

DECIDED = (ChallengeStatus.AWARDED, ChallengeStatus.VOID)


def results() -> list[dict]:
    """Awarded and void challenges with winners, amounts, scores and notices."""
    decisions = db.session.scalars(
        sa.select(AwardDecision)
        .options(
            joinedload(AwardDecision.challenge).joinedload(Challenge.agency),
            selectinload(AwardDecision.winners)
            .joinedload(AwardedProposal.proposal)
            .joinedload(Proposal.supplier),
        )
        .where(AwardDecision.status == DecisionStatus.CONFIRMED)
        .order_by(AwardDecision.confirmed_at.desc())
    ).all()
    notices = {
        n.decision_id: n
        for n in db.session.scalars(sa.select(AwardNotice).order_by(AwardNotice.id))
    }
    rows = []
    for d in decisions:
        c = d.challenge
        rows.append(
            {
                "challenge_id": c.id,
                "reference": c.reference,
                "title": c.title,
                "agency": c.agency.name,
                "country": c.country,
                "sector": c.sector.value,
                "status": c.status.value,
                "currency": c.currency,
                "budget": str(c.budget_amount),
                "decided_at": d.confirmed_at.isoformat(),
                "justification": d.justification,
                "notice": notices[d.id].reference if d.id in notices else None,
                "winners": [
                    {
                        "supplier": w.proposal.supplier.legal_name,
                        "country": w.proposal.supplier.country,
                        "size_band": w.proposal.supplier.size_band.value,
                        "amount": str(w.amount),
                        "score": str(w.score),
                        "rank": w.rank,
                    }
                    for w in d.winners
                ],
            }
        )
    return rows


def ecosystem(country: str | None = None, year: int | None = None) -> dict:
    """The three lines of action in numbers, overall or for one country and year."""
    stmt = (
        sa.select(Challenge)
        .options(joinedload(Challenge.agency))
        .where(Challenge.status.in_(PUBLIC_STATUSES))
    )
    if country:
        stmt = stmt.where(Challenge.country == country)
    challenges = [
        c for c in db.session.scalars(stmt) if year is None or c.published_at.year == year
    ]
    ids = [c.id for c in challenges]
    # Line 1: demand
    budget: dict[str, Decimal] = defaultdict(Decimal)
    for c in challenges:
        budget[c.currency] += c.budget_amount
    readiness = Counter(
        a.answer.value
        for a in db.session.scalars(
            sa.select(ReadinessAnswer).where(ReadinessAnswer.challenge_id.in_(ids))
        )
    )
    # Line 2: agile procurement
    decisions = {
        d.challenge_id: d
        for d in db.session.scalars(
            sa.select(AwardDecision).where(
                AwardDecision.challenge_id.in_(ids),
                AwardDecision.status == DecisionStatus.CONFIRMED,
            )
        )
    }
    days = [
        (decisions[c.id].confirmed_at - c.published_at).days
        for c in challenges
        if c.id in decisions
    ]
    awarded = sum(1 for c in challenges if c.status is ChallengeStatus.AWARDED)
    void = sum(1 for c in challenges if c.status is ChallengeStatus.VOID)
    questions = db.session.scalars(
        sa.select(Question)
        .options(joinedload(Question.challenge))
        .where(Question.challenge_id.in_(ids))
    ).all()
    answered_on_time = sum(
        1 for q in questions if q.answered_at and q.answered_at <= q.challenge.question_deadline
    )
    # Line 3: supply, from closed challenges only: bids stay sealed until the deadline, and
    # figures that moved with each submission would tell how many are bidding.
    closed = [c for c in challenges if c.closed_at is not None]
    bids = db.session.scalars(
        sa.select(Proposal)
        .options(joinedload(Proposal.supplier))
        .where(
            Proposal.challenge_id.in_([c.id for c in closed]),
            Proposal.status == ProposalStatus.SUBMITTED,
        )
    ).all()
    suppliers = {b.supplier_id: b.supplier for b in bids}
    first_bid = dict(
        db.session.execute(
            sa.select(Proposal.supplier_id, sa.func.min(Proposal.submitted_at))
            .join(Challenge, Challenge.id == Proposal.challenge_id)
            .where(Proposal.status == ProposalStatus.SUBMITTED, Challenge.closed_at.is_not(None))
            .group_by(Proposal.supplier_id)
        ).all()
    )
    first_timers = sum(
        1
        for sid in suppliers
        if first_bid.get(sid) is not None
        and min(b.submitted_at for b in bids if b.supplier_id == sid) <= first_bid[sid]
    )
    winners = Counter(
        w.proposal.supplier.size_band.value for d in decisions.values() for w in d.winners
    )
    return {
        "filters": {"country": country, "year": year},
        "demand": {
            "challenges_published": len(challenges),
            "budget_offered": {k: str(v) for k, v in sorted(budget.items())},
            "sectors": dict(sorted(Counter(c.sector.value for c in challenges).items())),
            "readiness": {k: readiness.get(k, 0) for k in ("yes", "partly", "no")},
        },
        "procurement": {
            "median_days_to_award": statistics.median(days) if days else None,
            "awarded": awarded,
            "void": void,
            "share_awarded": _share(awarded, awarded + void),
            "questions": len(questions),
            "questions_answered_on_time": answered_on_time,
        },
        "supply": {
            "distinct_suppliers": len(suppliers),
            "share_smes": _share(sum(1 for s in suppliers.values() if s.is_sme), len(suppliers)),
            "share_first_time": _share(first_timers, len(suppliers)),
            "proposals_per_challenge": round(len(bids) / len(closed), 2) if closed else None,
            "winners_by_size_band": dict(sorted(winners.items())),
        },
    }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def countries_with_challenges() -> list[str]:
    """Countries that have public challenges."""
    return list(
        db.session.scalars(
            sa.select(Challenge.country)
            .where(Challenge.status.in_(PUBLIC_STATUSES))
            .distinct()
            .order_by(Challenge.country)
        )
    )
