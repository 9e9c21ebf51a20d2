"""Challenge pages: the public catalogue and detail, and the agency's authoring actions."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from govtech import clock, page_cache
from govtech.accounts.forms import ConfirmForm
from govtech.accounts.models import Role
from govtech.challenges import bp
from govtech.challenges.forms import (
    AddendumForm,
    AnswerForm,
    CatalogueFilterForm,
    ChallengeForm,
    DocumentForm,
    QuestionForm,
    ReasonForm,
)
from govtech.challenges.models import (
    Challenge,
    ChallengeDocument,
    ChallengeStatus,
    ProcedureType,
    Question,
    Sector,
)
from govtech.challenges.queries import PAGE_SIZE, CatalogueFilters, catalogue_page
from govtech.challenges.services import (
    ChallengeError,
    answer_question,
    ask_question,
    attach_document,
    cancel_challenge,
    close_due_challenges,
    close_if_due,
    create_draft,
    follow,
    is_following,
    next_deadline_timestamp,
    publish_addendum,
    publish_challenge,
    start_evaluation,
    unfollow,
    update_draft,
)
from govtech.extensions import db, limiter
from govtech.files import FileRejected, read_pdf_upload, send_stored_file
from govtech.form_fields import show_violation
from govtech.page_cache import cached_page
from govtech.permissions import ensure, public, roles


def close_due_and_commit(version: int) -> bool:
    """Close challenges whose deadline passed before a page shows them (the closing rule);
    True if any was closed. The next deadline is looked up once per data version, so the
    page cache's hook and the view it then renders share one lookup."""
    upcoming = page_cache.remembered("next-deadline", version, next_deadline_timestamp)
    if clock.now().timestamp() < upcoming:
        return False
    if close_due_challenges():
        db.session.commit()
        return True
    return False


# A cached page must never show a challenge as open after its deadline.
page_cache.BEFORE_LOOKUP.append(close_due_and_commit)


def load_challenge(challenge_id: int, *, manage: bool = False) -> Challenge:
    """Load a challenge the current user may see (drafts of others are 404), closing it
    first if its deadline has passed; with `manage`, require the owning agency's staff."""
    challenge = db.get_or_404(Challenge, challenge_id)
    ensure(challenge.can_view(current_user), hide=True)
    if manage:
        ensure(challenge.can_manage(current_user))
    if close_if_due(challenge):
        db.session.commit()
    return challenge


@bp.route("/")
@public
@cached_page
def catalogue():
    """Published and later challenges with filters and search, nearest deadline first."""
    close_due_and_commit(page_cache.data_version())
    form = CatalogueFilterForm(request.args)
    valid = form.validate()
    filters = CatalogueFilters()
    if valid:
        filters = CatalogueFilters(
            status=ChallengeStatus(form.status.data) if form.status.data else None,
            sector=Sector(form.sector.data) if form.sector.data else None,
            country=form.country.data or None,
            procedure_type=ProcedureType(form.procedure_type.data)
            if form.procedure_type.data
            else None,
            currency=form.currency.data or None,
            budget_min=form.budget_min.data,
            budget_max=form.budget_max.data,
            text=(form.q.data or "").strip() or None,
        )
    page = request.args.get("page", 1, type=int) or 1
    rows, total = catalogue_page(filters, page)
    pages = max(1, -(-total // PAGE_SIZE))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "challenges/catalogue.html",
        form=form,
        challenges=rows,
        total=total,
        page=min(page, pages),
        pages=pages,
        args=args,
    ), 200 if valid else 400


@bp.route("/<int:challenge_id>")
@public
@cached_page
def detail(challenge_id: int):
    """The whole statement, timeline, addenda, documents and public Q&A."""
    challenge = load_challenge(challenge_id)
    visible_questions = [q for q in challenge.questions if q.can_see(current_user)]
    # Visitors get no forms (each would start a CSRF token): their page is shared in the cache.
    forms = (
        {
            "question_form": QuestionForm(),
            "answer_form": AnswerForm(),
            "confirm_form": ConfirmForm(),
        }
        if current_user.is_authenticated
        else {}
    )
    return render_template(
        "challenges/detail.html",
        challenge=challenge,
        questions=visible_questions,
        following=is_following(challenge, current_user),
        panels=detail_panels(challenge),
        **forms,
    )


def detail_panels(challenge: Challenge) -> list[tuple[str, dict]]:
    """Sections other domains add to the challenge page (readiness, proposals, results)."""
    panels = []
    for provider in DETAIL_PANELS:
        panel = provider(challenge, current_user)
        if panel:
            panels.append(panel)
    return panels


DETAIL_PANELS: list = []


@bp.route("/new", methods=["GET", "POST"])
@roles(Role.AGENCY_STAFF)
def new():
    """Start a draft challenge for the user's agency."""
    agency = current_user.agency
    form = ChallengeForm(time_zone=agency.time_zone)
    if request.method == "GET":
        form.contact_name.data = current_user.full_name
        form.contact_email.data = current_user.email
        form.eligible_size_bands.data = ["micro", "small", "medium"]
    if form.validate_on_submit():
        try:
            challenge = create_draft(agency, current_user, form.values())
        except ChallengeError as error:
            db.session.rollback()
            show_violation(form, error)
        else:
            db.session.commit()
            flash(_("Draft saved. Publish it when it is ready."), "success")
            return redirect(url_for("challenges.detail", challenge_id=challenge.id))
    return render_template("challenges/edit.html", form=form, challenge=None), (
        400 if form.errors else 200
    )


@bp.route("/<int:challenge_id>/edit", methods=["GET", "POST"])
@roles(Role.AGENCY_STAFF)
def edit(challenge_id: int):
    """Edit a draft (published challenges change only through addenda)."""
    challenge = load_challenge(challenge_id, manage=True)
    if not challenge.can_edit(current_user):
        flash(_("Published challenges change only through an addendum."), "error")
        return redirect(url_for("challenges.detail", challenge_id=challenge.id))
    form = ChallengeForm(time_zone=challenge.time_zone)
    if request.method == "GET":
        form.fill_from(challenge)
    if form.validate_on_submit():
        try:
            update_draft(challenge, current_user, form.values())
        except ChallengeError as error:
            db.session.rollback()
            show_violation(form, error)
        else:
            db.session.commit()
            flash(_("Draft saved."), "success")
            return redirect(url_for("challenges.detail", challenge_id=challenge.id))
    return render_template("challenges/edit.html", form=form, challenge=challenge), (
        400 if form.errors else 200
    )


@bp.route("/<int:challenge_id>/publish", methods=["POST"])
@roles(Role.AGENCY_STAFF)
def publish(challenge_id: int):
    """Publish a draft once the agency is verified and the timeline is valid."""
    challenge = load_challenge(challenge_id, manage=True)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        problems = publish_challenge(challenge, current_user)
    except ChallengeError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("challenges.detail", challenge_id=challenge.id))
    if problems:
        db.session.rollback()
        for problem in problems:
            flash(problem.message, "error")
        return redirect(url_for("challenges.detail", challenge_id=challenge.id))
    db.session.commit()
    flash(_("The challenge is published and open for proposals."), "success")
    return redirect(url_for("challenges.detail", challenge_id=challenge.id))


@bp.route("/<int:challenge_id>/evaluate", methods=["POST"])
@roles(Role.AGENCY_STAFF)
def begin_evaluation(challenge_id: int):
    """Move a closed challenge into evaluation, so its panel can declare conflicts and score."""
    challenge = load_challenge(challenge_id, manage=True)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        start_evaluation(challenge, current_user)
    except ChallengeError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(
            _("The evaluation has started: the panel can declare conflicts and score."), "success"
        )
    return redirect(url_for("challenges.detail", challenge_id=challenge.id))


@bp.route("/<int:challenge_id>/cancel", methods=["GET", "POST"])
@roles(Role.AGENCY_STAFF)
def cancel(challenge_id: int):
    """Cancel the challenge before the award, with a public reason."""
    challenge = load_challenge(challenge_id, manage=True)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            cancel_challenge(challenge, current_user, form.reason.data)
        except ChallengeError as error:
            db.session.rollback()
            show_violation(form, error)
        else:
            db.session.commit()
            flash(_("The challenge has been cancelled."), "info")
            return redirect(url_for("challenges.detail", challenge_id=challenge.id))
    return render_template("challenges/cancel.html", form=form, challenge=challenge), (
        400 if form.errors else 200
    )


@bp.route("/<int:challenge_id>/addenda/new", methods=["GET", "POST"])
@roles(Role.AGENCY_STAFF)
def new_addendum(challenge_id: int):
    """Amend a published challenge with a visible, dated addendum."""
    challenge = load_challenge(challenge_id, manage=True)
    form = AddendumForm()
    if request.method == "GET":
        form.new_submission_deadline.show(challenge.submission_deadline, challenge.time_zone)
    if form.validate_on_submit():
        try:
            document = None
            if form.document.data:
                document = read_pdf_upload(form.document.data)
            publish_addendum(
                challenge,
                current_user,
                form.text.data,
                changes_requirements=form.changes_requirements.data,
                new_submission_deadline=form.new_submission_deadline.utc(challenge.time_zone),
                document=document,
                document_title=form.document_title.data,
            )
        except FileRejected as error:
            db.session.rollback()
            form.document.errors = [str(error)]
        except ChallengeError as error:
            db.session.rollback()
            show_violation(form, error)
        else:
            db.session.commit()
            flash(_("Addendum published."), "success")
            return redirect(url_for("challenges.detail", challenge_id=challenge.id))
    return render_template("challenges/addendum.html", form=form, challenge=challenge), (
        400 if form.errors else 200
    )


@bp.route("/<int:challenge_id>/documents", methods=["GET", "POST"])
@roles(Role.AGENCY_STAFF)
def upload_document(challenge_id: int):
    """Attach a PDF to a draft challenge."""
    challenge = load_challenge(challenge_id, manage=True)
    form = DocumentForm()
    if form.validate_on_submit():
        try:
            filename, data = read_pdf_upload(form.document.data)
            attach_document(challenge, current_user, form.title.data, filename, data)
        except FileRejected as error:
            db.session.rollback()
            form.document.errors = [str(error)]
        except ChallengeError as error:
            db.session.rollback()
            show_violation(form, error)
        else:
            db.session.commit()
            flash(_("Document added."), "success")
            return redirect(url_for("challenges.detail", challenge_id=challenge.id))
    return render_template("challenges/document.html", form=form, challenge=challenge), (
        400 if form.errors else 200
    )


@bp.route("/<int:challenge_id>/documents/<int:document_id>")
@public
def document(challenge_id: int, document_id: int):
    """Download one of the challenge's documents."""
    challenge = load_challenge(challenge_id)
    doc = db.session.scalar(
        sa.select(ChallengeDocument).where(
            ChallengeDocument.id == document_id, ChallengeDocument.challenge_id == challenge.id
        )
    )
    if doc is None:
        abort(404)
    return send_stored_file(doc.file)


@bp.route("/<int:challenge_id>/questions", methods=["POST"])
@limiter.limit("5 per minute; 30 per hour")
@roles(Role.SUPPLIER_MEMBER)
def ask(challenge_id: int):
    """A supplier asks a clarification question."""
    challenge = load_challenge(challenge_id)
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            ask_question(challenge, current_user, form.text.data)
        except ChallengeError as error:
            db.session.rollback()
            flash(error.message, "error")
            return redirect(url_for("challenges.detail", challenge_id=challenge.id))
        db.session.commit()
        flash(
            _("Your question was sent. The answer will be published here for everyone."), "success"
        )
        return redirect(
            url_for("challenges.detail", challenge_id=challenge.id, _anchor="questions")
        )
    questions = [q for q in challenge.questions if q.can_see(current_user)]
    return render_template(
        "challenges/detail.html",
        challenge=challenge,
        questions=questions,
        question_form=form,
        answer_form=AnswerForm(),
        confirm_form=ConfirmForm(),
        following=is_following(challenge, current_user),
        panels=detail_panels(challenge),
    ), 400


@bp.route("/<int:challenge_id>/questions/<int:question_id>/answer", methods=["POST"])
@roles(Role.AGENCY_STAFF)
def answer(challenge_id: int, question_id: int):
    """The agency publishes the answer to a question."""
    challenge = load_challenge(challenge_id, manage=True)
    question = db.session.scalar(
        sa.select(Question).where(Question.id == question_id, Question.challenge_id == challenge.id)
    )
    if question is None:
        abort(404)
    form = AnswerForm()
    if not form.validate_on_submit():
        flash(_("Write the answer before publishing it."), "error")
        return redirect(
            url_for(
                "challenges.detail", challenge_id=challenge.id, _anchor=f"question-{question.id}"
            )
        )
    try:
        answer_question(question, current_user, form.answer.data)
    except ChallengeError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Answer published; followers have been notified."), "success")
    return redirect(
        url_for("challenges.detail", challenge_id=challenge.id, _anchor=f"question-{question.id}")
    )


@bp.route("/<int:challenge_id>/follow", methods=["POST"])
@roles(Role.SUPPLIER_MEMBER)
def toggle_follow(challenge_id: int):
    """Follow or stop following a challenge's answers and addenda."""
    challenge = load_challenge(challenge_id)
    if ConfirmForm().validate_on_submit():
        if is_following(challenge, current_user):
            unfollow(challenge, current_user)
            flash(_("You will no longer receive emails about this challenge."), "info")
        else:
            follow(challenge, current_user)
            flash(_("You will receive an email when answers or addenda are published."), "success")
        db.session.commit()
    return redirect(url_for("challenges.detail", challenge_id=challenge.id))
