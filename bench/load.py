"""Request rates: the app under gunicorn on loopback, locust (headless) as load generator,
and the workers' peak resident memory."""

import csv
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.measures import USER_AGENT

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving bench.serve:app with `workers` sync workers on loopback."""

    def __init__(self, env: dict, workdir: Path, workers: int = 2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(workdir / "gunicorn.log", "wb")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(  # noqa: S603 (fixed arguments)
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--backlog",
                "256",
                "--log-level",
                "warning",
                "bench.serve:app",
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_up()

    def _wait_until_up(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log.name}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2):  # noqa: S310
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer in time")

    def workers(self) -> list[int]:
        """The worker processes' ids (children of the gunicorn master)."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def peak_rss_mb(self) -> dict[int, float]:
        """{worker pid: peak resident set size in MB} (VmHWM from /proc)."""
        peaks = {}
        for pid in self.workers():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks[pid] = int(line.split()[1]) / 1024
        return peaks

    def warm(self, path: str, cookie: str | None, times: int = 20) -> None:
        """A few requests first so each worker has compiled its templates."""
        headers = {"User-Agent": USER_AGENT}
        if cookie:
            headers["Cookie"] = f"session={cookie}"
        for _ in range(times):
            request = urllib.request.Request(self.url + path, headers=headers)  # noqa: S310
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                if response.status != 200:
                    raise RuntimeError(f"{path} answered {response.status} while warming up")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the workers have used so far."""
        return sum(_process_cpu_seconds(pid) for pid in self.workers())

    def stop(self) -> None:
        """Stop gunicorn (the master stops its workers)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def run_locust(
    url: str, path: str, cookie: str | None, seconds: int, users: int, workdir: Path, name: str
) -> dict:
    """Load one page with locust headless for `seconds`; rps and percentiles from its CSV."""
    prefix = workdir / f"locust_{name}"
    env = {**os.environ, "BENCH_PATH": path, "BENCH_USER_AGENT": USER_AGENT}
    env.pop("BENCH_COOKIE", None)
    if cookie:
        env["BENCH_COOKIE"] = cookie
    subprocess.run(  # noqa: S603 (fixed arguments)
        [
            str(Path(sys.executable).parent / "locust"),
            "-f",
            str(BENCH_DIR / "locustfile.py"),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            f"{seconds}s",
            "--host",
            url,
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "ERROR",
            "--stop-timeout",
            "2",
        ],
        cwd=workdir,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,  # locust exits 1 when any request failed; the CSV says how many
        timeout=seconds + 60,
    )
    with open(f"{prefix}_stats.csv", newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["Name"] == "Aggregated")
    return {
        "requests": int(row["Request Count"]),
        "bytes_per_response": round(float(row["Average Content Size"])),
        "failures": int(row["Failure Count"]),
        "rps": round(float(row["Requests/s"]), 1),
        "p50_ms": float(row["50%"]),
        "p95_ms": float(row["95%"]),
        "p99_ms": float(row["99%"]),
    }


_TICKS = os.sysconf("SC_CLK_TCK")


def _process_cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # the process ended
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


def database_cpu_seconds() -> float:
    """CPU time of the PostgreSQL server processes on this machine (0 for SQLite, whose
    work is inside the workers)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                name = (entry / "comm").read_text().strip()
            except OSError:
                continue
            if name.startswith("postgres"):
                total += _process_cpu_seconds(int(entry.name))
    return total


class CpuMeter:
    """Where the machine's CPU went during one load run: the gunicorn workers, locust (the
    load generator shares the cores) and the database server, per request served."""

    def __init__(self, server: Server):
        self.server = server
        self.start = self._snapshot()

    def _snapshot(self) -> tuple[float, float, float]:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (
            self.server.cpu_seconds(),
            children.ru_utime + children.ru_stime,
            database_cpu_seconds(),
        )

    def per_request_ms(self, requests: int) -> dict[str, float]:
        """{part: CPU ms per request} since the meter started."""
        end = self._snapshot()
        parts = ("workers", "load_generator", "database")
        return {
            part: round((after - before) * 1000 / max(requests, 1), 3)
            for part, before, after in zip(parts, self.start, end, strict=True)
        }
