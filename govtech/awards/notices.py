"""The award notice: its content record, the PDF (WeasyPrint) and byte-for-byte verification.

WeasyPrint fetches only the app's own static files: no `file://` elsewhere, no network.
"""

import datetime as dt
import hashlib
import json
import logging
import warnings
from pathlib import Path
from urllib.parse import unquote, urlsplit

import segno
import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale

with warnings.catch_warnings():
    # Without HarfBuzz's subsetter WeasyPrint warns at import and embeds fonts with fontTools
    # (the same PDF, 2-3x slower): that degrades, so it is one log line, not an error.
    warnings.filterwarnings("ignore", "HarfBuzz-Subset", DeprecationWarning)
    from weasyprint import HTML
    from weasyprint.text.ffi import harfbuzz_subset
    from weasyprint.urls import URLFetcher, URLFetcherResponse

from govtech import clock
from govtech.accounts.tax_ids import format_tax_id
from govtech.awards.models import AwardDecision, AwardNotice
from govtech.evaluation.models import ConflictDeclaration
from govtech.evaluation.panel import panel
from govtech.evaluation.ranking import ranking
from govtech.evaluation.services import rubric
from govtech.extensions import db
from govtech.navigation import public_url
from govtech.proposals.models import Proposal, ProposalStatus, Screening

log = logging.getLogger(__name__)

# True when WeasyPrint found HarfBuzz's font subsetter (make pdf-deps installs it).
HARFBUZZ_SUBSET = harfbuzz_subset is not None
_slow_fonts_reported = False

STATIC_ROOT = Path(__file__).resolve().parent.parent / "static"


class StaticOnlyFetcher(URLFetcher):
    """Lets WeasyPrint read data: URIs and `static:` URLs (the app's own static files);
    refuses `file://` elsewhere, the network and everything else."""

    def __init__(self):
        super().__init__(allowed_protocols=("data", "static"), allow_redirects=False)

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme == "static":
            path = (STATIC_ROOT / unquote(parts.path).lstrip("/")).resolve()
            if STATIC_ROOT in path.parents and path.is_file():
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": _mime(path)})
            raise ValueError(f"no such static file: {url[:100]}")
        if parts.scheme != "data":
            raise ValueError(f"refused to fetch {url[:100]}")
        return super().fetch(url, headers)


def _mime(path: Path) -> str:
    return {
        ".css": "text/css",
        ".svg": "image/svg+xml",
        ".png": "image/png",
        ".woff2": "font/woff2",
    }.get(path.suffix, "application/octet-stream")


def next_reference(agency_code: str) -> str:
    """AGENCYCODE-YYYY-NNNN, numbered per agency and year."""
    prefix = f"{agency_code}-{clock.now().year}-"
    last = db.session.scalar(
        sa.select(sa.func.max(AwardNotice.reference)).where(
            AwardNotice.reference.like(f"{prefix}%")
        )
    )
    return f"{prefix}{(int(last.rsplit('-', 1)[1]) + 1) if last else 1:04d}"


def notice_record(decision: AwardDecision, reference: str, issued_at: dt.datetime) -> dict:
    """Every fact the notice states, as plain data (its SHA-256 is printed on the notice)."""
    challenge = decision.challenge
    agency = challenge.agency
    submitted = db.session.scalars(
        sa.select(Proposal).where(
            Proposal.challenge_id == challenge.id, Proposal.status == ProposalStatus.SUBMITTED
        )
    ).all()
    eligible = [p for p in submitted if p.screening is Screening.ELIGIBLE]
    conflicts = db.session.scalar(
        sa.select(sa.func.count(ConflictDeclaration.id)).where(
            ConflictDeclaration.challenge_id == challenge.id,
            ConflictDeclaration.has_conflict.is_(True),
        )
    )
    winners = {w.proposal_id: w for w in decision.winners}
    return {
        "reference": reference,
        "kind": decision.kind.value,
        "issued_at": issued_at.isoformat(),
        "agency": {
            "code": agency.code,
            "name": agency.name,
            "country": agency.country,
            "time_zone": agency.time_zone,
        },
        "challenge": {
            "reference": challenge.reference,
            "title": challenge.title,
            "procedure": challenge.procedure_type.value,
            "budget": str(challenge.budget_amount),
            "currency": challenge.currency,
        },
        "dates": {
            "published": challenge.published_at.isoformat(),
            "deadline": challenge.submission_deadline.isoformat(),
            "evaluation_started": _evaluation_start(challenge).isoformat(),
            "decision": issued_at.isoformat(),
        },
        "proposals": {
            "received": len(submitted),
            "eligible": len(eligible),
            "from_smes": sum(1 for p in submitted if p.supplier.is_sme),
            "from_other_countries": sum(
                1 for p in submitted if p.supplier.country != challenge.country
            ),
        },
        "winners": [
            {
                "supplier": w.proposal.supplier.legal_name,
                "tax_id": format_tax_id(w.proposal.supplier.country, w.proposal.supplier.tax_id),
                "country": w.proposal.supplier.country,
                "amount": str(w.amount),
                "currency": challenge.currency,
                "score": str(w.score),
                "rank": w.rank,
                "proposal": w.proposal.reference,
            }
            for w in decision.winners
        ],
        "ranking": [
            {
                "rank": r.rank,
                "supplier": r.supplier_name,
                "score": f"{r.score:.1f}",
                "winner": r.proposal_id in winners,
            }
            for r in ranking(challenge)
        ],
        "rubric": [
            {"criterion": c.label(agency.locale), "weight": c.weight} for c in rubric(challenge)
        ],
        "committee": [
            {"name": m.user.full_name if m.user else m.email, "role": m.role_on_panel}
            for m in panel(challenge)
        ],
        "conflicts_declared": conflicts,
        "justification": decision.justification,
        "milestones": [
            {
                "supplier": w.proposal.supplier.legal_name,
                "name": m["name"],
                "week": m["week"],
                "share": m["payment_share"],
                "amount": f"{w.amount * _decimal(m['payment_share']) / 100:.2f}",
            }
            for w in decision.winners
            for m in w.proposal.latest_submission.snapshot["content"]["milestones"]
        ],
        "appeal_deadline": decision.standstill_ends_at.isoformat(),
    }


def _decimal(value):
    from decimal import Decimal

    return Decimal(str(value))


def _evaluation_start(challenge) -> dt.datetime:
    from govtech.audit.models import AuditEntry

    started = db.session.scalar(
        sa.select(AuditEntry.created_at)
        .where(
            AuditEntry.challenge_id == challenge.id, AuditEntry.action == "challenge.in_evaluation"
        )
        .order_by(AuditEntry.id)
        .limit(1)
    )
    return started or challenge.closed_at or challenge.submission_deadline


def record_digest(record: dict) -> str:
    """SHA-256 of the canonical JSON of the notice's content record."""
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def render_notice_pdf(record: dict, digest: str, language: str) -> bytes:
    """The notice as A4 PDF bytes, in the agency's language."""
    verify_url = public_url("awards.notice", reference=record["reference"])
    qr = segno.make(verify_url, error="m").svg_data_uri(scale=3, border=1)
    with force_locale(language):
        html = render_template(
            "pdf/award_notice.html",
            r=record,
            digest=digest,
            verify_url=verify_url,
            qr=qr,
            language=language,
        )
    _report_font_subsetter()
    return HTML(string=html, url_fetcher=StaticOnlyFetcher()).write_pdf()


class _OncePerProcess(logging.Filter):
    """Drops WeasyPrint's fontTools warning, which it repeats for every font of every notice;
    `_report_font_subsetter` says it once instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "instead of HarfBuzz-Subset" not in record.getMessage()


logging.getLogger("weasyprint").addFilter(_OncePerProcess())


def _report_font_subsetter() -> None:
    global _slow_fonts_reported
    if not HARFBUZZ_SUBSET and not _slow_fonts_reported:
        _slow_fonts_reported = True
        log.warning(
            "HarfBuzz's font subsetter is not installed: award notices embed fonts with "
            "fontTools, 2-3x slower (make pdf-deps installs libharfbuzz-subset0)"
        )


def issue_notice(
    decision: AwardDecision,
    supersedes: AwardNotice | None = None,
    correction_reason: str | None = None,
) -> AwardNotice:
    """Generate and store the notice of a confirmed decision (once; never regenerated).

    A correction is a new notice that supersedes the old one; both are kept and linked.
    """
    existing = db.session.scalar(
        sa.select(AwardNotice)
        .where(AwardNotice.decision_id == decision.id)
        .order_by(AwardNotice.id)
        .limit(1)
    )
    if existing is not None and supersedes is None:
        return existing
    challenge = decision.challenge
    issued_at = clock.now() if supersedes else (decision.confirmed_at or clock.now())
    reference = next_reference(challenge.agency.code)
    record = notice_record(decision, reference, issued_at)
    if supersedes is not None:
        record["corrects"] = {"reference": supersedes.reference, "reason": correction_reason}
    digest = record_digest(record)
    language = challenge.agency.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    pdf = render_notice_pdf(record, digest, language)
    notice = AwardNotice(
        reference=reference,
        challenge_id=challenge.id,
        decision_id=decision.id,
        language=language,
        issued_at=issued_at,
        record=record,
        record_sha256=digest,
        pdf=pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        supersedes_id=supersedes.id if supersedes else None,
        correction_reason=correction_reason,
    )
    db.session.add(notice)
    db.session.flush()
    return notice


def verify_pdf(data: bytes) -> AwardNotice | None:
    """The notice these exact bytes are, or None if the platform never issued them."""
    return db.session.scalar(
        sa.select(AwardNotice).where(AwardNotice.pdf_sha256 == hashlib.sha256(data).hexdigest())
    )


def superseded_by(notice: AwardNotice) -> AwardNotice | None:
    """The later notice that corrects this one, if any."""
    return db.session.scalar(sa.select(AwardNotice).where(AwardNotice.supersedes_id == notice.id))
