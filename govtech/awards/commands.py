"""`flask --app wsgi notices verify FILE.pdf`: offline verification of a notice."""

import sys

import click
from flask.cli import AppGroup

from govtech.awards.notices import superseded_by, verify_pdf

notices_cli = AppGroup("notices", help="Award notices.")


@notices_cli.command("verify")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def verify_command(path):
    """Exit 0 if FILE is byte for byte a notice this platform issued, 1 if not."""
    with open(path, "rb") as handle:
        notice = verify_pdf(handle.read())
    if notice is None:
        click.echo("NOT GENUINE: no notice issued by this platform has these exact bytes.")
        sys.exit(1)
    later = superseded_by(notice)
    status = f"superseded by {later.reference}" if later else "valid"
    click.echo(
        f"GENUINE: {notice.reference} ({status}), issued {notice.issued_at.isoformat()}, "
        f"sha256 {notice.pdf_sha256}"
    )
