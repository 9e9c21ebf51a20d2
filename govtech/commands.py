"""Command-line tools: `flask --app wsgi users ...` and `flask --app wsgi seed ...`."""

import click
from flask import current_app
from flask.cli import AppGroup

from govtech.accounts.models import Role
from govtech.accounts.services import AccountError, create_user
from govtech.extensions import db

users_cli = AppGroup("users", help="Manage user accounts.")
seed_cli = AppGroup("seed", help="Load data files from seeds/.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--name", "full_name", default=None, help="Full name (defaults to the email).")
@click.option("--agency", "agency_code", default=None, help="Agency code, for agency staff.")
def create_user_command(email, password, role, full_name, agency_code):
    """Create a user (for the first admin of a new installation)."""
    import sqlalchemy as sa

    from govtech.accounts.models import Agency

    agency = None
    if agency_code:
        agency = db.session.scalar(sa.select(Agency).where(Agency.code == agency_code.upper()))
        if agency is None:
            raise click.ClickException(f"No agency with code {agency_code}.")
    try:
        user = create_user(
            email=email,
            password=password,
            full_name=full_name or email,
            role=Role(role),
            agency=agency,
        )
    except AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from error
    db.session.commit()
    click.echo(f"Created {user.role.value} {user.email} (id {user.id}).")


@seed_cli.command("demo")
def seed_demo_command():
    """Load the demo organisations, users and procurement process (idempotent)."""
    from govtech.demo import load_demo

    created = load_demo(current_app.config["SEEDS_DIR"])
    db.session.commit()
    click.echo(f"Demo data: {created} new objects." if created else "Demo data already loaded.")


@seed_cli.command("checklist")
def seed_checklist_command():
    """Load the 30 recommendations from seeds/checklist.json (idempotent)."""
    from govtech.evaluation.checklist import load_checklist

    created, updated = load_checklist(current_app.config["SEEDS_DIR"])
    db.session.commit()
    click.echo(f"Checklist: {created} created, {updated} updated.")
