"""`flask --app wsgi challenges ...`: clock-driven maintenance."""

import click
from flask.cli import AppGroup

from govtech.challenges.services import close_due_challenges
from govtech.extensions import db

challenges_cli = AppGroup("challenges", help="Challenge maintenance.")


@challenges_cli.command("close-due")
def close_due_command():
    """Close every published challenge whose submission deadline has passed."""
    closed = close_due_challenges()
    db.session.commit()
    click.echo(f"Closed {closed} challenge(s).")
