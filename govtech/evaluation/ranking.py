"""Aggregation and ranking, computed in SQL.

Weighted score of a proposal = Σ over criteria of weight × (mean score of the evaluators who
submitted) ÷ 5, on a 0–100 scale. Ties are broken by the higher mean on the heaviest
criterion, then the lower price, then the earlier submission.
"""

import math
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from govtech.challenges.models import Challenge
from govtech.evaluation.models import (
    ConsensusNote,
    Criterion,
    EvaluatorAssignment,
    Score,
    Scorecard,
    ScorecardStatus,
)
from govtech.extensions import db
from govtech.proposals.models import Proposal, ProposalStatus, Screening

DIVERGENCE_POINTS = 3
CALIBRATION_MINIMUM = 5


@dataclass
class RankedProposal:
    rank: int
    proposal_id: int
    reference: str
    supplier_name: str
    price: Decimal | None
    score: float  # 0–100
    heaviest_mean: float | None
    evaluators: int
    normalised: float | None = None  # mean z-score across calibrated evaluators
    divergent_criteria: list[int] = field(default_factory=list)


def _criterion_means(challenge_id: int):
    """Per (proposal, criterion): mean, min, max and count of submitted scores."""
    return (
        sa.select(
            Scorecard.proposal_id.label("proposal_id"),
            Score.criterion_id.label("criterion_id"),
            sa.func.avg(Score.score * 1.0).label("mean"),
            sa.func.min(Score.score).label("low"),
            sa.func.max(Score.score).label("high"),
            sa.func.count(Score.id).label("n"),
        )
        .join(Score, Score.scorecard_id == Scorecard.id)
        .join(Criterion, Criterion.id == Score.criterion_id)
        .where(
            Criterion.challenge_id == challenge_id,
            Scorecard.status == ScorecardStatus.SUBMITTED,
            Score.score.is_not(None),
        )
        .group_by(Scorecard.proposal_id, Score.criterion_id)
        .subquery()
    )


def ranking(challenge: Challenge, divergent: dict | None = None) -> list[RankedProposal]:
    """The eligible proposals ranked by weighted score with the stated tie-break
    (`divergent`: the challenge's `divergences`, when the caller has them already)."""
    means = _criterion_means(challenge.id)
    heaviest = db.session.scalar(
        sa.select(Criterion.id)
        .where(Criterion.challenge_id == challenge.id)
        .order_by(Criterion.weight.desc(), Criterion.position)
        .limit(1)
    )
    weighted = (
        sa.select(
            means.c.proposal_id,
            sa.func.sum(Criterion.weight * means.c.mean / 5.0).label("score"),
            sa.func.max(means.c.n).label("evaluators"),
        )
        .join(Criterion, Criterion.id == means.c.criterion_id)
        .group_by(means.c.proposal_id)
        .subquery()
    )
    heavy = (
        sa.select(means.c.proposal_id, means.c.mean.label("heaviest_mean"))
        .where(means.c.criterion_id == heaviest)
        .subquery()
    )
    from govtech.accounts.models import Supplier

    score = sa.func.coalesce(weighted.c.score, 0)
    rows = db.session.execute(
        sa.select(
            Proposal.id,
            Proposal.reference,
            Supplier.legal_name,
            Proposal.price_amount,
            score.label("score"),
            heavy.c.heaviest_mean,
            sa.func.coalesce(weighted.c.evaluators, 0),
        )
        .join(Supplier, Supplier.id == Proposal.supplier_id)
        .outerjoin(weighted, weighted.c.proposal_id == Proposal.id)
        .outerjoin(heavy, heavy.c.proposal_id == Proposal.id)
        .where(
            Proposal.challenge_id == challenge.id,
            Proposal.status == ProposalStatus.SUBMITTED,
            Proposal.screening == Screening.ELIGIBLE,
        )
        .order_by(
            score.desc(),
            sa.func.coalesce(heavy.c.heaviest_mean, -1).desc(),
            Proposal.price_amount.asc(),
            Proposal.submitted_at.asc(),
            Proposal.id,
        )
    ).all()
    if divergent is None:
        divergent = divergences(challenge)
    normalised = calibrated_scores(challenge)
    return [
        RankedProposal(
            rank=position,
            proposal_id=pid,
            reference=ref,
            supplier_name=name,
            price=price,
            score=float(value or 0),
            heaviest_mean=float(hm) if hm is not None else None,
            evaluators=int(n),
            normalised=normalised.get(pid),
            divergent_criteria=sorted(divergent.get(pid, {})),
        )
        for position, (pid, ref, name, price, value, hm, n) in enumerate(rows, start=1)
    ]


def divergences(challenge: Challenge) -> dict[int, dict[int, tuple[int, int]]]:
    """{proposal_id: {criterion_id: (low, high)}} where evaluators differ by 3+ points."""
    means = _criterion_means(challenge.id)
    rows = db.session.execute(
        sa.select(means.c.proposal_id, means.c.criterion_id, means.c.low, means.c.high).where(
            means.c.high - means.c.low >= DIVERGENCE_POINTS
        )
    ).all()
    result: dict[int, dict[int, tuple[int, int]]] = {}
    for pid, cid, low, high in rows:
        result.setdefault(pid, {})[cid] = (low, high)
    return result


def open_divergences(challenge: Challenge, divergent: dict | None = None) -> int:
    """How many divergent (proposal, criterion) pairs still lack a consensus note."""
    if divergent is None:
        divergent = divergences(challenge)
    noted = set(
        db.session.execute(
            sa.select(ConsensusNote.proposal_id, ConsensusNote.criterion_id)
            .join(Proposal, Proposal.id == ConsensusNote.proposal_id)
            .where(Proposal.challenge_id == challenge.id)
        ).all()
    )
    return sum(1 for pid, crits in divergent.items() for cid in crits if (pid, cid) not in noted)


def evaluator_totals(challenge: Challenge) -> list[tuple[int, int, float]]:
    """(assignment id, proposal id, that evaluator's weighted score) for submitted cards."""
    return [
        (a, p, float(s))
        for a, p, s in db.session.execute(
            sa.select(
                Scorecard.assignment_id,
                Scorecard.proposal_id,
                sa.func.sum(Criterion.weight * Score.score / 5.0),
            )
            .join(Score, Score.scorecard_id == Scorecard.id)
            .join(Criterion, Criterion.id == Score.criterion_id)
            .where(
                Criterion.challenge_id == challenge.id,
                Scorecard.status == ScorecardStatus.SUBMITTED,
            )
            .group_by(Scorecard.assignment_id, Scorecard.proposal_id)
        ).all()
    ]


def calibrated_scores(challenge: Challenge) -> dict[int, float]:
    """Per proposal, the mean z-score of its evaluators' totals, counting only evaluators who
    scored at least five proposals (so a harsh or lenient evaluator is visible)."""
    by_evaluator: dict[int, list[tuple[int, float]]] = {}
    for assignment_id, proposal_id, total in evaluator_totals(challenge):
        by_evaluator.setdefault(assignment_id, []).append((proposal_id, total))
    z_by_proposal: dict[int, list[float]] = {}
    for cards in by_evaluator.values():
        if len(cards) < CALIBRATION_MINIMUM:
            continue
        values = [t for _, t in cards]
        mean = sum(values) / len(values)
        spread = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
        for proposal_id, total in cards:
            z = 0.0 if spread == 0 else (total - mean) / spread
            z_by_proposal.setdefault(proposal_id, []).append(z)
    return {pid: sum(zs) / len(zs) for pid, zs in z_by_proposal.items()}


def scores_by_criterion(proposal: Proposal) -> dict[int, list[tuple[int, int | None]]]:
    """{criterion_id: [(assignment_id, score), ...]} of the submitted scorecards (for charts)."""
    rows = db.session.execute(
        sa.select(Score.criterion_id, Scorecard.assignment_id, Score.score)
        .join(Scorecard, Scorecard.id == Score.scorecard_id)
        .where(Scorecard.proposal_id == proposal.id, Scorecard.status == ScorecardStatus.SUBMITTED)
        .order_by(Scorecard.assignment_id)
    ).all()
    result: dict[int, list[tuple[int, int | None]]] = {}
    for criterion_id, assignment_id, value in rows:
        result.setdefault(criterion_id, []).append((assignment_id, value))
    return result


def scores_by_proposal(
    challenge: Challenge, proposal_ids: list[int] | None = None
) -> dict[int, dict[int, list[tuple[int, int | None]]]]:
    """{proposal_id: {criterion_id: [(assignment_id, score), ...]}} of the challenge's
    submitted scorecards (of `proposal_ids` only, when given), in one query (the charts of
    the results page)."""
    statement = (
        sa.select(Scorecard.proposal_id, Score.criterion_id, Scorecard.assignment_id, Score.score)
        .join(Scorecard, Scorecard.id == Score.scorecard_id)
        .join(Criterion, Criterion.id == Score.criterion_id)
        .where(
            Criterion.challenge_id == challenge.id, Scorecard.status == ScorecardStatus.SUBMITTED
        )
        .order_by(Scorecard.assignment_id)
    )
    if proposal_ids is not None:
        statement = statement.where(Scorecard.proposal_id.in_(proposal_ids))
    rows = db.session.execute(statement).all()
    result: dict[int, dict[int, list[tuple[int, int | None]]]] = {}
    for proposal_id, criterion_id, assignment_id, value in rows:
        result.setdefault(proposal_id, {}).setdefault(criterion_id, []).append(
            (assignment_id, value)
        )
    return result


def missing_scorecard_pairs(challenge: Challenge) -> list[tuple[int, int]]:
    """(assignment id, proposal id) still to score: accepted evaluators × eligible proposals,
    less declared conflicts, submitted scorecards and reasons the agency recorded."""
    from govtech.evaluation.models import ConflictDeclaration, MissingScorecardReason

    pairs = db.session.execute(
        sa.select(EvaluatorAssignment.id, EvaluatorAssignment.user_id, Proposal.id)
        .join(Proposal, Proposal.challenge_id == EvaluatorAssignment.challenge_id)
        .where(
            EvaluatorAssignment.challenge_id == challenge.id,
            EvaluatorAssignment.user_id.is_not(None),
            Proposal.status == ProposalStatus.SUBMITTED,
            Proposal.screening == Screening.ELIGIBLE,
        )
        .order_by(EvaluatorAssignment.id, Proposal.id)
    ).all()
    # `ConflictDeclaration.blocks`, in SQL.
    blocked = set(
        db.session.execute(
            sa.select(ConflictDeclaration.user_id, ConflictDeclaration.proposal_id).where(
                ConflictDeclaration.challenge_id == challenge.id,
                sa.or_(
                    ConflictDeclaration.has_conflict,
                    sa.and_(
                        ConflictDeclaration.flagged, ConflictDeclaration.flag_resolved_at.is_(None)
                    ),
                ),
            )
        ).all()
    )
    panel = sa.select(EvaluatorAssignment.id).where(
        EvaluatorAssignment.challenge_id == challenge.id
    )
    done = set(
        db.session.execute(
            sa.select(Scorecard.assignment_id, Scorecard.proposal_id).where(
                Scorecard.assignment_id.in_(panel), Scorecard.status == ScorecardStatus.SUBMITTED
            )
        ).all()
    )
    done |= set(
        db.session.execute(
            sa.select(
                MissingScorecardReason.assignment_id, MissingScorecardReason.proposal_id
            ).where(MissingScorecardReason.assignment_id.in_(panel))
        ).all()
    )
    return [
        (aid, pid)
        for aid, uid, pid in pairs
        if (uid, pid) not in blocked and (aid, pid) not in done
    ]


def missing_scorecards(challenge: Challenge) -> int:
    """How many scorecards are still missing (see `missing_scorecard_pairs`)."""
    return len(missing_scorecard_pairs(challenge))
