"""Audit pages: the public chain head, and audit trails for agencies and admins."""

import sqlalchemy as sa
from flask import Response, abort, jsonify, render_template, request, url_for
from flask_login import current_user

from govtech.accounts.models import Role
from govtech.audit.models import AuditEntry
from govtech.audit.services import chain_head
from govtech.challenges.models import ChallengeStatus
from govtech.challenges.queries import MAX_PAGE
from govtech.challenges.views import load_challenge
from govtech.extensions import db
from govtech.page_cache import cached_page
from govtech.permissions import public, roles
from govtech.transparency import bp, figures, ocds

PAGE = 100
# Bidders' actions, hidden from the agency's trail until the challenge closes.
SEALED_OBJECTS = ("Proposal", "ProposalSubmission", "ProposalAttachment")
# Questions are published without the asker's identity, in the trail too.
ANONYMOUS_ACTIONS = ("question.asked",)


@bp.route("/transparency/audit")
@public
def audit_head():
    """The latest entry of the hash-chained audit log: anyone can note it and check later
    that the log was not rewritten."""
    head = chain_head()
    count = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))
    return render_template("transparency/audit_head.html", head=head, count=count)


@bp.route("/transparency/audit/challenges/<int:challenge_id>")
@roles(Role.AGENCY_STAFF, Role.ADMIN)
def challenge_trail(challenge_id: int):
    """Every audited action on a challenge (its agency's staff and admins)."""
    if current_user.is_admin:
        from govtech.challenges.models import Challenge

        challenge = db.get_or_404(Challenge, challenge_id)
    else:
        challenge = load_challenge(challenge_id, manage=True)
    stmt = sa.select(AuditEntry).where(AuditEntry.challenge_id == challenge.id)
    if challenge.closed_at is None and not current_user.is_admin:
        # Sealed bidding: before the deadline the agency must not learn who is bidding.
        stmt = stmt.where(AuditEntry.object_type.not_in(SEALED_OBJECTS))
    entries = db.session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(500)).all()
    return render_template(
        "transparency/audit_trail.html",
        challenge=challenge,
        entries=entries,
        anonymous=ANONYMOUS_ACTIONS,
    )


@bp.route("/transparency/audit/all")
@roles(Role.ADMIN)
def full_trail():
    """The whole audit log, newest first, a page at a time (admins)."""
    before = request.args.get("before", type=int)
    stmt = sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(PAGE)
    if before:
        stmt = stmt.where(AuditEntry.id < before)
    entries = db.session.scalars(stmt).all()
    return render_template(
        "transparency/audit_trail.html",
        challenge=None,
        entries=entries,
        next_before=entries[-1].id if len(entries) == PAGE else None,
    )


# --- open contracting data ----------------------------------------------------------------
OCDS_PAGE = 50


def _paginate():
    page = request.args.get("page", 1, type=int)
    if not 1 <= page <= MAX_PAGE:  # a page past the database's offsets is a bad request
        abort(400, description=f"page must be between 1 and {MAX_PAGE}")
    rows = db.session.scalars(
        ocds.public_challenges_statement()
        .options(*ocds.CHALLENGE_RELATIONS)
        .limit(OCDS_PAGE + 1)
        .offset((page - 1) * OCDS_PAGE)
    ).all()
    return page, rows[:OCDS_PAGE], len(rows) > OCDS_PAGE


@bp.route("/open-data")
@public
def open_data():
    """Every download in one place; the OCDS pages can be joined into one file in the browser
    (with progress) or fetched page by page."""
    public_count = db.session.scalar(
        sa.select(sa.func.count()).select_from(ocds.public_challenges_statement().subquery())
    )
    pages = max(1, -(-public_count // OCDS_PAGE))
    return render_template(
        "transparency/open_data.html", public_count=public_count, pages=pages, page_size=OCDS_PAGE
    )


@bp.route("/challenges/<int:challenge_id>/ocds.json")
@public
@cached_page
def challenge_ocds(challenge_id: int):
    """A release package of one public challenge."""
    challenge = load_challenge(challenge_id)
    if challenge.status is ChallengeStatus.DRAFT:
        abort(404)
    url = url_for("transparency.challenge_ocds", challenge_id=challenge.id, _external=True)
    return jsonify(ocds.release_package(ocds.releases(challenge), url))


@bp.route("/ocds/releases.json")
@public
@cached_page
def ocds_releases():
    """Every public challenge's releases, paginated (links.next)."""
    page, rows, more = _paginate()
    sources = ocds.load_sources(rows)
    rels = [release for challenge in rows for release in ocds.releases(challenge, sources)]
    package = ocds.release_package(
        rels, url_for("transparency.ocds_releases", page=page, _external=True)
    )
    if more:
        package["links"] = {
            "next": url_for("transparency.ocds_releases", page=page + 1, _external=True)
        }
    return jsonify(package)


@bp.route("/ocds/records.json")
@public
@cached_page
def ocds_records():
    """Every public challenge's record (releases and compiled release), paginated."""
    page, rows, more = _paginate()
    package = ocds.release_package(
        [], url_for("transparency.ocds_records", page=page, _external=True)
    )
    package.pop("releases")
    sources = ocds.load_sources(rows)
    package["records"] = [ocds.compiled_record(challenge, sources) for challenge in rows]
    if more:
        package["links"] = {
            "next": url_for("transparency.ocds_records", page=page + 1, _external=True)
        }
    return jsonify(package)


# --- public results, downloads and the ecosystem ---------------------------------------
RESULT_COLUMNS = (
    "reference",
    "title",
    "agency",
    "country",
    "sector",
    "status",
    "currency",
    "budget",
    "decided_at",
    "winner",
    "winner_country",
    "winner_size_band",
    "awarded_amount",
    "score",
    "notice",
)


# What makes a spreadsheet read a cell as a formula (OWASP, CSV injection): = + - @, and a
# leading tab or carriage return, which some spreadsheets skip before looking for one.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value):
    """A CSV cell that no spreadsheet runs: text starting like a formula gets a leading
    apostrophe; empty cells and everything else stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _flat_results() -> list[dict]:
    rows = []
    for r in figures.results():
        for w in r["winners"] or [None]:
            rows.append(
                {
                    **{k: r[k] for k in RESULT_COLUMNS if k in r},
                    "winner": w["supplier"] if w else "",
                    "winner_country": w["country"] if w else "",
                    "winner_size_band": w["size_band"] if w else "",
                    "awarded_amount": w["amount"] if w else "",
                    "score": w["score"] if w else "",
                }
            )
    return rows


@bp.route("/results")
@public
def results():
    """Awarded and void challenges with winners, amounts, scores and notices."""
    return render_template("transparency/results.html", results=figures.results())


@bp.route("/results.csv")
@public
def results_csv():
    """The public results as CSV (one row per winner; see the data dictionary)."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=RESULT_COLUMNS)
    writer.writeheader()
    for row in _flat_results():
        writer.writerow({column: spreadsheet_cell(value) for column, value in row.items()})
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=results.csv"},
    )


@bp.route("/results.json")
@public
def results_json():
    """The public results as JSON."""
    return jsonify(results=figures.results())


@bp.route("/data-dictionary")
@public
def data_dictionary():
    """What each field of the downloads and the API means."""
    return render_template("transparency/data_dictionary.html", columns=RESULT_COLUMNS)


def _ecosystem_filters():
    country = (request.args.get("country") or "").upper()[:2] or None
    year = request.args.get("year", type=int)
    if year is not None and not 2000 <= year <= 2100:
        abort(400, description="year out of range")
    return country, year


@bp.route("/ecosystem")
@public
def ecosystem():
    """The three lines of action in numbers, by country and year."""
    country, year = _ecosystem_filters()
    return render_template(
        "transparency/ecosystem.html",
        figures=figures.ecosystem(country, year),
        countries=figures.countries_with_challenges(),
        country=country,
        year=year,
    )
