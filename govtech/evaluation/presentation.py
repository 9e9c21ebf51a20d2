"""What the evaluation pages show: overviews, results with charts, panels on other pages."""

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

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
from govtech.evaluation.panel import assignment_of, panel
from govtech.evaluation.ranking import (
    divergences,
    missing_scorecard_pairs,
    open_divergences,
    ranking,
    scores_by_proposal,
)
from govtech.evaluation.services import MIN_EVALUATORS, readiness_profile, rubric
from govtech.extensions import db
from govtech.proposals.models import Proposal, ProposalStatus, Screening
from govtech.site.dashboards import dashboard_panel

RESULTS_PAGE_SIZE = 25
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
    """Per challenge on the user's panels: declarations and scorecards done and to do,
    counted in SQL (two queries however many panels)."""
    rows = db.session.execute(
        sa.select(EvaluatorAssignment, Challenge)
        .join(Challenge, Challenge.id == EvaluatorAssignment.challenge_id)
        .where(EvaluatorAssignment.user_id == user.id)
        .order_by(EvaluatorAssignment.id.desc())
    ).all()
    progress = _panel_progress(
        user,
        [c.id for _, c in rows if c.status is ChallengeStatus.IN_EVALUATION],
        [a.id for a, _ in rows],
    )
    overview = []
    for assignment, challenge in rows:
        proposals, declared, to_score, submitted = progress.get(challenge.id, (0, 0, 0, 0))
        overview.append(
            {
                "challenge": challenge,
                "assignment": assignment,
                "proposals": proposals,
                "to_declare": proposals - declared,
                "to_score": to_score,
                "submitted": submitted,
            }
        )
    return overview


def _panel_progress(user, challenge_ids: list[int], assignment_ids: list[int]) -> dict:
    """{challenge id: (eligible proposals, declared, open to score, submitted scorecards)}."""
    if not challenge_ids:
        return {}
    declaration = aliased(ConflictDeclaration)
    card = aliased(Scorecard)
    blocks = sa.or_(
        declaration.has_conflict,
        sa.and_(declaration.flagged, declaration.flag_resolved_at.is_(None)),
    )
    open_to_score = sa.and_(declaration.id.is_not(None), sa.not_(blocks))
    rows = db.session.execute(
        sa.select(
            Proposal.challenge_id,
            sa.func.count(Proposal.id),
            sa.func.count(declaration.id),
            sa.func.sum(sa.case((open_to_score, 1), else_=0)),
            sa.func.sum(sa.case((sa.and_(open_to_score, card.id.is_not(None)), 1), else_=0)),
        )
        .outerjoin(
            declaration,
            sa.and_(declaration.proposal_id == Proposal.id, declaration.user_id == user.id),
        )
        .outerjoin(
            card,
            sa.and_(
                card.proposal_id == Proposal.id,
                card.assignment_id.in_(assignment_ids),
                card.status == ScorecardStatus.SUBMITTED,
            ),
        )
        .where(
            Proposal.challenge_id.in_(challenge_ids),
            Proposal.status == ProposalStatus.SUBMITTED,
            Proposal.screening == Screening.ELIGIBLE,
        )
        .group_by(Proposal.challenge_id)
    ).all()
    return {cid: (int(n), int(d), int(o or 0), int(s or 0)) for cid, n, d, o, s in rows}


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


def results_context(challenge: Challenge, hidden: set[int], page: int = 1) -> dict:
    """Ranking, divergences, scorecards and charts, leaving out proposals in `hidden`
    (those the viewing staff member declared a conflict with). The counts cover every
    proposal; the ranking table, charts and scorecards show one page of `RESULTS_PAGE_SIZE`
    ranks (drawing them all made the page of 1,000 proposals 26 MB and 8 s)."""
    language = current_language()
    criteria = rubric(challenge)
    divergent = divergences(challenge)
    everyone = [r for r in ranking(challenge, divergent) if r.proposal_id not in hidden]
    pages = max(1, -(-len(everyone) // RESULTS_PAGE_SIZE))
    page = min(max(page, 1), pages)
    ranked = everyone[(page - 1) * RESULTS_PAGE_SIZE : page * RESULTS_PAGE_SIZE]
    shown = [r.proposal_id for r in ranked]
    members = panel(challenge)
    numbers = {m.id: n for n, m in enumerate(members, start=1)}
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
        .where(EvaluatorAssignment.challenge_id == challenge.id, Scorecard.proposal_id.in_(shown))
    ):
        cards_by_proposal.setdefault(card.proposal_id, []).append(card)
    scores = scores_by_proposal(challenge, shown)
    for row in ranked:
        charts[row.proposal_id] = score_chart(criteria, scores.get(row.proposal_id, {}), numbers)
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
    missing = missing_scorecard_pairs(challenge)
    proposals = {
        p.id: p
        for p in db.session.scalars(
            sa.select(Proposal).where(Proposal.id.in_(sorted({pid for _, pid in missing})))
        )
    }
    conflicts_declared = db.session.scalar(
        sa.select(sa.func.count(ConflictDeclaration.id)).where(
            ConflictDeclaration.challenge_id == challenge.id,
            ConflictDeclaration.has_conflict.is_(True),
        )
    )
    return {
        "criteria": criteria,
        "ranked": ranked,
        "page": page,
        "pages": pages,
        "ranked_total": len(everyone),
        "evaluator_labels": {n: _("Evaluator %(n)s", n=n) for n in numbers.values()},
        "members": members,
        "numbers": numbers,
        "divergent": divergent,
        "notes": notes,
        "charts": charts,
        "language": language,
        "cards_by_proposal": cards_by_proposal,
        "flags": flags,
        "missing": len(missing),
        "missing_pairs": [(aid, proposals[pid]) for aid, pid in missing if pid not in hidden],
        "open_divergences": open_divergences(challenge, divergent),
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
