"""Backups with the database's own tools: pg_dump/pg_restore for PostgreSQL, the SQLite
backup API for SQLite. Files live outside the app servers (uploads are in the database)."""

import shutil
import sqlite3
import subprocess
from pathlib import Path

import click
from flask.cli import AppGroup

from govtech.extensions import db

backup_cli = AppGroup("backup", help="Back up and restore the database.")


class BackupError(RuntimeError):
    """The backup tool failed; the message says why."""


def _libpq_url() -> str:
    return db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (it ships with the PostgreSQL client).")
    return path


def create_backup(path: str) -> None:
    """Write a consistent copy of the whole database to `path`."""
    db.session.remove()
    if db.engine.dialect.name == "postgresql":
        result = subprocess.run(  # noqa: S603 (fixed tool, arguments from our config)
            [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={path}", _libpq_url()],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(result.stderr.strip())
        return
    with db.engine.connect() as connection:
        source = connection.connection.driver_connection
        target = sqlite3.connect(path)
        try:
            source.backup(target)
        finally:
            target.close()


def restore_backup(path: str) -> None:
    """Replace the database's contents with the backup at `path`."""
    if not Path(path).is_file():
        raise BackupError(f"no backup file at {path}")
    db.session.remove()
    if db.engine.dialect.name == "postgresql":
        db.engine.dispose()
        result = subprocess.run(  # noqa: S603
            [
                _tool("pg_restore"),
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={_libpq_url()}",
                path,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(result.stderr.strip())
        return
    source = sqlite3.connect(path)
    try:
        with db.engine.connect() as connection:
            source.backup(connection.connection.driver_connection)
    finally:
        source.close()
    db.engine.dispose()


@backup_cli.command("create")
@click.argument("path")
def create_command(path):
    """Back up the database to PATH."""
    try:
        create_backup(path)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backup written to {path}.")


@backup_cli.command("restore")
@click.argument("path")
def restore_command(path):
    """Restore the database from the backup at PATH (replaces its contents)."""
    try:
        restore_backup(path)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Database restored from {path}. Run `flask audit verify` to check the log.")
