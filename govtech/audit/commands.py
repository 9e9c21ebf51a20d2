"""`flask --app wsgi audit verify`: walk the hash chain."""

import sys

import click
from flask.cli import AppGroup

from govtech.audit.services import verify_chain

audit_cli = AppGroup("audit", help="The audit log.")


@audit_cli.command("verify")
def verify_command():
    """Exit 0 when the chain is intact, 1 with the first broken entry when it is not."""
    intact, broken, checked = verify_chain()
    if intact:
        click.echo(f"Audit chain intact: {checked} entries.")
        return
    click.echo(
        f"Audit chain BROKEN at entry {broken.id} ({broken.action}, "
        f"{broken.created_at.isoformat()}) after {checked - 1} good entries."
    )
    sys.exit(1)
