"""Load `seeds/demo.json`: a platform in use, for `make run` and for trying the process.

Every object has a natural key (email, agency code, tax id, challenge reference), so a second
run finds everything in place and changes nothing.
"""

import json
from pathlib import Path

import sqlalchemy as sa

from govtech import clock
from govtech.accounts.models import Agency, GovernmentLevel, Role, SizeBand, Supplier, User
from govtech.accounts.services import create_user, register_agency, register_supplier
from govtech.extensions import db


def load_demo_file(seeds_dir: str) -> dict:
    """The demo data as a dict."""
    return json.loads((Path(seeds_dir) / "demo.json").read_text(encoding="utf-8"))


def load_demo(seeds_dir: str) -> int:
    """Create whatever demo objects are missing; return how many were created."""
    data = load_demo_file(seeds_dir)
    from govtech.evaluation.checklist import load_checklist

    load_checklist(seeds_dir)  # the rubrics of the demo challenges are built on it
    created = 0
    admin = _user_by_email(data["admin"]["email"])
    if admin is None:
        admin = create_user(
            email=data["admin"]["email"],
            password=data["password"],
            full_name=data["admin"]["full_name"],
            role=Role.ADMIN,
        )
        created += 1

    for item in data["agencies"]:
        agency = db.session.scalar(sa.select(Agency).where(Agency.code == item["code"]))
        if agency is None:
            agency = register_agency(
                name=item["name"],
                code=item["code"],
                country=item["country"],
                level=GovernmentLevel(item["level"]),
                time_zone=item["time_zone"],
                locale=item["locale"],
                website=item.get("website"),
                actor=admin,
            )
            if item.get("verified", True):
                agency.verified_at = clock.now()
                agency.verified_by_id = admin.id
            created += 1
        for person in item.get("staff", []):
            if _user_by_email(person["email"]) is None:
                create_user(
                    email=person["email"],
                    password=data["password"],
                    full_name=person["full_name"],
                    role=Role(person.get("role", "agency_staff")),
                    agency=agency,
                    locale=item["locale"],
                    actor=admin,
                )
                created += 1

    for item in data["suppliers"]:
        supplier = db.session.scalar(
            sa.select(Supplier).where(
                Supplier.country == item["country"], Supplier.tax_id == item["tax_id"]
            )
        )
        if supplier is None:
            supplier = register_supplier(
                legal_name=item["legal_name"],
                tax_id=item["tax_id"],
                country=item["country"],
                size_band=SizeBand(item["size_band"]),
                founding_year=item["founding_year"],
                website=item.get("website"),
                actor=admin,
            )
            supplier.description = item.get("description")
            supplier.team_size = item.get("team_size")
            created += 1
        for person in item.get("members", []):
            if _user_by_email(person["email"]) is None:
                create_user(
                    email=person["email"],
                    password=data["password"],
                    full_name=person["full_name"],
                    role=Role.SUPPLIER_MEMBER,
                    supplier=supplier,
                    locale=person.get("locale"),
                    actor=admin,
                )
                created += 1

    for person in data.get("evaluators", []):
        if _user_by_email(person["email"]) is None:
            create_user(
                email=person["email"],
                password=data["password"],
                full_name=person["full_name"],
                role=Role.EVALUATOR,
                locale=person.get("locale"),
                actor=admin,
            )
            created += 1

    db.session.flush()
    created += _load_process(data)
    return created


def _load_process(data: dict) -> int:
    """Each demo challenge, run through the process in order: publication and questions,
    proposals while it is open, then time passes (deadline, screening, evaluation...)."""
    from govtech.awards.demo import award_demo_challenge
    from govtech.challenges.demo import (
        advance_demo_challenge,
        create_demo_challenge,
        publish_demo_challenge,
    )
    from govtech.evaluation.demo import evaluate_demo_challenge, prepare_demo_challenge
    from govtech.proposals.demo import add_demo_proposals, screen_demo_proposals

    created = 0
    for spec in data.get("challenges", []):
        challenge = create_demo_challenge(spec)
        if challenge is None:
            continue
        created += 1
        prepare_demo_challenge(challenge, spec, data)
        if spec["state"] == "draft":
            continue
        publish_demo_challenge(challenge, spec)
        created += add_demo_proposals(challenge, spec, data["proposal_template"])
        advance_demo_challenge(challenge, spec)
        screen_demo_proposals(challenge, spec)
        created += evaluate_demo_challenge(challenge, spec)
        created += award_demo_challenge(challenge, spec)
    return created


def _user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == email))


def demo_logins(seeds_dir: str) -> list[dict]:
    """The demo accounts that exist in this database, by role, for the home page."""
    data = load_demo_file(seeds_dir)
    people = [{**data["admin"], "role": Role.ADMIN}]
    for agency in data["agencies"]:
        people += [{**p, "role": Role.AGENCY_STAFF, "org": agency["name"]} for p in agency["staff"]]
    for supplier in data["suppliers"]:
        people += [
            {**p, "role": Role.SUPPLIER_MEMBER, "org": supplier["legal_name"]}
            for p in supplier["members"]
        ]
    people += [{**p, "role": Role.EVALUATOR} for p in data.get("evaluators", [])]
    existing = set(
        db.session.scalars(
            sa.select(User.email).where(User.email.in_([p["email"] for p in people]))
        )
    )
    return [{**p, "password": data["password"]} for p in people if p["email"] in existing]
