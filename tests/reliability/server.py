"""The system under test: a throwaway PostgreSQL database and gunicorn serving `wsgi:app`."""

import contextlib
import glob
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
GUNICORN_CONF = Path(__file__).with_name("gunicorn_conf.py")


@contextlib.contextmanager
def postgresql_database(server_url: str, name: str) -> Iterator[str]:
    """Create database `name` on the server of `server_url`; yield its URL; drop it."""
    base = sa.engine.make_url(server_url.replace("postgres://", "postgresql://", 1))
    admin = base.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False
        )
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn with the production entry point, several sync workers, on loopback."""

    def __init__(self, database_url: str, workdir: Path, workers: int = 3):
        self.workers = workers
        self.port = _free_port()
        self.trap_dir = workdir / "trap"
        self.trap_dir.mkdir()
        self.log_path = workdir / "gunicorn.log"
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "GOVTECH_INSTANCE_PATH": str(workdir / "instance"),
            "MAIL_SUPPRESS_SEND": "1",
            "TRUSTED_PROXIES": "1",
            "RELIABILITY_TRAP_DIR": str(self.trap_dir),
        }
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> None:
        """Start the master and wait until every worker answers /healthz."""
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 (fixed arguments)
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--config",
                    str(GUNICORN_CONF),
                    "--workers",
                    str(self.workers),
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "wsgi:app",
                ],  # fmt: skip
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 30) -> None:
        """Wait for the full set of workers and a 200 from /healthz."""
        from tests.reliability.browser import CONNECTION_ERRORS, Browser

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            assert self.process.poll() is None, self.log_tail()
            if len(self.worker_pids()) == self.workers:
                with contextlib.suppress(*CONNECTION_ERRORS):
                    if Browser(self.port, "127.0.0.1").get("/healthz").status == 200:
                        return
            time.sleep(0.1)
        raise AssertionError(f"gunicorn not ready after {timeout}s\n{self.log_tail()}")

    def worker_pids(self) -> set[int]:
        """The master's live child processes (its workers)."""
        pids = set()
        for path in glob.glob(f"/proc/{self.process.pid}/task/*/children"):
            with contextlib.suppress(FileNotFoundError):
                pids.update(int(p) for p in Path(path).read_text().split())
        return {pid for pid in pids if _alive(pid)}

    def arm(self, kind: str) -> None:
        """Arm the trap: the next worker to flush a `kind` row waits there to be killed."""
        (self.trap_dir / f"{kind}.armed").touch()

    def kill_trapped(self, kind: str, timeout: float) -> tuple[int, int] | None:
        """SIGKILL the worker caught in the `kind` trap; return (pid, id of its row)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            fired = glob.glob(str(self.trap_dir / f"{kind}.fired.*"))
            if fired:
                pid, key = (int(part) for part in fired[0].rsplit(".", 2)[1:])
                assert pid in self.worker_pids(), f"{pid} is not a worker of the master"
                os.kill(pid, signal.SIGKILL)
                os.remove(fired[0])
                return pid, key
            time.sleep(0.005)
        with contextlib.suppress(FileNotFoundError):  # disarm: nobody walked into it
            (self.trap_dir / f"{kind}.armed").unlink()
        return None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
