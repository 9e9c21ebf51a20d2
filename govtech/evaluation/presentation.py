"""What the evaluation pages show: overviews, results with charts, panels on other pages."""

import sqlalchemy as sa
from flask import current_app

from govtech.challenges import views as challenge_views
from govtech.challenges.models import Challenge, ChallengeStatus
from govtech.evaluation.checklist import current_language, lines_of_action
from govtech.evaluation.models import (
    ConflictDeclaration,
    ConsensusNote,
    EvaluatorAssignment,
    Scorecard,
    ScorecardStatus,
)
from govtech.evaluation.ranking import (
    divergences,
    missing_scorecard_pairs,
    missing_scorecards,
    open_divergences,
    ranking,
    scores_by_criterion,
)
from govtech.evaluation.services import (
    MIN_EVALUATORS,
    assignment_of,
    declarations_of,
    eligible_proposals,
    panel,
    readiness_profile,
    rubric,
)
from govtech.extensions import db
from govtech.proposals.models import Proposal
from govtech.site.dashboards import dashboard_panel

PALETTE = ("#005ea2", "#e5a000", "#00a91c", "#d83933", "#8168b3", "#1a4480", "#5c5c5c")


def scorecards_of(challenge: Challenge, user) -> dict[int, Scorecard]:
    """The user's scorecards on a challenge, by proposal id."""
    assignment = assignment_of(challenge, user)
    if assignment is None:
        return {}
    return {
        c.proposal_id: c
        for c in db.session.scalars(
            sa.select(Scorecard).where(Scorecard.assignment_id == assignment.id)
        )
    }


def assignments_overview(user) -> list[dict]:
    """Per challenge on the user's panels: declarations and scorecards done and to do."""
    rows = db.session.scalars(
        sa.select(EvaluatorAssignment)
        .where(EvaluatorAssignment.user_id == user.id)
        .order_by(EvaluatorAssignment.id.desc())
    ).all()
    overview = []
    for assignment in rows:
        challenge = db.session.get(Challenge, assignment.challenge_id)
        proposals = (
            eligible_proposals(challenge)
            if challenge.status is ChallengeStatus.IN_EVALUATION
            else []
        )
        declared = declarations_of(challenge, user)
        cards = scorecards_of(challenge, user)
        open_ids = [p.id for p in proposals if p.id in declared and not declared[p.id].blocks]
        overview.append(
            {
                "challenge": challenge,
                "assignment": assignment,
                "proposals": len(proposals),
                "to_declare": sum(1 for p in proposals if p.id not in declared),
                "to_score": len(open_ids),
                "submitted": sum(
                    1
                    for pid in open_ids
                    if pid in cards and cards[pid].status is ScorecardStatus.SUBMITTED
                ),
            }
        )
    return overview


def others_scores(proposal: Proposal, own: Scorecard) -> list[dict]:
    """The other evaluators' submitted scores (shown only after one's own is submitted)."""
    cards = db.session.scalars(
        sa.select(Scorecard).where(
            Scorecard.proposal_id == proposal.id,
            Scorecard.id != own.id,
            Scorecard.status == ScorecardStatus.SUBMITTED,
        )
    ).all()
    return [
        {"evaluator": n, "scores": {s.criterion_id: s for s in card.scores}}
        for n, card in enumerate(cards, start=1)
    ]


def results_context(challenge: Challenge, hidden: set[int]) -> dict:
    """Ranking, divergences, scorecards and charts, leaving out proposals in `hidden`
    (those the viewing staff member declared a conflict with)."""
    language = current_language()
    criteria = rubric(challenge)
    ranked = [r for r in ranking(challenge) if r.proposal_id not in hidden]
    members = panel(challenge)
    numbers = {m.id: n for n, m in enumerate(members, start=1)}
    divergent = divergences(challenge)
    notes = {
        (n.proposal_id, n.criterion_id): n
        for n in db.session.scalars(
            sa.select(ConsensusNote)
            .join(Proposal, Proposal.id == ConsensusNote.proposal_id)
            .where(Proposal.challenge_id == challenge.id)
        )
    }
    charts = {}
    cards_by_proposal: dict[int, list[Scorecard]] = {}
    for card in db.session.scalars(
        sa.select(Scorecard)
        .join(EvaluatorAssignment, EvaluatorAssignment.id == Scorecard.assignment_id)
        .where(EvaluatorAssignment.challenge_id == challenge.id)
    ):
        cards_by_proposal.setdefault(card.proposal_id, []).append(card)
    for row in ranked:
        proposal = db.session.get(Proposal, row.proposal_id)
        charts[row.proposal_id] = score_chart(criteria, scores_by_criterion(proposal), numbers)
    flags = [
        d
        for d in db.session.scalars(
            sa.select(ConflictDeclaration).where(
                ConflictDeclaration.challenge_id == challenge.id,
                ConflictDeclaration.flagged.is_(True),
                ConflictDeclaration.flag_resolved_at.is_(None),
            )
        )
        if d.proposal_id not in hidden
    ]
    conflicts_declared = db.session.scalar(
        sa.select(sa.func.count(ConflictDeclaration.id)).where(
            ConflictDeclaration.challenge_id == challenge.id,
            ConflictDeclaration.has_conflict.is_(True),
        )
    )
    return {
        "criteria": criteria,
        "ranked": ranked,
        "members": members,
        "numbers": numbers,
        "divergent": divergent,
        "notes": notes,
        "charts": charts,
        "language": language,
        "cards_by_proposal": cards_by_proposal,
        "flags": flags,
        "missing": missing_scorecards(challenge),
        "missing_pairs": [
            (aid, db.session.get(Proposal, pid))
            for aid, pid in missing_scorecard_pairs(challenge)
            if pid not in hidden
        ],
        "open_divergences": open_divergences(challenge),
        "conflicts_declared": conflicts_declared,
        "minimum": MIN_EVALUATORS,
    }


def score_chart(criteria, scores: dict, numbers: dict) -> dict:
    """Geometry of a grouped bar chart (criteria × evaluators), drawn as SVG by a template."""
    evaluators = sorted({aid for values in scores.values() for aid, _ in values})
    bar, gap, height = 10, 14, 100
    groups = []
    x = 40
    for criterion in criteria:
        bars = []
        values = dict(scores.get(criterion.id, []))
        for index, aid in enumerate(evaluators):
            value = values.get(aid)
            h = (value or 0) * height / 5
            bars.append(
                {
                    "x": x + index * bar,
                    "y": 10 + height - h,
                    "h": h,
                    "value": value,
                    "colour": PALETTE[index % len(PALETTE)],
                    "evaluator": numbers.get(aid, index + 1),
                }
            )
        present = [v for v in values.values() if v is not None]
        groups.append(
            {
                "criterion": criterion,
                "x": x,
                "bars": bars,
                "low": min(present) if present else None,
                "high": max(present) if present else None,
            }
        )
        x += max(1, len(evaluators)) * bar + gap
    return {
        "groups": groups,
        "width": x + 10,
        "height": height + 40,
        "evaluators": [
            (numbers.get(a, i + 1), PALETTE[i % len(PALETTE)]) for i, a in enumerate(evaluators)
        ],
        "ticks": [(n, 10 + height - n * height / 5) for n in range(6)],
    }


def challenge_evaluation_panel(challenge: Challenge, user):
    """On the challenge page: readiness profile, the rubric, and the agency's next steps."""
    language = current_language()
    lines = lines_of_action(current_app.config["SEEDS_DIR"])
    return "evaluation/_challenge_panel.html", {
        "readiness": readiness_profile(challenge),
        "line_titles": {n: t.get(language) or t["es"] for n, t in lines.items()},
        "rubric": rubric(challenge),
        "language": language,
        "manager": challenge.can_manage(user),
        "on_panel": assignment_of(challenge, user) is not None,
    }


challenge_views.DETAIL_PANELS.append(challenge_evaluation_panel)


@dashboard_panel
def evaluator_panel(user) -> dict:
    """Assignments and progress for evaluators."""
    if user is None or not (user.is_evaluator or user.is_agency_staff):
        return {}
    items = assignments_overview(user)
    if not items and not user.is_evaluator:
        return {}
    return {"evaluator_items": items, "dashboard_panels": ["evaluation/_dashboard_panel.html"]}
