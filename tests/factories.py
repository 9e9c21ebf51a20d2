"""Test data built through the real services, so tests exercise the same rules as users."""

import datetime as dt
import itertools
from decimal import Decimal

import sqlalchemy as sa

from govtech import clock
from govtech.accounts.models import Agency, GovernmentLevel, Role, SizeBand, Supplier, User
from govtech.accounts.services import create_user, register_agency, register_supplier
from govtech.challenges.models import Challenge, ProcedureType, Sector
from govtech.challenges.services import create_draft, publish_challenge
from govtech.extensions import db
from govtech.proposals.models import Maturity

PASSWORD = "a-long-test-passphrase-42"
_seq = itertools.count(1)

# Valid tax ids (check digits computed with python-stdnum) for distinct suppliers.
VALID_TAX_IDS = {
    "CO": [
        "9001234568",
        "8001972684",
        "8600073861",
        "8909039388",
        "9003261382",
        "9005551116",
        "9010002227",
    ],
    "BR": ["11222333000181", "45218976000173", "33000167000101", "60746948000112"],
    "CL": ["765432103", "970040005", "965109706", "771234569"],
    "AR": ["30712345671", "30500010912", "30546676427"],
}


def agency(
    code: str | None = None,
    *,
    verified: bool = True,
    time_zone="America/Bogota",
    country="CO",
    locale="es",
) -> Agency:
    n = next(_seq)
    a = register_agency(
        name=f"Agencia de prueba {n}",
        code=code or f"AG{n}",
        country=country,
        level=GovernmentLevel.NATIONAL,
        time_zone=time_zone,
        locale=locale,
    )
    if verified:
        a.verified_at = clock.now()
    db.session.flush()
    return a


def supplier(
    country: str = "CO",
    *,
    size_band: SizeBand = SizeBand.MICRO,
    founding_year: int = 2021,
    tax_id: str | None = None,
    name: str | None = None,
) -> Supplier:
    n = next(_seq)
    if tax_id is None:
        used = set(
            db.session.scalars(sa.select(Supplier.tax_id).where(Supplier.country == country))
        )
        tax_id = next((t for t in VALID_TAX_IDS[country] if t not in used), None)
        if tax_id is None and country == "CO":  # more companies than listed: compute one
            from stdnum.co import nit

            base = str(901_000_000 + n)
            tax_id = base + nit.calc_check_digit(base)
        if tax_id is None:
            raise RuntimeError(f"no more valid test tax ids for {country}")
    return register_supplier(
        legal_name=name or f"Startup {n} S.A.S.",
        tax_id=tax_id,
        country=country,
        size_band=size_band,
        founding_year=founding_year,
        website=None,
    )


def user(
    role: Role,
    *,
    agency: Agency | None = None,
    supplier: Supplier | None = None,
    email: str | None = None,
    name: str | None = None,
) -> User:
    n = next(_seq)
    return create_user(
        email=email or f"user{n}@example.org",
        password=PASSWORD,
        full_name=name or f"Persona {n}",
        role=role,
        agency=agency,
        supplier=supplier,
    )


def admin(**kw) -> User:
    return user(Role.ADMIN, **kw)


def agency_staff(a: Agency | None = None, **kw) -> User:
    return user(Role.AGENCY_STAFF, agency=a or agency(), **kw)


def supplier_member(s: Supplier | None = None, **kw) -> User:
    return user(Role.SUPPLIER_MEMBER, supplier=s or supplier(), **kw)


def evaluator(**kw) -> User:
    return user(Role.EVALUATOR, **kw)


def pdf_bytes(pages: int = 1, text: str = "") -> bytes:
    """A small, valid PDF document."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if text:
        writer.add_metadata({"/Title": text})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def challenge_values(**overrides) -> dict:
    """Valid values for a challenge whose deadlines are in the future."""
    now = clock.now().replace(microsecond=0)
    values = {
        "title": "Reducir la espera para turnos médicos",
        "problem_statement": "Los vecinos esperan semanas por un turno. " * 3,
        "current_situation": "Turnos por teléfono.",
        "expected_results": "- Espera de 19 a 7 días.",
        "sector": Sector.HEALTH,
        "country": "CO",
        "region": "Bogotá",
        "budget_amount": Decimal("100000.00"),
        "currency": "COP",
        "procedure_type": ProcedureType.INNOVATION_CHALLENGE,
        "eligible_size_bands": ["micro", "small", "medium"],
        "eligible_countries": [],
        "min_company_age_years": None,
        "max_company_age_years": None,
        "question_deadline": now + dt.timedelta(days=10),
        "submission_deadline": now + dt.timedelta(days=20),
        "expected_award_date": now + dt.timedelta(days=40),
        "pilot_duration_weeks": 12,
        "contact_name": "Contacto",
        "contact_email": "contacto@example.org",
    }
    values.update(overrides)
    return values


def draft_challenge(staff: User | None = None, *, prepared: bool = True, **overrides) -> Challenge:
    """A draft; `prepared` also completes the readiness self-assessment and the rubric."""
    staff = staff or agency_staff()
    challenge = create_draft(staff.agency, staff, challenge_values(**overrides))
    if prepared:
        prepare_for_publication(challenge, staff)
    return challenge


RUBRIC_WEIGHTS = (40, 30, 20, 10)


def prepare_for_publication(challenge: Challenge, staff: User, weights=RUBRIC_WEIGHTS) -> None:
    """Readiness all 'yes' and a rubric on the first proposal-side items."""
    from flask import current_app

    from govtech.evaluation.checklist import checklist_items, load_checklist
    from govtech.evaluation.models import AppliesTo
    from govtech.evaluation.services import save_readiness, set_rubric

    if not checklist_items():
        load_checklist(current_app.config["SEEDS_DIR"])
    save_readiness(
        challenge, staff, {item.id: ("yes", None) for item in checklist_items(AppliesTo.CHALLENGE)}
    )
    items = checklist_items(AppliesTo.PROPOSAL)
    set_rubric(
        challenge,
        staff,
        [
            {"item_id": item.id, "weight": weight}
            for item, weight in zip(items, weights, strict=False)
        ],
    )


def published_challenge(staff: User | None = None, **overrides) -> Challenge:
    staff = staff or agency_staff()
    challenge = draft_challenge(staff, **overrides)
    problems = publish_challenge(challenge, staff)
    assert problems == [], problems
    return challenge


def proposal_values(**overrides) -> dict:
    """Complete, valid values for every part of a proposal."""
    values = {
        "summary": "Turnos por WhatsApp y SMS con recordatorios.",
        "solution": "Un asistente conversacional conectado a la agenda.",
        "maturity": Maturity.PRODUCT,
        "maturity_evidence": "En uso en tres clínicas privadas.",
        "milestones": [
            {
                "name": "Diagnóstico",
                "week": 2,
                "deliverable": "Informe",
                "acceptance_test": "Aprobado por la agencia",
                "payment_share": 30.0,
            },
            {
                "name": "Piloto",
                "week": 8,
                "deliverable": "Sistema en producción",
                "acceptance_test": "KPIs medidos",
                "payment_share": 70.0,
            },
        ],
        "kpis": [{"name": "Espera media", "baseline": "19 días", "target": "7 días"}],
        "team": [{"name": "Ana Pérez", "role": "Líder técnica", "experience": "10 años"}],
        "price_amount": Decimal("50000.00"),
        "data_protection": "Cifrado en tránsito y en reposo; WCAG 2.1 AA.",
        "interoperability": "API REST documentada con OpenAPI.",
        "ip_position": "La empresa conserva la propiedad; licencia perpetua a la agencia.",
        "scale_up_plan": "Extender a todos los centros de salud.",
        "scale_up_cost": Decimal("150000.00"),
    }
    values.update(overrides)
    return values


def complete_proposal(challenge: Challenge, member: User | None = None, **overrides):
    """A draft with every section filled in, ready to submit."""
    from govtech.proposals.services import save_draft, start_proposal

    member = member or supplier_member()
    proposal = start_proposal(challenge, member)
    save_draft(proposal, member, proposal_values(**overrides))
    return proposal


def submitted_proposal(challenge: Challenge, member: User | None = None, **overrides):
    """A complete proposal, submitted."""
    from govtech.proposals.services import submit_proposal

    member = member or supplier_member()
    proposal = complete_proposal(challenge, member, **overrides)
    submit_proposal(proposal, member)
    return proposal


def evaluation_scenario(
    n_bidders: int = 2,
    n_evaluators: int = 3,
    *,
    declare: bool = True,
    weights=RUBRIC_WEIGHTS,
    prices=None,
):
    """A challenge in evaluation: submitted, eligible proposals and an accepted panel.

    Returns (challenge, staff, proposals, evaluators).
    """
    import time_machine

    from govtech.challenges.services import close_due_challenges, start_evaluation
    from govtech.evaluation.panel import (
        accept_panel_invitation,
        declare_conflicts,
        invite_evaluator,
    )
    from govtech.proposals.services import screen_proposal

    staff = agency_staff()
    challenge = create_draft(staff.agency, staff, challenge_values())
    prepare_for_publication(challenge, staff, weights)
    assert publish_challenge(challenge, staff) == []
    proposals = []
    for n in range(n_bidders):
        price = (prices or [None] * n_bidders)[n] or Decimal("50000.00")
        proposals.append(submitted_proposal(challenge, price_amount=price))
    with time_machine.travel(challenge.submission_deadline + dt.timedelta(seconds=1), tick=False):
        close_due_challenges()
    for proposal in proposals:
        screen_proposal(proposal, staff, eligible=True)
    start_evaluation(challenge, staff)
    evaluators = []
    for n in range(n_evaluators):
        person = evaluator(name=f"Evaluadora {n + 1}")
        accept_panel_invitation(invite_evaluator(challenge, staff, person.email, "Experta"), person)
        if declare:
            declare_conflicts(challenge, person, {p.id: (False, None, None) for p in proposals})
        evaluators.append(person)
    return challenge, staff, proposals, evaluators


def score(
    proposal,
    person,
    values,
    *,
    submit=True,
    justification="Cumple el criterio con evidencia suficiente.",
):
    """Save (and submit) a scorecard with one value per rubric criterion, in order."""
    from govtech.evaluation.scorecards import save_scorecard, scorecard_for
    from govtech.evaluation.services import rubric

    card = scorecard_for(proposal, person, create=True)
    criteria = rubric(proposal.challenge)
    save_scorecard(
        card,
        person,
        card.version,
        {c.id: (v, justification) for c, v in zip(criteria, values, strict=True)},
        submit=submit,
    )
    return card
