"""Read-only JSON of the public challenges: `/api/v1/challenges`."""

from flask import abort, jsonify, request, url_for
from flask_login import current_user

from govtech import page_cache
from govtech.challenges import api
from govtech.challenges.models import (
    PUBLIC_STATUSES,
    Challenge,
    ChallengeStatus,
    ProcedureType,
    Sector,
)
from govtech.challenges.queries import MAX_PAGE, CatalogueFilters, catalogue_page
from govtech.challenges.views import close_due_and_commit
from govtech.extensions import db
from govtech.page_cache import cached_page
from govtech.permissions import public
from govtech.query_arguments import Amount, Choice, Code, Integer, Text, read_all, reads

MAX_PER_PAGE = 100
MAX_AMOUNT = 10**13
MAX_TEXT = 200


def challenge_json(challenge: Challenge) -> dict:
    """The public fields of a challenge; dates ISO 8601 with offset, money as a string."""
    return {
        "id": challenge.id,
        "reference": challenge.reference,
        "url": url_for("challenges.detail", challenge_id=challenge.id, _external=True),
        "status": challenge.status.value,
        "title": challenge.title,
        "problem_statement": challenge.problem_statement,
        "expected_results": challenge.expected_results,
        "sector": challenge.sector.value,
        "country": challenge.country,
        "region": challenge.region,
        "procedure_type": challenge.procedure_type.value,
        "budget": {"amount": str(challenge.budget_amount), "currency": challenge.currency},
        "agency": {
            "code": challenge.agency.code,
            "name": challenge.agency.name,
            "country": challenge.agency.country,
            "time_zone": challenge.agency.time_zone,
        },
        "eligibility": {
            "size_bands": challenge.eligible_size_bands,
            "countries": challenge.eligible_countries,
            "min_company_age_years": challenge.min_company_age_years,
            "max_company_age_years": challenge.max_company_age_years,
        },
        "dates": {
            "published": _iso(challenge.published_at),
            "question_deadline": _iso(challenge.question_deadline),
            "submission_deadline": _iso(challenge.submission_deadline),
            "expected_award": _iso(challenge.expected_award_date),
        },
        "pilot_duration_weeks": challenge.pilot_duration_weeks,
        "award_rules": {
            "max_winners": challenge.max_winners,
            "minimum_score": challenge.minimum_score,
            "standstill_days": challenge.standstill_days,
            "blind_review": challenge.blind_review,
        },
        "status_reason": challenge.status_reason,
    }


def _iso(moment):
    return moment.isoformat() if moment else None


# The arguments the list reads, in the order the OpenAPI document lists them.
LIST_ARGUMENTS = (
    Choice("status", PUBLIC_STATUSES, "Challenges in this status (drafts are never public)."),
    Choice("sector", Sector, "Challenges of this sector."),
    Code("country", 2, "ISO 3166-1 alpha-2 country of the challenge, in either case."),
    Choice("procedure_type", ProcedureType, "Challenges bought through this procedure."),
    Code("currency", 3, "ISO 4217 currency of the budget, in either case."),
    Amount("budget_min", 0, MAX_AMOUNT, "Budgets of at least this amount, in their currency."),
    Amount("budget_max", 0, MAX_AMOUNT, "Budgets of at most this amount, in their currency."),
    Text("q", MAX_TEXT, "Words that must all appear in the title or problem statement."),
    Integer("page", 1, MAX_PAGE, "The page of results.", default=1),
    Integer("per_page", 1, MAX_PER_PAGE, "Challenges per page.", default=20),
)


@api.route("")
@public
@cached_page
@reads(*LIST_ARGUMENTS)
def list_challenges():
    """Public challenges, filtered like the catalogue, paginated."""
    close_due_and_commit(page_cache.data_version())
    values = read_all(LIST_ARGUMENTS)
    page, per_page = values.pop("page"), values.pop("per_page")
    filters = CatalogueFilters(text=values.pop("q"), **values)
    rows, total = catalogue_page(filters, page, per_page)
    args = {k: v for k, v in request.args.items() if k != "page"}
    has_next = page * per_page < total
    return jsonify(
        data=[challenge_json(c) for c in rows],
        meta={"page": page, "per_page": per_page, "total": total},
        links={
            "self": url_for("challenges_api.list_challenges", page=page, _external=True, **args),
            "next": url_for("challenges_api.list_challenges", page=page + 1, _external=True, **args)
            if has_next
            else None,
        },
    )


@api.route("/<int:challenge_id>")
@public
@cached_page
def get_challenge(challenge_id: int):
    """One public challenge (drafts are not public: 404, even for their own agency)."""
    challenge = db.get_or_404(Challenge, challenge_id)
    if not challenge.can_view(current_user) or challenge.status is ChallengeStatus.DRAFT:
        abort(404)
    return jsonify(challenge_json(challenge))
