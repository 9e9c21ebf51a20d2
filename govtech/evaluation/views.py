"""Evaluation pages: the checklist, readiness, rubric, panel, conflicts, scorecards, results."""

from itertools import groupby

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from govtech.accounts.forms import ConfirmForm
from govtech.accounts.models import Role, User
from govtech.accounts.services import AccountError, create_user
from govtech.accounts.tax_ids import InvalidTaxId, normalise_tax_id
from govtech.audit.services import record
from govtech.challenges.models import Challenge, ChallengeStatus
from govtech.challenges.views import load_challenge
from govtech.evaluation import bp
from govtech.evaluation.checklist import checklist_items, current_language, lines_of_action
from govtech.evaluation.forms import (
    AffiliationForm,
    ConsensusForm,
    EvaluatorSignUpForm,
    FlagResolutionForm,
    InviteForm,
    ReasonForm,
    conflicts_form,
    readiness_form,
    rubric_form,
    scorecard_form,
)
from govtech.evaluation.models import (
    Affiliation,
    AppliesTo,
    ConflictDeclaration,
    ConflictKind,
    Criterion,
    EvaluatorAssignment,
    Scorecard,
    ScorecardStatus,
)
from govtech.evaluation.panel import (
    accept_panel_invitation,
    assignment_for_token,
    assignment_of,
    blocked_proposal_ids,
    can_open,
    declarations_of,
    declare_conflicts,
    eligible_proposals,
    invite_evaluator,
    link_invited_account,
    may_sit_on_panel,
    panel,
    resolve_flag,
)
from govtech.evaluation.presentation import (
    assignments_overview,
    others_scores,
    results_context,
    scorecards_of,
)
from govtech.evaluation.scorecards import (
    record_consensus,
    record_missing_scorecard,
    reopen_scorecard,
    save_scorecard,
    scorecard_for,
)
from govtech.evaluation.services import (
    MIN_EVALUATORS,
    EvaluationError,
    StaleScorecard,
    amend_rubric,
    readiness_answers,
    rubric,
    save_readiness,
    set_rubric,
)
from govtech.extensions import db, limiter
from govtech.form_fields import show_violation
from govtech.page_cache import cached_page
from govtech.permissions import ensure, public, roles
from govtech.proposals.models import Proposal
from govtech.rules import RuleViolation


@bp.route("/checklist")
@public
def checklist():
    """The 30 recommendations by line of action, as evaluators and agencies use them."""
    language = current_language()
    items = checklist_items()
    lines = lines_of_action(current_app.config["SEEDS_DIR"])
    grouped = [
        (number, lines[number].get(language) or lines[number]["es"], list(group))
        for number, group in groupby(items, key=lambda item: item.line_of_action)
    ]
    return render_template("evaluation/checklist.html", lines=grouped, language=language)


# --- agency: readiness, rubric, panel ----------------------------------------------------
@bp.route("/evaluation/challenges/<int:challenge_id>/readiness", methods=["GET", "POST"])
@roles(Role.AGENCY_STAFF)
def readiness(challenge_id: int):
    """The agency's readiness self-assessment on the challenge-side checklist items."""
    challenge = load_challenge(challenge_id, manage=True)
    language = current_language()
    items = checklist_items(AppliesTo.CHALLENGE)
    form = readiness_form(items, language)()
    answers = readiness_answers(challenge)
    if request.method == "GET":
        for item in items:
            if item.id in answers:
                form[f"answer_{item.id}"].data = answers[item.id].answer.value
                form[f"note_{item.id}"].data = answers[item.id].note
    if form.validate_on_submit():
        try:
            save_readiness(
                challenge,
                current_user,
                {
                    item.id: (form[f"answer_{item.id}"].data, form[f"note_{item.id}"].data)
                    for item in items
                },
            )
        except EvaluationError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("Readiness self-assessment saved."), "success")
            return redirect(url_for("challenges.detail", challenge_id=challenge.id))
    return render_template(
        "evaluation/readiness.html", challenge=challenge, form=form, items=items, language=language
    ), 400 if form.errors else 200


@bp.route("/evaluation/challenges/<int:challenge_id>/rubric", methods=["GET", "POST"])
@roles(Role.AGENCY_STAFF)
def edit_rubric(challenge_id: int):
    """Build the rubric: weights on proposal-side items and up to five own criteria."""
    challenge = load_challenge(challenge_id, manage=True)
    language = current_language()
    items = checklist_items(AppliesTo.PROPOSAL)
    # After publication the rubric changes only through an addendum with a later deadline.
    amending = challenge.status is ChallengeStatus.PUBLISHED
    form = rubric_form(items, language, amending=amending)()
    current = rubric(challenge)
    if request.method == "GET":
        if amending:
            form.new_submission_deadline.show(challenge.submission_deadline, challenge.time_zone)
        by_item = {c.item_id: c for c in current if c.item_id}
        for item in items:
            form[f"w_{item.id}"].data = by_item[item.id].weight if item.id in by_item else None
        own = [c for c in current if c.is_own]
        for entry, criterion in zip(form.own, own, strict=False):
            entry.form.process(
                data={
                    "title": criterion.title,
                    "description": criterion.description,
                    "weight": criterion.weight,
                }
            )
    problem = None
    if form.validate_on_submit():
        rows = [
            {"item_id": item.id, "weight": form[f"w_{item.id}"].data}
            for item in items
            if form[f"w_{item.id}"].data
        ]
        rows += [
            {
                "item_id": None,
                "title": e.form.title.data,
                "description": e.form.description.data,
                "weight": e.form.weight.data or 0,
            }
            for e in form.own
            if (e.form.title.data or e.form.weight.data)
        ]
        try:
            if amending:
                amend_rubric(
                    challenge,
                    current_user,
                    rows,
                    form.addendum_text.data,
                    form.new_submission_deadline.utc(challenge.time_zone),
                )
            else:
                set_rubric(challenge, current_user, rows)
        except RuleViolation as error:
            db.session.rollback()
            if amending and error.field == "new_submission_deadline":
                form.new_submission_deadline.errors = [error.message]
            else:
                problem = error.message
        else:
            db.session.commit()
            done = _("Addendum published with the new rubric.") if amending else _("Rubric saved.")
            flash(done, "success")
            return redirect(
                url_for("challenges.detail", challenge_id=challenge.id, _anchor="rubric")
            )
    return render_template(
        "evaluation/rubric_edit.html",
        challenge=challenge,
        form=form,
        items=items,
        language=language,
        problem=problem,
    ), (400 if form.errors or problem else 200)


@bp.route("/evaluation/challenges/<int:challenge_id>/panel", methods=["GET", "POST"])
@roles(Role.AGENCY_STAFF)
def manage_panel(challenge_id: int):
    """The evaluation panel: invite evaluators by email."""
    challenge = load_challenge(challenge_id, manage=True)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            invite_evaluator(challenge, current_user, form.email.data, form.role_on_panel.data)
        except EvaluationError as error:
            db.session.rollback()
            form.email.errors = [*form.email.errors, error.message]
        else:
            db.session.commit()
            # One answer whoever the email belongs to: the invited person accepts or not.
            flash(_("Invitation sent. The person joins the panel once they accept it."), "success")
            return redirect(url_for("evaluation.manage_panel", challenge_id=challenge.id))
    return render_template(
        "evaluation/panel.html",
        challenge=challenge,
        form=form,
        members=panel(challenge),
        minimum=MIN_EVALUATORS,
    ), (400 if form.errors else 200)


@bp.route("/evaluation/invitations/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
@public
def accept_invitation(token: str):
    """An invited expert accepts: with a new evaluator account, or signed in with theirs."""
    assignment = assignment_for_token(token)
    if assignment is None:
        abort(404)
    if assignment.user_id is not None:
        flash(_("This invitation is already accepted. Sign in to evaluate."), "info")
        return redirect(url_for("accounts.login"))
    challenge = db.session.get(Challenge, assignment.challenge_id)
    # Only the address's owner holds the link: the page may say what their account can do.
    owner = db.session.scalar(sa.select(User).where(User.email == assignment.email))
    if owner is not None:
        return _accept_with_account(assignment, challenge, owner)
    form = EvaluatorSignUpForm()
    if form.validate_on_submit():
        try:
            user = create_user(
                email=assignment.email,
                password=form.password.data,
                full_name=form.full_name.data,
                role=Role.EVALUATOR,
            )
            link_invited_account(assignment, user)
        except AccountError as error:
            db.session.rollback()
            form.password.errors = [*form.password.errors, error.message]
        else:
            db.session.commit()
            flash(_("Your evaluator account is ready. Sign in to start."), "success")
            return redirect(url_for("accounts.login"))
    return render_template(
        "evaluation/accept.html", form=form, assignment=assignment, challenge=challenge, mode="new"
    ), (400 if form.errors else 200)


def _accept_with_account(assignment: EvaluatorAssignment, challenge: Challenge, owner: User):
    """The invited email has an account: its owner accepts signed in, if it may evaluate."""
    if not current_user.is_authenticated:
        flash(_("Sign in with your account to accept the invitation."), "info")
        return redirect(url_for("accounts.login", next=request.path))
    if current_user.id != owner.id:
        mode = "other_account"
    elif not may_sit_on_panel(owner):
        mode = "excluded"
    else:
        mode = "accept"
    form = ConfirmForm()
    if mode == "accept" and form.validate_on_submit():
        try:
            accept_panel_invitation(assignment, current_user)
        except EvaluationError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("You are on the panel of “%(title)s”.", title=challenge.title), "success")
            return redirect(url_for("evaluation.assignments"))
    status = 200 if mode == "accept" else 403
    return render_template(
        "evaluation/accept.html", form=form, assignment=assignment, challenge=challenge, mode=mode
    ), status


# --- evaluators: affiliations, conflicts, scorecards ----------------------------------
@bp.route("/evaluation/assignments")
@roles(Role.EVALUATOR, Role.AGENCY_STAFF)
@cached_page
def assignments():
    """The evaluator's challenges and progress."""
    return render_template("evaluation/assignments.html", items=assignments_overview(current_user))


@bp.route("/evaluation/affiliations", methods=["GET", "POST"])
@roles(Role.EVALUATOR, Role.AGENCY_STAFF)
def affiliations():
    """The organisations the evaluator works or worked for (to flag likely conflicts)."""
    form = AffiliationForm()
    if form.validate_on_submit():
        try:
            tax_id = normalise_tax_id(form.country.data, form.tax_id.data)
        except InvalidTaxId:
            tax_id = form.tax_id.data.strip().upper()
        db.session.add(
            Affiliation(
                user_id=current_user.id,
                organisation=form.organisation.data,
                country=form.country.data,
                tax_id=tax_id,
                until_year=form.until_year.data,
            )
        )
        record(
            "evaluator.affiliation_added",
            current_user,
            actor=current_user,
            organisation=form.organisation.data,
            tax_id=tax_id,
        )
        db.session.commit()
        flash(_("Affiliation added."), "success")
        return redirect(url_for("evaluation.affiliations"))
    rows = db.session.scalars(
        sa.select(Affiliation)
        .where(Affiliation.user_id == current_user.id)
        .order_by(Affiliation.id)
    ).all()
    return render_template("evaluation/affiliations.html", form=form, affiliations=rows), (
        400 if form.errors else 200
    )


@bp.route("/evaluation/challenges/<int:challenge_id>/conflicts", methods=["GET", "POST"])
@roles(Role.EVALUATOR, Role.AGENCY_STAFF)
def conflicts(challenge_id: int):
    """Declare, for each bidder, whether you have a conflict of interest."""
    challenge = load_challenge(challenge_id)
    is_panel = assignment_of(challenge, current_user) is not None
    ensure(is_panel or challenge.can_manage(current_user))
    proposals = eligible_proposals(challenge)
    declared = declarations_of(challenge, current_user)
    pending = [p for p in proposals if p.id not in declared]
    blind = challenge.blind_review and not challenge.can_manage(current_user)
    form = conflicts_form(pending, blind)()
    if pending and form.validate_on_submit():
        answers = {}
        for p in pending:
            has = form[f"conflict_{p.id}"].data == "yes"
            kind = form[f"kind_{p.id}"].data or None
            answers[p.id] = (has, ConflictKind(kind) if kind else None, form[f"note_{p.id}"].data)
        try:
            declare_conflicts(challenge, current_user, answers)
        except EvaluationError as error:
            db.session.rollback()
            show_violation(form, error)
        else:
            db.session.commit()
            flash(_("Declaration recorded."), "success")
            return redirect(url_for("evaluation.conflicts", challenge_id=challenge.id))
    return render_template(
        "evaluation/conflicts.html",
        challenge=challenge,
        form=form,
        pending=pending,
        proposals=proposals,
        declared=declared,
        blind=blind,
        is_panel=is_panel,
        scorecards=scorecards_of(challenge, current_user) if is_panel else {},
    ), 400 if form.errors else 200


@bp.route("/evaluation/proposals/<int:proposal_id>/scorecard", methods=["GET", "POST"])
@roles(Role.EVALUATOR, Role.AGENCY_STAFF)
def scorecard(proposal_id: int):
    """Score a proposal on every criterion with a justification; save drafts, then submit."""
    proposal = db.get_or_404(Proposal, proposal_id)
    ensure(can_open(current_user, proposal), hide=True)
    challenge = proposal.challenge
    language = current_language()
    criteria = rubric(challenge)
    card = scorecard_for(proposal, current_user)
    if card is None and request.method == "POST":
        card = scorecard_for(proposal, current_user, create=True)
    elif card is None:  # reading writes nothing: an unsaved, empty card to show
        card = Scorecard(status=ScorecardStatus.DRAFT, version=0)
    form = scorecard_form(criteria, language)()
    stale = False
    if request.method == "GET":
        form.version.data = str(card.version)
        by_criterion = {s.criterion_id: s for s in card.scores}
        for c in criteria:
            if c.id in by_criterion:
                value = by_criterion[c.id].score
                form[f"score_{c.id}"].data = str(value) if value is not None else None
                form[f"justification_{c.id}"].data = by_criterion[c.id].justification
    elif form.validate_on_submit():
        values = {}
        for c in criteria:
            raw = form[f"score_{c.id}"].data
            values[c.id] = (
                int(raw) if raw not in (None, "", "None") else None,
                form[f"justification_{c.id}"].data,
            )
        submit = bool(form.submit_card.data)
        try:
            expected = int(form.version.data or 0)
        except ValueError:
            expected = -1
        # A card opened empty (version 0) saves onto a card nobody has saved yet; once
        # another tab has saved it (it has scores), this save conflicts like any other.
        if expected == 0 and not card.scores:
            expected = card.version
        try:
            save_scorecard(card, current_user, expected, values, submit=submit)
        except StaleScorecard as error:
            db.session.rollback()
            stale = True
            flash(error.message, "error")
            db.session.refresh(card)
            form.version.data = str(card.version)  # keep the input; the next save wins
        except EvaluationError as error:
            db.session.rollback()
            show_violation(form, error)
        else:
            db.session.commit()
            flash(_("Scorecard submitted.") if submit else _("Draft saved."), "success")
            return redirect(url_for("evaluation.scorecard", proposal_id=proposal.id))
    others = None
    if card.status is ScorecardStatus.SUBMITTED:
        others = others_scores(proposal, card)  # only after submitting one's own
    content = proposal.latest_submission.snapshot["content"]
    return render_template(
        "evaluation/scorecard.html",
        proposal=proposal,
        challenge=challenge,
        card=card,
        criteria=criteria,
        form=form,
        language=language,
        content=content,
        blind=challenge.blind_review,
        others=others,
    ), 409 if stale else (400 if form.errors else 200)


# --- agency: results, consensus, flags, reopening ------------------------------------
@bp.route("/evaluation/challenges/<int:challenge_id>/results")
@roles(Role.AGENCY_STAFF)
@cached_page
def results(challenge_id: int):
    """The evaluation panel's view: ranking, calibration, divergences and charts."""
    challenge = load_challenge(challenge_id, manage=True)
    ensure(challenge.closed_at is not None)
    blocked = blocked_proposal_ids(challenge, current_user)
    page = request.args.get("page", 1, type=int) or 1
    context = results_context(challenge, hidden=blocked, page=page)
    return render_template(
        "evaluation/results.html",
        challenge=challenge,
        reason_form=ReasonForm(),
        consensus_form=ConsensusForm(),
        flag_form=FlagResolutionForm(),
        **context,
    )


@bp.route("/evaluation/scorecards/<int:scorecard_id>/reopen", methods=["POST"])
@roles(Role.AGENCY_STAFF)
def reopen(scorecard_id: int):
    """Reopen a submitted scorecard, with an audited reason."""
    card = db.get_or_404(Scorecard, scorecard_id)
    proposal = db.session.get(Proposal, card.proposal_id)
    challenge = load_challenge(proposal.challenge_id, manage=True)
    ensure(proposal.id not in blocked_proposal_ids(challenge, current_user))
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Explain the reason in at least 10 characters."), "error")
    else:
        try:
            reopen_scorecard(card, current_user, form.reason.data)
        except EvaluationError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(
                _("Scorecard reopened; the evaluator can correct and submit it again."), "success"
            )
    return redirect(url_for("evaluation.results", challenge_id=challenge.id))


@bp.route("/evaluation/proposals/<int:proposal_id>/consensus/<int:criterion_id>", methods=["POST"])
@roles(Role.AGENCY_STAFF)
def consensus(proposal_id: int, criterion_id: int):
    """Record the consensus on a divergent criterion."""
    proposal = db.get_or_404(Proposal, proposal_id)
    challenge = load_challenge(proposal.challenge_id, manage=True)
    ensure(proposal.can_view(current_user), hide=True)  # sealed and unsubmitted: not found
    ensure(proposal.id not in blocked_proposal_ids(challenge, current_user))
    criterion = db.session.scalar(
        sa.select(Criterion).where(
            Criterion.id == criterion_id, Criterion.challenge_id == challenge.id
        )
    )
    if criterion is None:
        abort(404)
    form = ConsensusForm()
    if form.validate_on_submit():
        try:
            record_consensus(proposal, criterion, current_user, form.note.data)
        except EvaluationError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("Consensus recorded."), "success")
    else:
        flash(_("Write the consensus in at least 10 characters."), "error")
    return redirect(url_for("evaluation.results", challenge_id=challenge.id))


@bp.route("/evaluation/declarations/<int:declaration_id>/resolve", methods=["POST"])
@roles(Role.AGENCY_STAFF)
def resolve(declaration_id: int):
    """Resolve a likely conflict the platform flagged."""
    declaration = db.get_or_404(ConflictDeclaration, declaration_id)
    challenge = load_challenge(declaration.challenge_id, manage=True)
    form = FlagResolutionForm()
    if form.validate_on_submit():
        try:
            resolve_flag(
                declaration, current_user, form.decision.data == "conflict", form.note.data
            )
        except EvaluationError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("Flag resolved."), "success")
    else:
        flash(_("Choose a decision and explain it."), "error")
    return redirect(url_for("evaluation.results", challenge_id=challenge.id))


@bp.route(
    "/evaluation/challenges/<int:challenge_id>/missing/<int:assignment_id>/<int:proposal_id>",
    methods=["POST"],
)
@roles(Role.AGENCY_STAFF)
def excuse(challenge_id: int, assignment_id: int, proposal_id: int):
    """Record why one evaluator's scorecard for one proposal will be missing."""
    challenge = load_challenge(challenge_id, manage=True)
    assignment = db.get_or_404(EvaluatorAssignment, assignment_id)
    proposal = db.get_or_404(Proposal, proposal_id)
    ensure(
        assignment.challenge_id == challenge.id and proposal.challenge_id == challenge.id, hide=True
    )
    form = ReasonForm()
    try:
        if not form.validate_on_submit():
            raise EvaluationError(_("Explain the reason in at least 10 characters."))
        record_missing_scorecard(assignment, proposal, current_user, form.reason.data)
    except EvaluationError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Reason recorded."), "success")
    return redirect(url_for("evaluation.results", challenge_id=challenge.id))
