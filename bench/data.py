"""Data at scale: agencies, people, challenges, proposals and scored evaluations, inserted
in bulk with SQLAlchemy Core (lists of dicts, executemany) in two steps, so the same pages
can be measured at a few challenges and at many.

Ids are assigned here (the database is fresh) so child rows need no RETURNING; on
PostgreSQL the sequences are moved past them at the end of each step.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa

from govtech import clock
from govtech.accounts.models import Agency, Supplier, User
from govtech.accounts.services import hash_password
from govtech.challenges.models import Challenge, ProcedureType, Sector
from govtech.evaluation.models import (
    AppliesTo,
    ChecklistItem,
    ConflictDeclaration,
    Criterion,
    EvaluatorAssignment,
    ReadinessAnswer,
    Score,
    Scorecard,
)
from govtech.proposals.models import Proposal, ProposalSubmission
from govtech.proposals.services import content_digest

PASSWORD = "bench-password-not-for-production"  # noqa: S105 (bench accounts only)
BATCH = 5_000  # rows per executemany call


@dataclass
class Plan:
    """How much data to make; the defaults are those of issue #10."""

    challenges: int = 10_000
    proposals: int = 100_000
    scored: int = 20_000  # proposals scored by a full panel
    big: int = 1_000  # proposals of the one challenge whose ranking is timed
    panel: int = 5  # evaluators per panel (each scores every criterion)
    per_challenge: int = 10  # proposals of the other scored challenges
    agencies: int = 200
    suppliers: int = 2_000
    evaluators: int = 500
    small: int = 10  # challenges of the first step


@dataclass
class Layout:
    """What each challenge index becomes: its kind and number of proposals."""

    kinds: list[str] = field(default_factory=list)  # "evaluated", "open" or "closed"
    sizes: list[int] = field(default_factory=list)
    big_index: int = -1


def layout(plan: Plan) -> Layout:
    """Spread the proposals: one big scored challenge (the first of the second step), every
    fifth challenge scored with `per_challenge` proposals until `scored` is reached, the rest
    open or closed sharing the remaining proposals as evenly as possible."""
    result = Layout(big_index=plan.small if plan.challenges > plan.small else -1)
    normal = (plan.scored - (plan.big if result.big_index >= 0 else 0)) // plan.per_challenge
    for i in range(plan.challenges):
        if i == result.big_index:
            result.kinds.append("evaluated")
            result.sizes.append(plan.big)
        elif i % 5 == 0 and normal > 0:
            result.kinds.append("evaluated")
            result.sizes.append(plan.per_challenge)
            normal -= 1
        else:
            result.kinds.append("closed" if i % 5 == 3 else "open")
            result.sizes.append(0)
    others = [i for i, kind in enumerate(result.kinds) if kind != "evaluated"]
    remaining = plan.proposals - sum(result.sizes)
    base, extra = divmod(max(remaining, 0), max(len(others), 1))
    for rank, i in enumerate(others):
        result.sizes[i] = base + (1 if rank < extra else 0)
    return result


def _insert(conn, model, rows: list[dict]) -> None:
    for start in range(0, len(rows), BATCH):
        conn.execute(sa.insert(model.__table__), rows[start : start + BATCH])


class Generator:
    """Inserts the plan in steps; remembers the ids it gave out."""

    def __init__(self, conn, plan: Plan):
        self.conn = conn
        self.plan = plan
        self.layout = layout(plan)
        self.now = clock.now().replace(microsecond=0)
        self.next_ids: dict[str, int] = {}
        self.done = 0  # challenges made so far
        self.evaluated_seen = 0
        self.counts: dict[str, int] = {}
        self.items: list[int] = []
        self.challenge_items: list[int] = []
        self.agency_ids: list[int] = []
        self.staff_ids: list[int] = []
        self.member_ids: list[int] = []
        self.supplier_rows: list[dict] = []
        self.evaluator_ids: list[int] = []
        self.evaluator_emails: list[str] = []
        self.challenge_ids: list[int] = []

    def _ids(self, model, n: int) -> range:
        table = model.__tablename__
        if table not in self.next_ids:
            self.next_ids[table] = (
                self.conn.scalar(sa.select(sa.func.coalesce(sa.func.max(model.id), 0))) + 1
            )
        start = self.next_ids[table]
        self.next_ids[table] = start + n
        return range(start, start + n)

    # --- people and organisations ------------------------------------------------------
    def base(self) -> None:
        """Agencies with one staff member each, suppliers with one member, evaluators."""
        plan, now = self.plan, self.now
        password_hash = hash_password(PASSWORD)
        items = self.conn.execute(
            sa.select(ChecklistItem.id, ChecklistItem.applies_to).order_by(ChecklistItem.position)
        ).all()
        self.items = [i for i, kind in items if kind is AppliesTo.PROPOSAL]
        self.challenge_items = [i for i, kind in items if kind is AppliesTo.CHALLENGE]
        self.agency_ids = list(self._ids(Agency, plan.agencies))
        _insert(
            self.conn,
            Agency,
            [
                {
                    "id": aid,
                    "code": f"BA{n:04d}",
                    "name": f"Agencia de banco de pruebas {n}",
                    "country": ("CO", "BR", "AR", "CL")[n % 4],
                    "level": "national",
                    "time_zone": "America/Bogota",
                    "locale": "es",
                    "created_at": now,
                    "verified_at": now,
                }
                for n, aid in enumerate(self.agency_ids)
            ],
        )
        self.supplier_rows = [
            {
                "id": sid,
                "legal_name": f"Startup de banco {n} S.A.S.",
                "tax_id": f"{900_000_000 + n}",
                "country": ("CO", "BR", "AR", "CL")[n % 4],
                "size_band": ("micro", "small", "medium", "large")[n % 4],
                "founding_year": 2010 + n % 14,
                "created_at": now,
            }
            for n, sid in enumerate(self._ids(Supplier, plan.suppliers))
        ]
        _insert(self.conn, Supplier, self.supplier_rows)

        def person(uid, email, role, **extra):
            return {
                "id": uid,
                "email": email,
                "full_name": f"Persona {uid}",
                "password_hash": password_hash,
                "role": role,
                "active": True,
                "session_nonce": hashlib.md5(str(uid).encode(), usedforsecurity=False).hexdigest(),
                "failed_logins": 0,
                "created_at": now,
                "agency_id": extra.get("agency_id"),
                "supplier_id": extra.get("supplier_id"),
            }

        people = []
        self.staff_ids = list(self._ids(User, plan.agencies))
        for n, (uid, aid) in enumerate(zip(self.staff_ids, self.agency_ids, strict=True)):
            people.append(person(uid, f"staff{n}@bench.example.org", "agency_staff", agency_id=aid))
        self.member_ids = list(self._ids(User, plan.suppliers))
        for n, (uid, s) in enumerate(zip(self.member_ids, self.supplier_rows, strict=True)):
            email = f"member{n}@bench.example.org"
            people.append(person(uid, email, "supplier_member", supplier_id=s["id"]))
        self.evaluator_ids = list(self._ids(User, plan.evaluators))
        self.evaluator_emails = [f"evaluator{n}@bench.example.org" for n in range(plan.evaluators)]
        for uid, email in zip(self.evaluator_ids, self.evaluator_emails, strict=True):
            people.append(person(uid, email, "evaluator"))
        _insert(self.conn, User, people)

    # --- challenges and everything under them -------------------------------------------
    def challenges(self, stop: int) -> None:
        """Make challenges up to index `stop` (exclusive), with their proposals and scores."""
        start, self.done = self.done, stop
        for chunk in range(start, stop, 200):
            self._chunk(range(chunk, min(chunk + 200, stop)))

    def _chunk(self, indices: range) -> None:
        plan = self.plan
        rows: dict[type, list[dict]] = {
            m: []
            for m in (
                Challenge,
                ReadinessAnswer,
                Criterion,
                Proposal,
                ProposalSubmission,
                EvaluatorAssignment,
                ConflictDeclaration,
                Scorecard,
                Score,
            )
        }
        challenge_ids = self._ids(Challenge, len(indices))
        for i, cid in zip(indices, challenge_ids, strict=True):
            self.challenge_ids.append(cid)
            kind, size = self.layout.kinds[i], self.layout.sizes[i]
            agency_n = i % plan.agencies
            challenge = self._challenge_row(i, cid, kind, agency_n)
            rows[Challenge].append(challenge)
            for item in self.challenge_items:
                rows[ReadinessAnswer].append(
                    {"challenge_id": cid, "item_id": item, "answer": "yes"}
                )
            criteria = self._ids(Criterion, len(self.items))
            # Weights add up to 100: the first criterion takes what the others leave.
            weights = [100 - 7 * (len(self.items) - 1)] + [7] * (len(self.items) - 1)
            for position, (crit_id, item, weight) in enumerate(
                zip(criteria, self.items, weights, strict=True)
            ):
                rows[Criterion].append(
                    {
                        "id": crit_id,
                        "challenge_id": cid,
                        "item_id": item,
                        "weight": weight,
                        "position": position,
                    }
                )
            proposals = self._proposals(rows, challenge, i, size, kind)
            if kind == "evaluated":
                self._evaluation(rows, challenge, proposals, list(criteria))
        for model, batch in rows.items():
            _insert(self.conn, model, batch)
            table = model.__tablename__
            self.counts[table] = self.counts.get(table, 0) + len(batch)

    def _challenge_row(self, i: int, cid: int, kind: str, agency_n: int) -> dict:
        now = self.now
        if kind == "open":
            questions, deadline = now + dt.timedelta(days=10), now + dt.timedelta(days=20)
        else:
            questions, deadline = now - dt.timedelta(days=30), now - dt.timedelta(days=20)
        deadline += dt.timedelta(minutes=i)
        return {
            "id": cid,
            "reference": f"BA{agency_n:04d}-2026-C{i:05d}",
            "agency_id": self.agency_ids[agency_n],
            "status": {"open": "published", "closed": "closed"}.get(kind, "in_evaluation"),
            "title": f"Desafío de banco de pruebas número {i}",
            "problem_statement": "Los vecinos esperan semanas por un turno médico. " * 4,
            "current_situation": "Turnos por teléfono y en ventanilla.",
            "expected_results": "- Espera de 19 a 7 días.\n- Menos ausencias.",
            "sector": list(Sector)[i % len(Sector)],
            "country": ("CO", "BR", "AR", "CL")[agency_n % 4],
            "region": "Capital",
            "budget_amount": Decimal(100_000 + 1_000 * (i % 50)),
            "currency": ("COP", "BRL", "ARS", "CLP")[agency_n % 4],
            "procedure_type": list(ProcedureType)[i % len(ProcedureType)],
            "eligible_size_bands": ["micro", "small", "medium"],
            "eligible_countries": [],
            "question_deadline": questions,
            "submission_deadline": deadline,
            "expected_award_date": deadline + dt.timedelta(days=20),
            "pilot_duration_weeks": 12,
            "contact_name": "Contacto",
            "contact_email": "contacto@bench.example.org",
            "created_at": now - dt.timedelta(days=40, minutes=-i),
            "created_by_id": self.staff_ids[agency_n],
            "published_at": now - dt.timedelta(days=35),
            "closed_at": None if kind == "open" else deadline,
            "status_changed_at": now - dt.timedelta(days=35),
            "blind_review": True,
            "max_winners": 1,
            "minimum_score": 50,
            "standstill_days": 10,
        }

    def _proposals(self, rows, challenge: dict, i: int, size: int, kind: str) -> list[dict]:
        made = []
        proposal_ids = self._ids(Proposal, size)
        submission_ids = self._ids(ProposalSubmission, size)
        submitted_at = challenge["submission_deadline"] - dt.timedelta(days=1)
        for j, (pid, sub_id) in enumerate(zip(proposal_ids, submission_ids, strict=True)):
            supplier_n = (i * 7 + j) % self.plan.suppliers
            supplier = self.supplier_rows[supplier_n]
            reference = f"{challenge['reference']}-P{j + 1:04d}"
            price = Decimal(40_000 + 97 * ((i + j) % 500))
            milestones = [
                {
                    "name": "Piloto",
                    "week": 8,
                    "deliverable": "Sistema en producción",
                    "acceptance_test": "KPIs medidos",
                    "payment_share": 100.0,
                }
            ]
            proposal = {
                "id": pid,
                "reference": reference,
                "challenge_id": challenge["id"],
                "supplier_id": supplier["id"],
                "status": "submitted",
                "summary": "Turnos por WhatsApp y SMS con recordatorios.",
                "solution": "Un asistente conversacional conectado a la agenda.",
                "maturity": "product_in_use",
                "milestones": milestones,
                "kpis": [{"name": "Espera media", "baseline": "19 días", "target": "7 días"}],
                "team": [{"name": "Ana Pérez", "role": "Líder técnica", "experience": "10 años"}],
                "price_amount": price,
                "created_at": submitted_at - dt.timedelta(days=3),
                "updated_at": submitted_at,
                "submitted_at": submitted_at + dt.timedelta(seconds=j),
                "submission_count": 1,
                "screening": "eligible" if kind == "evaluated" else "pending",
                "screened_at": self.now - dt.timedelta(days=10) if kind == "evaluated" else None,
                "screened_by_id": self.staff_ids[i % self.plan.agencies]
                if kind == "evaluated"
                else None,
            }
            content = {
                "proposal": reference,
                "challenge": challenge["reference"],
                "supplier": {
                    k: supplier[k] for k in ("legal_name", "tax_id", "country", "founding_year")
                }
                | {"size_band": supplier["size_band"]},
                "summary": proposal["summary"],
                "solution": proposal["solution"],
                "milestones": milestones,
                "price": {"amount": str(price), "currency": challenge["currency"]},
                "attachments": [],
            }
            digest = content_digest(content)
            rows[Proposal].append(proposal)
            rows[ProposalSubmission].append(
                {
                    "id": sub_id,
                    "proposal_id": pid,
                    "version": 1,
                    "receipt": f"{reference}-V1",
                    "submitted_at": proposal["submitted_at"],
                    "submitted_by_id": self.member_ids[supplier_n],
                    "snapshot": {
                        "content": content,
                        "version": 1,
                        "submitted_at": proposal["submitted_at"].isoformat(),
                        "digest": digest,
                    },
                    "digest": digest,
                }
            )
            made.append(proposal)
        return made

    def _evaluation(self, rows, challenge: dict, proposals: list[dict], criteria: list[int]):
        """A full panel: invited and accepted, no conflicts, every scorecard submitted."""
        plan, now = self.plan, self.now
        first = self.evaluated_seen * plan.panel
        self.evaluated_seen += 1
        members = [(first + k) % plan.evaluators for k in range(plan.panel)]
        assignment_ids = self._ids(EvaluatorAssignment, plan.panel)
        staff = challenge["created_by_id"]
        for aid, n in zip(assignment_ids, members, strict=True):
            rows[EvaluatorAssignment].append(
                {
                    "id": aid,
                    "challenge_id": challenge["id"],
                    "email": self.evaluator_emails[n],
                    "user_id": self.evaluator_ids[n],
                    "role_on_panel": "Experta",
                    "invited_at": now - dt.timedelta(days=15),
                    "invited_by_id": staff,
                    "accepted_at": now - dt.timedelta(days=14),
                }
            )
            card_ids = self._ids(Scorecard, len(proposals))
            for card_id, proposal in zip(card_ids, proposals, strict=True):
                pid = proposal["id"]
                rows[ConflictDeclaration].append(
                    {
                        "challenge_id": challenge["id"],
                        "user_id": self.evaluator_ids[n],
                        "proposal_id": pid,
                        "has_conflict": False,
                        "declared_at": now - dt.timedelta(days=13),
                        "flagged": False,
                    }
                )
                rows[Scorecard].append(
                    {
                        "id": card_id,
                        "assignment_id": aid,
                        "proposal_id": pid,
                        "status": "submitted",
                        "version": 2,
                        "updated_at": now - dt.timedelta(days=5),
                        "submitted_at": now - dt.timedelta(days=5),
                    }
                )
                for position, crit in enumerate(criteria):
                    rows[Score].append(
                        {
                            "scorecard_id": card_id,
                            "criterion_id": crit,
                            "score": (pid * 3 + n * 5 + position * 7) % 6,
                            "justification": "Cumple el criterio con evidencia suficiente.",
                        }
                    )

    def finish(self) -> None:
        """Move PostgreSQL's sequences past the ids given out here."""
        if self.conn.dialect.name != "postgresql":
            return
        for table in self.next_ids:
            self.conn.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
            )
