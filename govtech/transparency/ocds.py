"""Open Contracting Data Standard 1.1: releases, records and packages of the public process.

Release ids are stable (one per event: publication, each addendum, the bids, cancellation,
the award, the pilot); sealed content never appears before the deadline, and the bids
extension's details only after the award. Only fields of the standard and of the declared
extensions appear, and no empty ones; records compile their releases by the standard's merging
rules (ocdsmerge, with the release schema vendored in ocds_schema/, never fetched).
"""

import datetime as dt
import functools
import json
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import ocdsmerge
import sqlalchemy as sa
from flask import current_app, url_for
from sqlalchemy.orm import selectinload

from govtech import clock
from govtech.accounts.tax_ids import format_tax_id
from govtech.awards.models import (
    AwardDecision,
    AwardedProposal,
    AwardNotice,
    DecisionKind,
    DecisionStatus,
    PilotMilestone,
)
from govtech.awards.services import pilot_milestones_by_challenge
from govtech.challenges.models import PUBLIC_STATUSES, Challenge, ChallengeStatus, Question
from govtech.evaluation.models import ConflictDeclaration, Criterion
from govtech.evaluation.ranking import ranking
from govtech.evaluation.services import rubrics
from govtech.extensions import db
from govtech.proposals.models import Proposal, ProposalStatus, Screening

BIDS_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/"
    "v1.1.5/extension.json"
)
# parties/details/scale. The extension registry lists this extension at master only.
PARTY_SCALE_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/"
    "ocds_partyDetails_scale_extension/master/extension.json"
)
EXTENSIONS = [BIDS_EXTENSION, PARTY_SCALE_EXTENSION]
# OCDS 1.1.5's release schema patched with EXTENSIONS (see ocds_schema/SOURCE.md).
RELEASE_SCHEMA = Path(__file__).parent / "ocds_schema" / "release-schema.json"
TENDER_STATUS = {
    ChallengeStatus.PUBLISHED: "active",
    ChallengeStatus.CLOSED: "active",
    ChallengeStatus.IN_EVALUATION: "active",
    ChallengeStatus.AWARDED: "complete",
    ChallengeStatus.CANCELLED: "cancelled",
    ChallengeStatus.VOID: "unsuccessful",
}


# What a page of challenges loads with them, instead of one query per challenge.
CHALLENGE_RELATIONS = (
    selectinload(Challenge.agency),
    selectinload(Challenge.documents),
    selectinload(Challenge.addenda),
)


@dataclass
class ReleaseSources:
    """What the releases of some challenges read besides the challenges themselves, by
    challenge id, loaded together (`load_sources`)."""

    criteria: dict[int, list[Criterion]]
    with_questions: set[int]
    decisions: dict[int, AwardDecision]
    submitted: dict[int, list[Proposal]]
    notices: dict[int, AwardNotice]  # the latest of each decision, by decision id
    conflicts: dict[int, int]
    milestones: dict[int, list[PilotMilestone]]


def load_sources(challenges: list[Challenge]) -> ReleaseSources:
    """Load what the releases of `challenges` need in a fixed number of statements, however
    many challenges there are (a page of an OCDS package)."""
    ids = [c.id for c in challenges]
    criteria = rubrics(ids)
    with_questions = set(
        db.session.scalars(
            sa.select(Question.challenge_id).where(Question.challenge_id.in_(ids)).distinct()
        )
    )
    submitted: dict[int, list[Proposal]] = defaultdict(list)
    for proposal in db.session.scalars(
        sa.select(Proposal)
        .options(selectinload(Proposal.supplier))
        .where(Proposal.challenge_id.in_(ids), Proposal.status == ProposalStatus.SUBMITTED)
        .order_by(Proposal.id)
    ):
        submitted[proposal.challenge_id].append(proposal)
    decisions: dict[int, AwardDecision] = {}
    for decision in db.session.scalars(
        sa.select(AwardDecision)
        .options(
            selectinload(AwardDecision.winners)
            .selectinload(AwardedProposal.proposal)
            .selectinload(Proposal.supplier)
        )
        .where(
            AwardDecision.challenge_id.in_(ids),
            AwardDecision.status == DecisionStatus.CONFIRMED,
        )
        .order_by(AwardDecision.id)
    ):
        decisions.setdefault(decision.challenge_id, decision)
    sources = ReleaseSources(criteria, with_questions, decisions, submitted, {}, {}, {})
    decided = list(decisions)
    if not decided:
        return sources
    for notice in db.session.scalars(
        sa.select(AwardNotice)
        .where(AwardNotice.decision_id.in_([d.id for d in decisions.values()]))
        .order_by(AwardNotice.id)
    ):
        sources.notices[notice.decision_id] = notice  # later ones replace earlier ones
    sources.conflicts = dict(
        db.session.execute(
            sa.select(ConflictDeclaration.challenge_id, sa.func.count(ConflictDeclaration.id))
            .where(ConflictDeclaration.challenge_id.in_(decided))
            .group_by(ConflictDeclaration.challenge_id)
        ).all()
    )
    sources.milestones = pilot_milestones_by_challenge(decided)
    return sources


def _iso(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.utcoffset() is None:  # a naive time would be read as the server's local time
        raise ValueError("OCDS dates must be timezone-aware")
    return moment.astimezone(dt.UTC).isoformat()


def _is_empty(value) -> bool:
    return value is None or value in ([], {}) or (isinstance(value, str) and not value.strip())


def _pruned(value):
    """`value` without empty or blank strings, empty arrays, empty objects and nulls, at any
    depth: OCDS asks publishers to omit a field rather than publish it empty (and a null in a
    release would erase an earlier value when releases are merged)."""
    if isinstance(value, dict):
        pruned = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if not _is_empty(v)}
    if isinstance(value, list):
        return [v for v in map(_pruned, value) if not _is_empty(v)]
    return value


def language(challenge: Challenge) -> str:
    """The language the challenge is written in, as OCDS asks (lowercase ISO 639-1): its
    agency's locale without the region (`pt_BR` -> `pt`)."""
    return challenge.agency.locale.replace("-", "_").split("_")[0].lower()


def _money(amount: Decimal | None, currency: str) -> dict | None:
    return {"amount": float(amount), "currency": currency} if amount is not None else None


def ocid(challenge: Challenge) -> str:
    """The open contracting id: the configured prefix and the challenge's reference."""
    return f"{current_app.config['OCDS_PREFIX']}-{challenge.reference}"


def _buyer(challenge: Challenge) -> dict:
    agency = challenge.agency
    return {
        "id": f"agency-{agency.code}",
        "name": agency.name,
        "address": {"countryName": agency.country},
        "roles": ["buyer", "procuringEntity"],
    }


def _supplier_party(proposal: Proposal, roles: list[str]) -> dict:
    supplier = proposal.supplier
    return {
        "id": f"{supplier.country}-TAXID-{supplier.tax_id}",
        "name": supplier.legal_name,
        "identifier": {
            "scheme": f"{supplier.country}-TAXID",
            "id": format_tax_id(supplier.country, supplier.tax_id),
            "legalName": supplier.legal_name,
        },
        "address": {"countryName": supplier.country},
        # The partyScale codelist has our four size bands as codes (micro, small, medium, large).
        "details": {"scale": supplier.size_band.value},
        "roles": roles,
    }


def _tender(
    challenge: Challenge,
    sources: ReleaseSources,
    *,
    status: str,
    amendments: list | None = None,
) -> dict:
    criteria = sources.criteria.get(challenge.id, [])
    tender: dict[str, Any] = {
        "id": challenge.reference,
        "title": challenge.title,
        "description": challenge.problem_statement,
        "status": status,
        "value": _money(challenge.budget_amount, challenge.currency),
        "procurementMethod": "open",
        "procurementMethodDetails": challenge.procedure_type.value,
        "mainProcurementCategory": "services",
        "awardCriteria": "ratedCriteria",
        "awardCriteriaDetails": "; ".join(f"{c.label('en')}: {c.weight}%" for c in criteria),
        "submissionMethod": ["electronicSubmission"],
        "eligibilityCriteria": (
            f"Company sizes: {', '.join(challenge.eligible_size_bands)}; countries: "
            f"{', '.join(challenge.eligible_countries) or 'any'}"
        ),
        "tenderPeriod": {
            "startDate": _iso(challenge.published_at),
            "endDate": _iso(challenge.submission_deadline),
        },
        "enquiryPeriod": {
            "startDate": _iso(challenge.published_at),
            "endDate": _iso(challenge.question_deadline),
        },
        "hasEnquiries": challenge.id in sources.with_questions,
        "documents": [
            {
                "id": f"doc-{d.id}",
                "documentType": "tenderNotice" if not d.addendum_id else "clarifications",
                "title": d.title,
                "format": "application/pdf",
                "url": url_for(
                    "challenges.document",
                    challenge_id=challenge.id,
                    document_id=d.id,
                    _external=True,
                ),
                "datePublished": _iso(d.added_at),
            }
            for d in challenge.documents
        ],
    }
    if amendments:
        tender["amendments"] = amendments
    return tender


def releases(challenge: Challenge, sources: ReleaseSources | None = None) -> list[dict]:
    """The challenge's releases in date order (`sources`: loaded with other challenges')."""
    sources = sources or load_sources([challenge])
    return [_pruned(release) for release in _releases(challenge, sources)]


def _releases(challenge: Challenge, sources: ReleaseSources) -> list[dict]:
    base = {"ocid": ocid(challenge), "initiationType": "tender", "language": language(challenge)}
    buyer = _buyer(challenge)
    out = [
        {
            **base,
            "id": f"{ocid(challenge)}-tender",
            "date": _iso(challenge.published_at),
            "tag": ["tender"],
            "parties": [buyer],
            "buyer": {"id": buyer["id"], "name": buyer["name"]},
            "planning": {
                "budget": {"amount": _money(challenge.budget_amount, challenge.currency)},
                "rationale": challenge.current_situation,
            },
            "tender": _tender(challenge, sources, status="active"),
        }
    ]
    amendments = []
    for addendum in challenge.addenda:
        amendments.append(
            {
                "id": str(addendum.number),
                "date": _iso(addendum.published_at),
                "rationale": addendum.text,
            }
        )
        out.append(
            {
                **base,
                "id": f"{ocid(challenge)}-amendment-{addendum.number}",
                "date": _iso(addendum.published_at),
                "tag": ["tenderAmendment"],
                "parties": [buyer],
                "tender": _tender(challenge, sources, status="active", amendments=list(amendments)),
            }
        )
    decision = sources.decisions.get(challenge.id)
    bids = sources.submitted.get(challenge.id, [])
    if challenge.closed_at is not None:  # sealed until then: nothing about bids before
        out.append(
            {
                **base,
                "id": f"{ocid(challenge)}-bids",
                "date": _iso(challenge.closed_at),
                "tag": ["tenderUpdate"],
                "parties": [buyer],
                "tender": {
                    **_tender(challenge, sources, status="active", amendments=amendments or None),
                    "numberOfTenderers": len(bids),
                },
                "bids": {"statistics": bid_statistics(challenge, bids)},
            }
        )
    if challenge.status is ChallengeStatus.CANCELLED:
        tender = _tender(challenge, sources, status="cancelled")
        # OCDS 1.1 has no tender.statusDetails (its extension is not on a host we can vendor
        # from): the reason is a cancellationDetails document, as the codelist intends.
        tender["documents"] = tender["documents"] + [
            {
                "id": f"{challenge.reference}-cancellation",
                "documentType": "cancellationDetails",
                "title": "Reasons for the cancellation",
                "description": challenge.status_reason,
                "datePublished": _iso(challenge.status_changed_at),
            }
        ]
        out.append(
            {
                **base,
                "id": f"{ocid(challenge)}-cancellation",
                "date": _iso(challenge.status_changed_at),
                "tag": ["tenderCancellation"],
                "parties": [buyer],
                "tender": tender,
            }
        )
    if decision is not None:
        out.append(_award_release(challenge, decision, base, buyer, sources))
        milestones = sources.milestones.get(challenge.id, [])
        if milestones:
            out.append(_contract_release(challenge, decision, base, buyer, milestones))
    return out


def bid_statistics(challenge: Challenge, bids: list[Proposal]) -> list[dict]:
    """The bids extension's statistics of the challenge's submitted proposals: counts only,
    never content."""
    eligible = [b for b in bids if b.screening is Screening.ELIGIBLE]
    stats = [
        ("bids", len(bids)),
        ("validBids", len(eligible)),
        ("smeBids", sum(1 for b in bids if b.supplier.is_sme)),
        ("foreignBids", sum(1 for b in bids if b.supplier.country != challenge.country)),
    ]
    return [
        {"id": str(n), "measure": measure, "value": value, "date": _iso(challenge.closed_at)}
        for n, (measure, value) in enumerate(stats, 1)
    ]


def _award_release(challenge, decision, base, buyer, sources: ReleaseSources) -> dict:
    bids = sources.submitted.get(challenge.id, [])
    ranked = {r.proposal_id: r for r in ranking(challenge)}
    winners = {w.proposal_id: w for w in decision.winners}
    parties = [buyer] + [
        _supplier_party(p, ["tenderer", "supplier"] if p.id in winners else ["tenderer"])
        for p in bids
    ]
    notice = sources.notices.get(decision.id)
    conflicts = sources.conflicts.get(challenge.id, 0)
    documents = []
    if notice is not None:
        documents.append(
            {
                "id": notice.reference,
                "documentType": "awardNotice",
                "title": f"Award notice {notice.reference}",
                "url": url_for("awards.notice_pdf", reference=notice.reference, _external=True),
                "format": "application/pdf",
                "datePublished": _iso(notice.issued_at),
            }
        )
    documents.append(
        {
            "id": f"{challenge.reference}-evaluation",
            "documentType": "evaluationReports",
            "title": "Ranking and weighted scores",
            "description": "; ".join(
                f"{r.rank}. {r.supplier_name}: {r.score:.1f}" for r in ranked.values()
            ),
        }
    )
    documents.append(
        {
            "id": f"{challenge.reference}-conflicts",
            "documentType": "conflictOfInterest",
            "title": "Conflict of interest declarations",
            "description": f"{conflicts} declarations by the evaluation panel",
        }
    )
    void = decision.kind is DecisionKind.VOID
    release = {
        **base,
        "id": f"{ocid(challenge)}-award",
        "date": _iso(decision.confirmed_at),
        "tag": ["award"] if not void else ["tenderUpdate"],
        "parties": parties,
        "tender": {
            **_tender(challenge, sources, status=TENDER_STATUS[challenge.status]),
            "numberOfTenderers": len(bids),
            "tenderers": [
                {"id": _supplier_party(p, [])["id"], "name": p.supplier.legal_name} for p in bids
            ],
        },
        "bids": {
            "statistics": bid_statistics(challenge, bids),
            "details": [
                {
                    "id": p.reference,
                    "date": _iso(p.submitted_at),
                    "status": "valid" if p.screening is Screening.ELIGIBLE else "disqualified",
                    "tenderers": [
                        {"id": _supplier_party(p, [])["id"], "name": p.supplier.legal_name}
                    ],
                    "value": _money(p.price_amount, challenge.currency),
                }
                for p in bids
            ],
        },
        "awards": []
        if void
        else [
            {
                "id": f"{challenge.reference}-award-{w.rank}",
                "title": challenge.title,
                "status": "active",
                "date": _iso(decision.confirmed_at),
                "value": _money(w.amount, challenge.currency),
                "suppliers": [
                    {
                        "id": _supplier_party(w.proposal, [])["id"],
                        "name": w.proposal.supplier.legal_name,
                    }
                ],
                "description": decision.justification,
                "documents": documents,
            }
            for w in decision.winners
        ],
    }
    if void:
        # Why no award: a document's description (OCDS 1.1 has no tender.statusDetails).
        documents.append(
            {
                "id": f"{challenge.reference}-void",
                "documentType": "evaluationReports",
                "title": "Reasons the challenge was declared void",
                "description": decision.justification,
                "datePublished": _iso(decision.confirmed_at),
            }
        )
        release["tender"]["documents"] = release["tender"]["documents"] + documents
    return release


def _contract_release(challenge, decision, base, buyer, milestones) -> dict:
    contracts = []
    for w in decision.winners:
        own = [m for m in milestones if m.awarded_id == w.id]
        contracts.append(
            {
                "id": f"{challenge.reference}-pilot-{w.rank}",
                "awardID": f"{challenge.reference}-award-{w.rank}",
                "title": challenge.title,
                "status": "active",
                "value": _money(w.amount, challenge.currency),
                "dateSigned": _iso(decision.confirmed_at),
                "milestones": [
                    {
                        "id": f"{w.rank}-{m.position}",
                        "title": m.name,
                        # A milestone has no value in OCDS 1.1 nor in a registered extension:
                        # the payment due on acceptance is told here, the payments made are
                        # the implementation's transactions.
                        "description": _milestone_description(m, challenge.currency),
                        "type": "delivery",
                        "dueDate": _iso(decision.confirmed_at + dt.timedelta(weeks=m.week)),
                        "status": "met" if m.status.value == "accepted" else "scheduled",
                        "dateMet": _iso(m.decided_at) if m.status.value == "accepted" else None,
                    }
                    for m in own
                ],
                "implementation": {
                    "transactions": [
                        {
                            "id": f"payment-{m.id}",
                            "date": _iso(m.decided_at),
                            "value": _money(m.payment_amount, challenge.currency),
                            "payer": {"id": buyer["id"], "name": buyer["name"]},
                            "payee": {
                                "id": _supplier_party(w.proposal, [])["id"],
                                "name": w.proposal.supplier.legal_name,
                            },
                        }
                        for m in own
                        if m.status.value == "accepted"
                    ]
                },
            }
        )
    latest = max(
        [decision.confirmed_at]
        + [m.decided_at or m.delivered_at for m in milestones if m.decided_at or m.delivered_at]
    )
    return {
        **base,
        "id": f"{ocid(challenge)}-contract",
        "date": _iso(latest),
        "tag": ["contract", "implementation"],
        # The suppliers its transactions pay, with the roles the award gave them (roles are
        # replaced, not added, when releases are merged).
        "parties": [buyer]
        + [_supplier_party(w.proposal, ["tenderer", "supplier"]) for w in decision.winners],
        "contracts": contracts,
    }


def _milestone_description(milestone: PilotMilestone, currency: str) -> str:
    if milestone.payment_amount is None:
        return milestone.deliverable
    return (
        f"{milestone.deliverable}. Payment on acceptance: {milestone.payment_amount:.2f} {currency}"
    )


def release_package(rels: list[dict], uri: str) -> dict:
    """A release package around some releases."""
    return {
        "uri": uri,
        "version": "1.1",
        "publishedDate": _iso(clock.now()),
        "publisher": {"name": current_app.config.get("OCDS_PUBLISHER", "Govtech Challenges")},
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "extensions": list(EXTENSIONS),
        "releases": rels,
    }


@functools.cache
def _merger() -> ocdsmerge.Merger:
    # The merge rules come from the vendored schema (read once): ocdsmerge would otherwise
    # download the latest release schema.
    return ocdsmerge.Merger(json.loads(RELEASE_SCHEMA.read_text(encoding="utf-8")))


def compiled_record(challenge: Challenge, sources: ReleaseSources | None = None) -> dict:
    """A record: the releases (embedded) and the compiled release, merged by the standard's
    rules (objects in arrays matched by id at every depth, the latest value winning)."""
    rels = releases(challenge, sources)
    compiled = _merger().create_compiled_release(rels)
    return {"ocid": ocid(challenge), "releases": rels, "compiledRelease": compiled}


def public_challenges_statement():
    """Public challenges in a stable order, for paginated packages."""
    return sa.select(Challenge).where(Challenge.status.in_(PUBLIC_STATUSES)).order_by(Challenge.id)
