"""Award pages: the decision and its confirmation, notices and their verification,
appeals, and the pilot's milestones."""

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from govtech.accounts.forms import ConfirmForm
from govtech.accounts.models import Role
from govtech.awards import bp
from govtech.awards.forms import (
    AnswerForm,
    AppealForm,
    CorrectionForm,
    DecisionForm,
    EvidenceForm,
    MilestoneDecisionForm,
    VerifyForm,
)
from govtech.awards.models import Appeal, AwardDecision, AwardNotice, PilotMilestone
from govtech.awards.notices import superseded_by, verify_pdf
from govtech.awards.services import (
    AwardError,
    answer_appeal,
    confirm_decision,
    decide_milestone,
    deliver_milestone,
    issue_correction,
    lodge_appeal,
    pending_decision,
    propose_award,
    propose_void,
    readiness_problems,
)
from govtech.challenges.views import load_challenge
from govtech.evaluation.ranking import ranking
from govtech.extensions import db, limiter
from govtech.form_fields import show_violation
from govtech.permissions import ensure, public, roles


@bp.route("/awards/challenges/<int:challenge_id>/decision", methods=["GET", "POST"])
@roles(Role.AGENCY_STAFF)
def decision(challenge_id: int):
    """Propose the award (or a void declaration); a colleague confirms it."""
    challenge = load_challenge(challenge_id, manage=True)
    ensure(challenge.closed_at is not None)
    ranked = ranking(challenge)
    form = DecisionForm()
    form.winners.choices = [
        (r.proposal_id, f"{r.rank}. {r.supplier_name} ({r.score:.1f})") for r in ranked
    ]
    if request.method == "GET" and ranked:
        form.winners.data = [ranked[0].proposal_id]
    if form.validate_on_submit():
        try:
            if form.kind.data == "void":
                propose_void(challenge, current_user, form.justification.data)
            else:
                propose_award(
                    challenge, current_user, form.winners.data or [], form.justification.data
                )
        except AwardError as error:
            db.session.rollback()
            show_violation(form, error)
        else:
            db.session.commit()
            flash(_("Decision proposed. Another member of your agency must confirm it."), "success")
            return redirect(url_for("awards.decision", challenge_id=challenge.id))
    return render_template(
        "awards/decision.html",
        challenge=challenge,
        form=form,
        ranked=ranked,
        problems=readiness_problems(challenge),
        pending=pending_decision(challenge),
        confirm_form=ConfirmForm(),
    ), 400 if form.errors else 200


@bp.route("/awards/decisions/<int:decision_id>/confirm", methods=["POST"])
@roles(Role.AGENCY_STAFF)
def confirm(decision_id: int):
    """Confirm a colleague's proposed decision (four-eyes) and issue the notice."""
    item = db.get_or_404(AwardDecision, decision_id)
    challenge = load_challenge(item.challenge_id, manage=True)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        notice = confirm_decision(item, current_user)
    except AwardError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("awards.decision", challenge_id=challenge.id))
    db.session.commit()
    flash(_("Decision confirmed. Award notice %(ref)s issued.", ref=notice.reference), "success")
    return redirect(url_for("awards.notice", reference=notice.reference))


def _notice_or_404(reference: str) -> AwardNotice:
    return db.first_or_404(sa.select(AwardNotice).where(AwardNotice.reference == reference))


@bp.route("/notices/<reference>")
@public
def notice(reference: str):
    """The public facts and status (valid or superseded) of an award notice."""
    item = _notice_or_404(reference)
    manager = item.challenge.can_manage(current_user)
    return render_template(
        "awards/notice.html",
        notice=item,
        r=item.record,
        superseded=superseded_by(item),
        manager=manager,
        correction_form=CorrectionForm() if manager else None,
    )


@bp.route("/notices/<reference>/correct", methods=["POST"])
@roles(Role.AGENCY_STAFF)
def correct(reference: str):
    """Issue a correction that supersedes this notice (both stay public and linked)."""
    item = _notice_or_404(reference)
    load_challenge(item.challenge_id, manage=True)
    form = CorrectionForm()
    try:
        if not form.validate_on_submit():
            raise AwardError(_("Explain the correction in at least 30 characters."))
        correction = issue_correction(item, current_user, form.reason.data)
    except AwardError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("awards.notice", reference=reference))
    db.session.commit()
    flash(_("Correction %(ref)s issued.", ref=correction.reference), "success")
    return redirect(url_for("awards.notice", reference=correction.reference))


@bp.route("/notices/<reference>.pdf")
@public
def notice_pdf(reference: str):
    """Download the notice: the stored bytes, identical on every download."""
    from govtech.files import send_bytes

    item = _notice_or_404(reference)
    return send_bytes(item.pdf, f"{item.reference}.pdf", "application/pdf")


@bp.route("/notices/verify", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
@public
def verify():
    """Upload a PDF to check it is byte for byte a notice the platform issued."""
    form = VerifyForm()
    result = None
    checked = False
    if form.validate_on_submit():
        data = form.document.data.stream.read(20 * 1024 * 1024)
        result = verify_pdf(data)
        checked = True
    return render_template(
        "awards/verify.html",
        form=form,
        result=result,
        checked=checked,
        superseded=superseded_by(result) if result else None,
    ), (400 if form.errors else 200)


@bp.route("/awards/decisions/<int:decision_id>/appeals", methods=["POST"])
@roles(Role.SUPPLIER_MEMBER)
def appeal(decision_id: int):
    """A bidder lodges an appeal during the standstill."""
    item = db.get_or_404(AwardDecision, decision_id)
    form = AppealForm()
    if form.validate_on_submit():
        try:
            lodge_appeal(item, current_user, form.reason.data)
        except AwardError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("Appeal lodged. The agency's answer will be public."), "success")
    else:
        flash(_("Explain the grounds of the appeal in at least 30 characters."), "error")
    return redirect(url_for("challenges.detail", challenge_id=item.challenge_id, _anchor="award"))


@bp.route("/awards/appeals/<int:appeal_id>/answer", methods=["POST"])
@roles(Role.AGENCY_STAFF)
def answer(appeal_id: int):
    """The agency answers an appeal in public."""
    item = db.get_or_404(Appeal, appeal_id)
    load_challenge(item.decision.challenge_id, manage=True)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            answer_appeal(item, current_user, form.answer.data)
        except AwardError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("Answer published."), "success")
    else:
        flash(_("Write the answer."), "error")
    return redirect(
        url_for("challenges.detail", challenge_id=item.decision.challenge_id, _anchor="award")
    )


@bp.route("/awards/milestones/<int:milestone_id>/deliver", methods=["POST"])
@roles(Role.SUPPLIER_MEMBER)
def deliver(milestone_id: int):
    """The winning supplier marks a milestone delivered with evidence."""
    item = db.get_or_404(PilotMilestone, milestone_id)
    ensure(current_user.represents(item.awarded.proposal.supplier_id), hide=True)
    form = EvidenceForm()
    try:
        if not form.validate_on_submit():
            raise AwardError(_("Describe the evidence in at least 10 characters."))
        deliver_milestone(item, current_user, form.evidence.data)
    except AwardError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Milestone marked as delivered."), "success")
    return redirect(
        url_for(
            "challenges.detail", challenge_id=item.awarded.decision.challenge_id, _anchor="pilot"
        )
    )


@bp.route("/awards/milestones/<int:milestone_id>/decide", methods=["POST"])
@roles(Role.AGENCY_STAFF)
def decide(milestone_id: int):
    """The agency accepts (releasing the payment) or rejects a delivered milestone."""
    item = db.get_or_404(PilotMilestone, milestone_id)
    load_challenge(item.awarded.decision.challenge_id, manage=True)
    form = MilestoneDecisionForm()
    try:
        if not form.validate_on_submit():
            raise AwardError(_("Choose accept or reject."))
        decide_milestone(item, current_user, form.decision.data == "accept", form.reason.data)
    except AwardError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Milestone decision recorded."), "success")
    return redirect(
        url_for(
            "challenges.detail", challenge_id=item.awarded.decision.challenge_id, _anchor="pilot"
        )
    )
