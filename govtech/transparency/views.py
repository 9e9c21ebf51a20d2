"""Audit pages: the public chain head, and audit trails for agencies and admins."""

import sqlalchemy as sa
from flask import render_template, request
from flask_login import current_user

from govtech.accounts.models import Role
from govtech.audit.models import AuditEntry
from govtech.audit.services import chain_head
from govtech.challenges.views import load_challenge
from govtech.extensions import db
from govtech.permissions import public, roles
from govtech.transparency import bp

PAGE = 100
# Bidders' actions, hidden from the agency's trail until the challenge closes.
SEALED_OBJECTS = ("Proposal", "ProposalSubmission", "ProposalAttachment")
# Questions are published without the asker's identity, in the trail too.
ANONYMOUS_ACTIONS = ("question.asked",)
# Questions are published without the asker's identity, in the trail too.
ANONYMOUS_ACTIONS = ("question.asked",)


@bp.route("/audit")
@public
def audit_head():
    """The latest entry of the hash-chained audit log: anyone can note it and check later
    that the log was not rewritten."""
    head = chain_head()
    count = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))
    return render_template("transparency/audit_head.html", head=head, count=count)


@bp.route("/audit/challenges/<int:challenge_id>")
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


@bp.route("/audit/all")
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
