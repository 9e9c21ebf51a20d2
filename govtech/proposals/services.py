"""The rules of bidding: eligibility, drafts, sealed submission with a digest, withdrawal
and eligibility screening after the deadline."""

import hashlib
import json
import secrets
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from govtech import clock
from govtech.accounts.models import Supplier, User
from govtech.accounts.tax_ids import format_tax_id
from govtech.audit.services import record
from govtech.challenges.models import Challenge, ChallengeStatus
from govtech.challenges.services import close_if_due
from govtech.extensions import db
from govtech.files import store_file
from govtech.notifications import notify
from govtech.proposals.models import (
    MAX_ATTACHMENTS,
    IneligibilityReason,
    Proposal,
    ProposalAttachment,
    ProposalStatus,
    ProposalSubmission,
    Screening,
)
from govtech.rules import RuleViolation

DRAFT_FIELDS = (
    "summary", "solution", "maturity", "maturity_evidence", "milestones", "kpis", "team",
    "price_amount", "data_protection", "interoperability", "ip_position", "scale_up_plan",
    "scale_up_cost",
)  # fmt: skip
EDITABLE = (ProposalStatus.DRAFT, ProposalStatus.WITHDRAWN)


class ProposalError(RuleViolation):
    """A rule refused the action; `field` names the form field, if any."""


# --- eligibility -----------------------------------------------------------------------
def eligibility_problems(challenge: Challenge, supplier: Supplier) -> list:
    """Why this supplier may not bid on this challenge (empty when it may)."""
    problems = []
    if not challenge.allows_size_band(supplier.size_band):
        problems.append(_l("This challenge is not open to companies of your size."))
    if challenge.eligible_countries and supplier.country not in challenge.eligible_countries:
        problems.append(
            _l(
                "This challenge is open only to companies registered in: %(list)s.",
                list=", ".join(challenge.eligible_countries),
            )
        )
    age = supplier.age_in_years()
    if challenge.min_company_age_years is not None and age < challenge.min_company_age_years:
        problems.append(
            _l("Companies must be at least %(n)s years old.", n=challenge.min_company_age_years)
        )
    if challenge.max_company_age_years is not None and age > challenge.max_company_age_years:
        problems.append(
            _l("Companies must be at most %(n)s years old.", n=challenge.max_company_age_years)
        )
    return problems


def proposal_for(challenge: Challenge, supplier_id: int) -> Proposal | None:
    """The supplier's proposal to the challenge, if any."""
    return db.session.scalar(
        sa.select(Proposal).where(
            Proposal.challenge_id == challenge.id, Proposal.supplier_id == supplier_id
        )
    )


# --- references ------------------------------------------------------------------------
# Crockford's base 32: no I, L, O or U, so a reference read aloud or retyped stays unambiguous.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_RANDOM_SYMBOLS = 7  # 32**7: about 34 billion codes per challenge
REFERENCE_ATTEMPTS = 5


def reference_check_symbol(code: str) -> str:
    """The Luhn mod 32 check symbol of a code: catches any one mistyped symbol and almost
    every swap of two neighbouring symbols."""
    n = len(REFERENCE_ALPHABET)
    total = 0
    for position, symbol in enumerate(reversed(code)):
        value = REFERENCE_ALPHABET.index(symbol)
        if position % 2 == 0:
            value *= 2
            value = value // n + value % n
        total += value
    return REFERENCE_ALPHABET[(n - total % n) % n]


def new_proposal_reference(challenge: Challenge) -> str:
    """A random, unguessable reference such as `MINTIC-2026-C0001-P-7KQM-9F2X`.

    It says nothing about how many proposals the challenge has or when this one started:
    a sequential number would tell every bidder how many rivals came before them.
    """
    code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_RANDOM_SYMBOLS))
    code += reference_check_symbol(code)
    return f"{challenge.reference}-P-{code[:4]}-{code[4:]}"


def is_well_formed_reference(reference: str) -> bool:
    """True if the reference's code has the shape and check symbol of one this platform
    issues (a typo in a reference read from a letter or a phone call is caught)."""
    _prefix, _sep, code = (reference or "").upper().rpartition("-P-")
    code = code.replace("-", "")
    if len(code) != REFERENCE_RANDOM_SYMBOLS + 1 or any(
        symbol not in REFERENCE_ALPHABET for symbol in code
    ):
        return False
    return reference_check_symbol(code[:-1]) == code[-1]


def start_proposal(challenge: Challenge, member: User) -> Proposal:
    """Open a draft for the member's company, after checking it is eligible."""
    close_if_due(challenge)
    if not member.is_supplier_member:
        raise ProposalError(_l("Only supplier members can prepare proposals."))
    if not challenge.is_open:
        raise ProposalError(_l("This challenge is not accepting proposals."))
    existing = proposal_for(challenge, member.supplier_id)
    if existing is not None:
        return existing
    problems = eligibility_problems(challenge, member.supplier)
    if problems:
        raise ProposalError(problems[0])
    for _attempt in range(REFERENCE_ATTEMPTS):
        proposal = Proposal(
            challenge=challenge,
            supplier_id=member.supplier_id,
            reference=new_proposal_reference(challenge),
            milestones=[],
            kpis=[],
            team=[],
        )
        try:
            # Added inside the savepoint: begin_nested() flushes what is already pending.
            with db.session.begin_nested():
                db.session.add(proposal)
                db.session.flush()
        except sa.exc.IntegrityError:
            # Another member of the same company started it at the same moment...
            existing = proposal_for(challenge, member.supplier_id)
            if existing is not None:
                return existing
            # ...or, rarely, the random reference was taken: draw another one.
            continue
        break
    else:
        raise ProposalError(_l("The proposal could not be started. Please try again."))
    record(
        "proposal.started",
        proposal,
        actor=member,
        challenge_id=challenge.id,
        reference=proposal.reference,
    )
    return proposal


# --- drafting --------------------------------------------------------------------------
def check_values(challenge: Challenge, values: Mapping[str, Any]) -> list[ProposalError]:
    """Rules across fields: shares sum to 100, price within budget."""
    errors = []
    milestones = values.get("milestones")
    if milestones:
        total = sum(Decimal(str(m["payment_share"])) for m in milestones)
        if total != 100:
            errors.append(
                ProposalError(
                    _l(
                        "Payment shares add up to %(total)s%%; they must add up to 100%%.",
                        total=format(total.normalize(), "f"),
                    ),
                    "milestones",
                )
            )
        weeks = [m["week"] for m in milestones]
        if any(w > challenge.pilot_duration_weeks for w in weeks):
            errors.append(
                ProposalError(
                    _l(
                        "Milestones must fall within the pilot's %(n)s weeks.",
                        n=challenge.pilot_duration_weeks,
                    ),
                    "milestones",
                )
            )
    price = values.get("price_amount")
    if price is not None and price > challenge.budget_amount:
        errors.append(
            ProposalError(
                _l(
                    "The price cannot exceed the challenge's budget (%(budget)s %(currency)s).",
                    budget=f"{challenge.budget_amount:,.2f}",
                    currency=challenge.currency,
                ),
                "price_amount",
            )
        )
    return errors


def save_draft(proposal: Proposal, member: User, values: Mapping[str, Any]) -> None:
    """Save part of a draft (one form step); the deadline is checked by the clock."""
    close_if_due(proposal.challenge)
    if not proposal.can_edit(member):
        if proposal.status is ProposalStatus.SUBMITTED:
            raise ProposalError(_l("This proposal is submitted. Withdraw it to make changes."))
        raise ProposalError(_l("The deadline has passed: this proposal can no longer change."))
    errors = check_values(proposal.challenge, values)
    if errors:
        raise errors[0]
    changed = []
    for key in DRAFT_FIELDS:
        if key in values and getattr(proposal, key) != values[key]:
            setattr(proposal, key, values[key])
            changed.append(key)
    if changed:  # a save that changes nothing is not a state change: nothing is written
        proposal.updated_at = clock.now()
        db.session.flush()
        record(
            "proposal.draft_saved",
            proposal,
            actor=member,
            challenge_id=proposal.challenge_id,
            fields=changed,
        )


def add_attachment(
    proposal: Proposal, member: User, title: str, filename: str, data: bytes
) -> ProposalAttachment:
    """Attach a validated PDF to a draft (at most five)."""
    if not proposal.can_edit(member):
        raise ProposalError(_l("Attachments can be changed only in a draft before the deadline."))
    if len(proposal.attachments) >= MAX_ATTACHMENTS:
        raise ProposalError(
            _l("A proposal can have at most %(n)s attachments.", n=MAX_ATTACHMENTS), "document"
        )
    stored = store_file(filename, data, uploaded_by=member)
    attachment = ProposalAttachment(
        proposal=proposal, file_id=stored.id, title=(title or filename).strip()[:200]
    )
    db.session.add(attachment)
    db.session.flush()
    record(
        "proposal.attachment_added",
        proposal,
        actor=member,
        challenge_id=proposal.challenge_id,
        sha256=stored.sha256,
    )
    return attachment


def remove_attachment(attachment: ProposalAttachment, member: User) -> None:
    """Remove an attachment from a draft (earlier submissions keep their copy)."""
    proposal = attachment.proposal
    if not proposal.can_edit(member):
        raise ProposalError(_l("Attachments can be changed only in a draft before the deadline."))
    db.session.delete(attachment)
    db.session.flush()
    record(
        "proposal.attachment_removed", proposal, actor=member, challenge_id=proposal.challenge_id
    )


def completeness_problems(proposal: Proposal) -> list[ProposalError]:
    """What is still missing before the proposal can be submitted."""
    required = {
        "summary": _l("Write a summary."),
        "solution": _l("Describe the proposed solution."),
        "maturity": _l("State the maturity of the solution."),
        "data_protection": _l("Describe the data protection, security and accessibility approach."),
        "interoperability": _l("Describe interoperability and open standards."),
        "ip_position": _l("State the intellectual property position."),
        "scale_up_plan": _l("Describe the plan to scale up."),
        "price_amount": _l("State the price."),
    }
    problems = [
        ProposalError(message, field)
        for field, message in required.items()
        if not getattr(proposal, field)
    ]
    if not proposal.milestones:
        problems.append(ProposalError(_l("Add at least one pilot milestone."), "milestones"))
    if not proposal.kpis:
        problems.append(ProposalError(_l("Add at least one KPI with baseline and target."), "kpis"))
    if not proposal.team:
        problems.append(ProposalError(_l("Name at least one team member."), "team"))
    values = {k: getattr(proposal, k) for k in DRAFT_FIELDS}
    problems += check_values(proposal.challenge, values)
    return problems


# --- submission ------------------------------------------------------------------------
def proposal_content(proposal: Proposal) -> dict[str, Any]:
    """Everything the supplier commits to, in a stable shape (what the digest covers)."""
    supplier = proposal.supplier
    return {
        "proposal": proposal.reference,
        "challenge": proposal.challenge.reference,
        "supplier": {
            "legal_name": supplier.legal_name,
            "tax_id": supplier.tax_id,
            "country": supplier.country,
            "size_band": supplier.size_band.value,
            "founding_year": supplier.founding_year,
        },
        "summary": proposal.summary,
        "solution": proposal.solution,
        "maturity": proposal.maturity.value if proposal.maturity else None,
        "maturity_evidence": proposal.maturity_evidence,
        "milestones": proposal.milestones,
        "kpis": proposal.kpis,
        "team": proposal.team,
        "price": {"amount": str(proposal.price_amount), "currency": proposal.challenge.currency},
        "data_protection": proposal.data_protection,
        "interoperability": proposal.interoperability,
        "ip_position": proposal.ip_position,
        "scale_up_plan": proposal.scale_up_plan,
        "scale_up_cost": str(proposal.scale_up_cost) if proposal.scale_up_cost else None,
        "attachments": [
            {
                "title": a.title,
                "filename": a.file.filename,
                "size": a.file.size,
                "sha256": a.file.sha256,
                "file_id": a.file_id,
            }
            for a in proposal.attachments
        ],
    }


def canonical_json(content: Mapping[str, Any]) -> bytes:
    """The one serialisation the digest is computed over (sorted keys, no spaces, UTF-8)."""
    return json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def content_digest(content: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical serialisation, in hex."""
    return hashlib.sha256(canonical_json(content)).hexdigest()


def submit_proposal(proposal: Proposal, member: User) -> ProposalSubmission:
    """Freeze the proposal into an immutable, digested snapshot before the deadline.

    The deadline is checked with the server's clock inside the transaction that records the
    submission; a conditional UPDATE makes concurrent submissions of one draft count once.
    """
    challenge = proposal.challenge
    if not proposal.is_member(member):
        raise ProposalError(_l("Only the company's members can submit its proposal."))
    problems = completeness_problems(proposal)
    if problems:
        raise problems[0]
    # Lock the challenge row (PostgreSQL) so an addendum cannot move the deadline meanwhile.
    deadline = db.session.scalar(
        sa.select(Challenge.submission_deadline)
        .where(Challenge.id == challenge.id, Challenge.status == ChallengeStatus.PUBLISHED)
        .with_for_update(read=True)
    )
    now = clock.now()
    if deadline is None or now >= deadline:
        raise ProposalError(
            _l(
                "The deadline for proposals has passed. Your draft is kept, but it can no longer "
                "be submitted."
            )
        )
    claimed = db.session.execute(
        sa.update(Proposal)
        .where(Proposal.id == proposal.id, Proposal.status.in_(EDITABLE))
        .values(
            status=ProposalStatus.SUBMITTED,
            submitted_at=now,
            submission_count=Proposal.submission_count + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise ProposalError(_l("This proposal has already been submitted."))
    db.session.refresh(proposal)
    content = proposal_content(proposal)
    digest = content_digest(content)
    version = proposal.submission_count
    submission = ProposalSubmission(
        proposal_id=proposal.id,
        version=version,
        receipt=f"{proposal.reference}-V{version}",
        submitted_at=now,
        submitted_by_id=member.id,
        snapshot={
            "content": content,
            "version": version,
            "submitted_at": now.isoformat(),
            "digest": digest,
        },
        digest=digest,
    )
    db.session.add(submission)
    db.session.flush()
    db.session.refresh(proposal)
    record(
        "proposal.submitted",
        proposal,
        actor=member,
        challenge_id=challenge.id,
        version=version,
        digest=digest,
        receipt=submission.receipt,
    )
    for person in proposal.supplier.members:
        notify(
            person.email,
            "proposal_receipt",
            locale=person.locale,
            user=person,
            proposal=proposal,
            submission=submission,
            challenge=challenge,
        )
    return submission


def withdraw_proposal(proposal: Proposal, member: User) -> None:
    """Withdraw a submitted proposal before the deadline; the submission stays on record."""
    close_if_due(proposal.challenge)
    if not proposal.is_member(member):
        raise ProposalError(_l("Only the company's members can withdraw its proposal."))
    if proposal.status is not ProposalStatus.SUBMITTED:
        raise ProposalError(_l("Only a submitted proposal can be withdrawn."))
    if not proposal.challenge.is_open:
        raise ProposalError(_l("The deadline has passed: the proposal can no longer be withdrawn."))
    now = clock.now()
    current = proposal.latest_submission
    claimed = db.session.execute(
        sa.update(Proposal)
        .where(Proposal.id == proposal.id, Proposal.status == ProposalStatus.SUBMITTED)
        .values(status=ProposalStatus.WITHDRAWN)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise ProposalError(_l("Only a submitted proposal can be withdrawn."))
    current.withdrawn_at = now
    db.session.flush()
    db.session.refresh(proposal)
    record(
        "proposal.withdrawn",
        proposal,
        actor=member,
        challenge_id=proposal.challenge_id,
        version=current.version,
    )


# --- after the deadline ----------------------------------------------------------------
def screen_proposal(
    proposal: Proposal,
    staff: User,
    eligible: bool,
    reason: IneligibilityReason | None = None,
    note: str | None = None,
) -> None:
    """The agency marks a submitted proposal eligible or ineligible (with a reason)."""
    close_if_due(proposal.challenge)
    if not proposal.can_screen(staff):
        raise ProposalError(_l("Proposals can be screened by the agency only after the deadline."))
    if proposal.challenge.status not in (ChallengeStatus.CLOSED, ChallengeStatus.IN_EVALUATION):
        raise ProposalError(_l("Screening is closed for this challenge."))
    if not eligible and reason is None:
        raise ProposalError(_l("Choose the reason why the proposal is ineligible."), "reason")
    if not eligible and reason is IneligibilityReason.OTHER and not (note or "").strip():
        raise ProposalError(_l("Explain the reason."), "note")
    before = proposal.screening
    proposal.screening = Screening.ELIGIBLE if eligible else Screening.INELIGIBLE
    proposal.screening_reason = None if eligible else reason
    proposal.screening_note = (note or "").strip() or None
    proposal.screened_at = clock.now()
    proposal.screened_by_id = staff.id
    db.session.flush()
    record(
        "proposal.screened",
        proposal,
        actor=staff,
        agency_id=proposal.challenge.agency_id,
        challenge_id=proposal.challenge_id,
        **{"from": before, "to": proposal.screening, "reason": proposal.screening_reason},
    )
    if not eligible:
        for person in proposal.supplier.members:
            notify(
                person.email,
                "proposal_ineligible",
                locale=person.locale,
                user=person,
                proposal=proposal,
                challenge=proposal.challenge,
            )


def received_count(challenge: Challenge) -> int | None:
    """How many proposals were submitted, once the challenge has closed; None while bidding
    is sealed: before the deadline nobody, the agency included, learns how many bid."""
    if challenge.closed_at is None:
        return None
    return (
        db.session.scalar(
            sa.select(sa.func.count(Proposal.id)).where(
                Proposal.challenge_id == challenge.id, Proposal.status == ProposalStatus.SUBMITTED
            )
        )
        or 0
    )


def submitted_proposals(challenge: Challenge) -> list[Proposal]:
    """The submitted proposals of a challenge with their suppliers, in submission order."""
    from sqlalchemy.orm import selectinload

    return list(
        db.session.scalars(
            sa.select(Proposal)
            .options(selectinload(Proposal.supplier), selectinload(Proposal.submissions))
            .where(
                Proposal.challenge_id == challenge.id, Proposal.status == ProposalStatus.SUBMITTED
            )
            .order_by(Proposal.submitted_at)
        )
    )


def supplier_proposals(supplier_id: int) -> list[Proposal]:
    """A company's proposals, newest first, with their challenges."""
    from sqlalchemy.orm import joinedload, selectinload

    return list(
        db.session.scalars(
            sa.select(Proposal)
            .options(
                joinedload(Proposal.challenge).joinedload(Challenge.agency),
                selectinload(Proposal.submissions),
            )
            .where(Proposal.supplier_id == supplier_id)
            .order_by(Proposal.updated_at.desc())
        )
    )


def printable_tax_id(supplier: Supplier) -> str:
    """The supplier's tax id in its usual printed form."""
    return format_tax_id(supplier.country, supplier.tax_id)
