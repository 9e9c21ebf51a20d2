"""Read-only JSON of the public challenges: `/api/v1/challenges`."""

from decimal import Decimal, InvalidOperation

from flask import abort, jsonify, request, url_for
from flask_login import current_user

from govtech import page_cache
from govtech.challenges import api
from govtech.challenges.models import Challenge, ChallengeStatus, ProcedureType, Sector
from govtech.challenges.queries import CatalogueFilters, catalogue_page
from govtech.challenges.views import close_due_and_commit
from govtech.extensions import db
from govtech.form_fields import refuse_control_characters
from govtech.page_cache import cached_page
from govtech.permissions import public

MAX_PER_PAGE = 100
MAX_AMOUNT = 10**13


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


def _enum_arg(name, enum_cls):
    value = request.args.get(name)
    if not value:
        return None
    try:
        return enum_cls(value)
    except ValueError:
        abort(400, description=f"unknown {name}: {value[:50]}")


def _text_arg(name, length):
    """A text filter cut to `length`; control characters are refused as in the forms (NUL
    would otherwise fail in PostgreSQL)."""
    value = request.args.get(name) or ""
    try:
        refuse_control_characters(value)
    except ValueError:
        abort(400, description=f"{name} must not contain control characters")
    return value.strip()[:length] or None


def _decimal_arg(name):
    value = request.args.get(name)
    if not value:
        return None
    try:
        result = Decimal(value)
    except InvalidOperation:
        abort(400, description=f"{name} must be a number")
    # Budgets are below 10^13; larger amounts cannot be compared in the database.
    if not result.is_finite() or not 0 <= result <= MAX_AMOUNT:
        abort(400, description=f"{name} must be a number between 0 and {MAX_AMOUNT}")
    return result


@api.route("")
@public
@cached_page
def list_challenges():
    """Public challenges, filtered like the catalogue, paginated."""
    close_due_and_commit(page_cache.data_version())
    if (status := _enum_arg("status", ChallengeStatus)) is ChallengeStatus.DRAFT:
        abort(400, description="drafts are not public")
    filters = CatalogueFilters(
        status=status,
        sector=_enum_arg("sector", Sector),
        country=(_text_arg("country", 2) or "").upper() or None,
        procedure_type=_enum_arg("procedure_type", ProcedureType),
        currency=(_text_arg("currency", 3) or "").upper() or None,
        budget_min=_decimal_arg("budget_min"),
        budget_max=_decimal_arg("budget_max"),
        text=_text_arg("q", 200),
    )
    page = request.args.get("page", 1, type=int)
    per_page = request.args.get("per_page", 20, type=int)
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        abort(400, description=f"page >= 1 and 1 <= per_page <= {MAX_PER_PAGE}")
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
