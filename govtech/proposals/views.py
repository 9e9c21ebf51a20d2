"""Proposal pages: the supplier's steps, review, submission and receipts; the agency's
screening after the deadline."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from govtech.accounts.forms import ConfirmForm
from govtech.accounts.models import Role
from govtech.challenges.services import close_if_due
from govtech.challenges.views import load_challenge
from govtech.extensions import db
from govtech.files import FileRejected, StoredFile, read_pdf_upload, send_stored_file
from govtech.permissions import ensure, roles, signed_in
from govtech.proposals import bp
from govtech.proposals.forms import STEP_ORDER, STEPS, AttachmentForm, ScreeningForm
from govtech.proposals.models import (
    IneligibilityReason,
    Proposal,
    ProposalAttachment,
    ProposalSubmission,
)
from govtech.proposals.services import (
    ProposalError,
    add_attachment,
    completeness_problems,
    eligibility_problems,
    remove_attachment,
    save_draft,
    screen_proposal,
    start_proposal,
    submit_proposal,
    submitted_proposals,
    supplier_proposals,
    withdraw_proposal,
)


def load_proposal(proposal_id: int) -> Proposal:
    """A proposal the current user may see; anything else is 404 (sealed means unseen)."""
    proposal = db.get_or_404(Proposal, proposal_id)
    if close_if_due(proposal.challenge):
        db.session.commit()
    ensure(proposal.can_view(current_user), hide=True)
    return proposal


def _step_url(proposal: Proposal, step: str) -> str:
    if step == "attachments":
        return url_for("proposals.attachments", proposal_id=proposal.id)
    if step == "review":
        return url_for("proposals.review", proposal_id=proposal.id)
    return url_for("proposals.edit", proposal_id=proposal.id, step=step)


def _next_step(step: str) -> str:
    index = STEP_ORDER.index(step)
    return STEP_ORDER[index + 1] if index + 1 < len(STEP_ORDER) else "review"


@bp.route("/start/<int:challenge_id>", methods=["GET", "POST"])
@roles(Role.SUPPLIER_MEMBER)
def start(challenge_id: int):
    """Check eligibility, then open (or continue) the company's draft for a challenge."""
    challenge = load_challenge(challenge_id)
    problems = eligibility_problems(challenge, current_user.supplier)
    form = ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            proposal = start_proposal(challenge, current_user)
        except ProposalError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            return redirect(_step_url(proposal, "solution"))
    return render_template(
        "proposals/start.html", challenge=challenge, problems=problems, form=form
    ), (403 if problems and request.method == "POST" else 200)


@bp.route("/<int:proposal_id>/edit/<step>", methods=["GET", "POST"])
@roles(Role.SUPPLIER_MEMBER)
def edit(proposal_id: int, step: str):
    """One step of the proposal form; saving it saves the draft."""
    proposal = load_proposal(proposal_id)
    ensure(proposal.is_member(current_user), hide=True)
    if step not in STEPS:
        abort(404)
    form_class, title = STEPS[step]
    form = form_class()
    step_errors: dict[str, list] = {}
    refused = False
    if request.method == "GET":
        form.fill(proposal)
    elif form.validate_on_submit():
        try:
            save_draft(proposal, current_user, form.values())
        except ProposalError as error:
            db.session.rollback()
            target = form[error.field] if error.field and error.field in form else None
            if target is not None and hasattr(target, "entries"):  # a list of rows
                step_errors[error.field] = [error.message]
            elif target is not None:
                target.errors = [*target.errors, error.message]
            else:
                flash(error.message, "error")
                refused = True
        else:
            db.session.commit()
            flash(_("Draft saved."), "success")
            return redirect(_step_url(proposal, _next_step(step)))
    return render_template(
        f"proposals/step_{step}.html",
        proposal=proposal,
        form=form,
        step=step,
        step_title=title,
        steps=_steps(proposal),
        step_errors=step_errors,
    ), 400 if form.errors or step_errors or refused else 200


def _steps(proposal: Proposal) -> list[tuple[str, str, str]]:
    labels = {key: label for key, (_form, label) in STEPS.items()}
    labels["attachments"] = _("Attachments")
    labels["review"] = _("Review and submit")
    return [(key, str(labels[key]), _step_url(proposal, key)) for key in [*STEP_ORDER, "review"]]


@bp.route("/<int:proposal_id>/attachments", methods=["GET", "POST"])
@roles(Role.SUPPLIER_MEMBER)
def attachments(proposal_id: int):
    """Upload or list the proposal's PDF attachments."""
    proposal = load_proposal(proposal_id)
    ensure(proposal.is_member(current_user), hide=True)
    form = AttachmentForm()
    if form.validate_on_submit():
        try:
            filename, data = read_pdf_upload(form.document.data)
            add_attachment(proposal, current_user, form.title.data, filename, data)
        except FileRejected as error:
            db.session.rollback()
            form.document.errors = [str(error)]
        except ProposalError as error:
            db.session.rollback()
            form.document.errors = [error.message]
        else:
            db.session.commit()
            flash(_("Attachment added."), "success")
            return redirect(_step_url(proposal, "attachments"))
    return render_template(
        "proposals/step_attachments.html",
        proposal=proposal,
        form=form,
        step="attachments",
        step_title=_("Attachments"),
        steps=_steps(proposal),
        confirm_form=ConfirmForm(),
    ), 400 if form.errors else 200


@bp.route("/<int:proposal_id>/attachments/<int:attachment_id>/delete", methods=["POST"])
@roles(Role.SUPPLIER_MEMBER)
def delete_attachment(proposal_id: int, attachment_id: int):
    """Remove an attachment from the draft."""
    proposal = load_proposal(proposal_id)
    ensure(proposal.is_member(current_user), hide=True)
    attachment = _attachment_of(proposal, attachment_id)
    if ConfirmForm().validate_on_submit():
        try:
            remove_attachment(attachment, current_user)
        except ProposalError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("Attachment removed."), "info")
    return redirect(_step_url(proposal, "attachments"))


def _attachment_of(proposal: Proposal, attachment_id: int) -> ProposalAttachment:
    attachment = db.session.scalar(
        sa.select(ProposalAttachment).where(
            ProposalAttachment.id == attachment_id, ProposalAttachment.proposal_id == proposal.id
        )
    )
    if attachment is None:
        abort(404)
    return attachment


@bp.route("/<int:proposal_id>/files/<int:file_id>")
@signed_in
def attachment(proposal_id: int, file_id: int):
    """Download a file of the proposal: the company sees its draft's and submissions' files;
    the agency, once the deadline passed, the files of the submitted version."""
    proposal = load_proposal(proposal_id)
    allowed = set()
    if proposal.is_member(current_user):
        allowed |= {a.file_id for a in proposal.attachments}
        for submission in proposal.submissions:
            allowed |= {a["file_id"] for a in submission.snapshot["content"]["attachments"]}
    elif proposal.latest_submission is not None:
        content = proposal.latest_submission.snapshot["content"]
        allowed |= {a["file_id"] for a in content["attachments"]}
    if file_id not in allowed:
        abort(404)
    return send_stored_file(db.session.get(StoredFile, file_id))


@bp.route("/<int:proposal_id>/review")
@roles(Role.SUPPLIER_MEMBER)
def review(proposal_id: int):
    """Everything in one page, what is missing, and the submit button."""
    proposal = load_proposal(proposal_id)
    ensure(proposal.is_member(current_user), hide=True)
    return render_template(
        "proposals/review.html",
        proposal=proposal,
        problems=completeness_problems(proposal),
        steps=_steps(proposal),
        step="review",
        form=ConfirmForm(),
    )


@bp.route("/<int:proposal_id>/submit", methods=["POST"])
@roles(Role.SUPPLIER_MEMBER)
def submit(proposal_id: int):
    """Submit: freeze the proposal and issue a receipt, if the deadline has not passed."""
    proposal = load_proposal(proposal_id)
    ensure(proposal.is_member(current_user), hide=True)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        submission = submit_proposal(proposal, current_user)
    except ProposalError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("proposals.review", proposal_id=proposal.id))
    db.session.commit()
    return redirect(
        url_for("proposals.receipt", proposal_id=proposal.id, version=submission.version)
    )


@bp.route("/<int:proposal_id>/receipts/<int:version>")
@roles(Role.SUPPLIER_MEMBER)
def receipt(proposal_id: int, version: int):
    """The receipt of one submission: reference, time and digest."""
    proposal = load_proposal(proposal_id)
    ensure(proposal.is_member(current_user), hide=True)
    submission = db.session.scalar(
        sa.select(ProposalSubmission).where(
            ProposalSubmission.proposal_id == proposal.id, ProposalSubmission.version == version
        )
    )
    if submission is None:
        abort(404)
    return render_template("proposals/receipt.html", proposal=proposal, submission=submission)


@bp.route("/<int:proposal_id>/withdraw", methods=["POST"])
@roles(Role.SUPPLIER_MEMBER)
def withdraw(proposal_id: int):
    """Withdraw the submitted proposal (before the deadline) to change and resubmit it."""
    proposal = load_proposal(proposal_id)
    ensure(proposal.is_member(current_user), hide=True)
    if ConfirmForm().validate_on_submit():
        try:
            withdraw_proposal(proposal, current_user)
        except ProposalError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(
                _(
                    "Proposal withdrawn. You can change it and submit it again before the "
                    "deadline; the earlier version stays on record."
                ),
                "info",
            )
    return redirect(url_for("proposals.detail", proposal_id=proposal.id))


@bp.route("/<int:proposal_id>")
@signed_in
def detail(proposal_id: int):
    """The proposal as submitted (or the draft, for the company)."""
    proposal = load_proposal(proposal_id)
    return render_template(
        "proposals/detail.html",
        proposal=proposal,
        confirm_form=ConfirmForm(),
        screening_form=ScreeningForm(),
    )


@bp.route("/mine")
@roles(Role.SUPPLIER_MEMBER)
def mine():
    """The company's drafts, submitted proposals with receipts, and results."""
    return render_template(
        "proposals/mine.html", proposals=supplier_proposals(current_user.supplier_id)
    )


@bp.route("/challenge/<int:challenge_id>")
@roles(Role.AGENCY_STAFF)
def received(challenge_id: int):
    """The agency's list of submitted proposals, opened after the deadline for screening."""
    challenge = load_challenge(challenge_id, manage=True)
    if challenge.closed_at is None:
        flash(_("Proposals stay sealed until the deadline passes."), "info")
        return redirect(url_for("challenges.detail", challenge_id=challenge.id))
    return render_template(
        "proposals/received.html", challenge=challenge, proposals=submitted_proposals(challenge)
    )


@bp.route("/<int:proposal_id>/screen", methods=["POST"])
@roles(Role.AGENCY_STAFF)
def screen(proposal_id: int):
    """Record the eligibility decision on a proposal."""
    proposal = load_proposal(proposal_id)
    ensure(proposal.can_screen(current_user))
    form = ScreeningForm()
    if not form.validate_on_submit():
        flash(_("Choose eligible or ineligible."), "error")
        return redirect(url_for("proposals.detail", proposal_id=proposal.id))
    eligible = form.decision.data == "eligible"
    reason = IneligibilityReason(form.reason.data) if form.reason.data else None
    try:
        screen_proposal(proposal, current_user, eligible, reason, form.note.data)
    except ProposalError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Screening decision recorded."), "success")
    return redirect(url_for("proposals.received", challenge_id=proposal.challenge_id))
