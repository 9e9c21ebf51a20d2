"""Run every measure of issue #10 once, print a table and write the figures as JSON.

The database is built from the migrations: a temporary SQLite file by default, or, when
DATABASE_URL names a PostgreSQL server, a fresh database `govtech_bench_<pid>` on that
server, dropped at the end.
"""

import argparse
import contextlib
import datetime as dt
import json
import logging
import os
import platform
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from bench.data import PASSWORD, Generator, Plan
from bench.load import ROOT, CpuMeter, Server, run_locust
from bench.measures import (
    USER_AGENT,
    cpu_ms_per_page,
    current_cookie,
    notice_seconds,
    profile_pages,
    ranking_seconds,
    signed_in_client,
    statements_per_page,
)
from bench.report import print_table, targets
from bench.serve import CEILING_PATH

DEFAULT_OUTPUT = ROOT / "bench" / "results.json"


def production_workers() -> int:
    """gunicorn's rule of thumb, which the README's production command follows: a sync
    worker waits on the database and on the client's reading of the response, so more
    workers than cores keep the cores busy."""
    return 2 * len(os.sched_getaffinity(0)) + 1


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="JSON results path")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per page")
    parser.add_argument("--users", type=int, default=8, help="concurrent locust users")
    parser.add_argument(
        "--workers",
        type=int,
        default=production_workers(),
        help="gunicorn sync workers (default: 2 x cores + 1, as the README deploys)",
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="fraction of the data (for trial runs)"
    )
    parser.add_argument(
        "--profile", type=Path, help="also write a pyinstrument report per page to this folder"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the database (to profile it afterwards)"
    )
    return parser.parse_args(argv)


def bench_database(workdir: Path) -> tuple[str, Callable[[], None]]:
    """The database URL to fill, and how to remove it afterwards."""
    from govtech.config import database_url

    if not os.environ.get("DATABASE_URL"):
        return f"sqlite:///{workdir / 'bench.sqlite'}", lambda: None
    server = sa.engine.make_url(database_url(str(workdir)))
    if server.get_backend_name() != "postgresql":
        raise SystemExit("DATABASE_URL must be a postgresql:// URL (or unset for SQLite)")
    name = f"govtech_bench_{os.getpid()}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return server.set(database=name).render_as_string(hide_password=False), drop


def machine() -> dict:
    """Where the figures come from: cores, CPU, memory, date and commit."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal:")
    )
    git = shutil.which("git") or "git"
    commit = subprocess.run(  # noqa: S603
        [git, "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": commit,
        # Other work on the machine skews the rates; the load average shows how much.
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        # Without HarfBuzz's subsetter WeasyPrint embeds fonts with fontTools, 2-3x slower.
        "harfbuzz_subset": _harfbuzz_subset(),
    }


def _harfbuzz_subset() -> bool:
    from govtech.awards.notices import HARFBUZZ_SUBSET

    return HARFBUZZ_SUBSET


def scaled(scale: float) -> Plan:
    """The issue's plan, or a fraction of it (the big challenge and the people stay)."""
    plan = Plan()
    if scale != 1.0:
        plan.challenges = max(plan.small + 1, int(plan.challenges * scale))
        plan.proposals = int(plan.proposals * scale)
        plan.scored = max(plan.big + plan.per_challenge, int(plan.scored * scale))
    return plan


def pages(gen: Generator) -> dict[str, tuple[str, str | None]]:
    """The measured pages: {name: (path, who)}; `who` picks the signed-in client."""
    ids = gen.challenge_ids
    return {
        "catalogue": ("/challenges/?sector=health&status=published", None),
        "challenge": (f"/challenges/{ids[1]}", None),
        "api_list": ("/api/v1/challenges?sector=health", None),
        "agency_dashboard": ("/dashboard", "staff"),
        "evaluator_assignments": ("/evaluation/assignments", "evaluator"),
        "ranking_page": (f"/evaluation/challenges/{ids[0]}/results", "staff"),
    }


def main(argv=None) -> int:
    """Run the bench; exit 0 (the targets are reported, not enforced)."""
    args = parse_args(argv)
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="govtech-bench-"))
    os.environ["GOVTECH_INSTANCE_PATH"] = str(workdir)
    with contextlib.ExitStack() as cleanup:
        url, drop_database = bench_database(workdir)
        if args.keep:
            print(f"Keeping the database: {url}")
        else:
            cleanup.callback(shutil.rmtree, workdir, ignore_errors=True)
            cleanup.callback(drop_database)
        results = _run(args, workdir, url, cleanup)
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    results["targets"] = targets(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print_table(results)
    print(f"\nWritten to {args.output}")
    return 0


def _dispose(app) -> None:
    from govtech.extensions import db

    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _run(args, workdir: Path, url: str, cleanup: contextlib.ExitStack) -> dict:
    from flask_migrate import upgrade

    from govtech import create_app
    from govtech.evaluation.checklist import load_checklist
    from govtech.extensions import db

    # WeasyPrint logs each rendering step at INFO; the figures, not its progress, go to stdout.
    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    secret = secrets.token_urlsafe(48)
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secret, "MAIL_SUPPRESS_SEND": True}
    )
    cleanup.callback(_dispose, app)
    results: dict = {"machine": machine(), "database": sa.engine.make_url(url).get_backend_name()}
    plan = scaled(args.scale)

    with app.app_context():
        upgrade()
        load_checklist(app.config["SEEDS_DIR"])
        db.session.commit()
        engine = db.engine

    # 1. data: a few challenges first (for the query counts), then the rest.
    with engine.begin() as conn:
        gen = Generator(conn, plan)
        gen.base()
        gen.challenges(plan.small)
        gen.finish()
    page_map = pages(gen)
    staff, evaluator = "staff0@bench.example.org", "evaluator0@bench.example.org"
    big_staff = f"staff{gen.layout.big_index % plan.agencies}@bench.example.org"
    anonymous = app.test_client()
    anonymous.environ_base["HTTP_USER_AGENT"] = USER_AGENT
    clients = {
        None: anonymous,
        "staff": signed_in_client(app, staff, PASSWORD),
        "evaluator": signed_in_client(app, evaluator, PASSWORD),
        "big_staff": signed_in_client(app, big_staff, PASSWORD),
    }
    small_counts = statements_per_page(app, clients, page_map)

    t0 = time.perf_counter()
    with engine.begin() as conn:
        gen.conn = conn
        gen.challenges(plan.challenges)
        gen.finish()
    insert_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(sa.text("ANALYZE"))
    results["data"] = {
        "rows": gen.counts,
        "insert_seconds": round(insert_seconds, 1),
        "analyze_seconds": round(time.perf_counter() - t0, 1),
        "rows_per_second": round(sum(gen.counts.values()) / insert_seconds),
    }

    # 3. statements per page at both sizes (plus the ranking page of the big challenge).
    large_counts = statements_per_page(app, clients, page_map)
    big_path = f"/evaluation/challenges/{gen.challenge_ids[gen.layout.big_index]}/results"
    t0 = time.perf_counter()
    big_counts = statements_per_page(app, clients, {"ranking_page": (big_path, "big_staff")})
    results["queries"] = {
        "small_challenges": plan.small,
        "large_challenges": plan.challenges,
        "small": small_counts,
        "large": large_counts,
        "ranking_page_big_challenge": big_counts["ranking_page"],
        "ranking_page_big_challenge_seconds": round((time.perf_counter() - t0) / 2, 2),
        "equal": small_counts == large_counts
        and big_counts["ranking_page"] == small_counts["ranking_page"],
    }

    # What a page costs to render (a cache miss) and to serve from the page cache.
    results["cpu_ms"] = cpu_ms_per_page(app, clients, page_map)

    if args.profile:
        profile_pages(app, clients, page_map, args.profile)

    # 5. ranking of the big challenge; 4. the award notice.
    seconds, ranked = ranking_seconds(app, gen.challenge_ids[gen.layout.big_index])
    results["ranking"] = {
        "seconds": round(seconds, 3),
        "proposals": ranked,
        "evaluators": plan.panel,
        "criteria": len(gen.items),
    }
    results["notice"] = {
        k: round(v, 3) if isinstance(v, float) else v
        for k, v in notice_seconds(app, gen.challenge_ids[0]).items()
    }

    # 2. request rates under gunicorn, the ceiling first; 6. the workers' peak memory.
    server = Server(
        {"DATABASE_URL": url, "SECRET_KEY": secret, "GOVTECH_INSTANCE_PATH": str(workdir)},
        workdir,
        workers=args.workers,
    )
    cleanup.callback(server.stop)
    load = {}
    for name, (path, who) in [("ceiling", (CEILING_PATH, None)), *page_map.items()]:
        cookie = current_cookie(clients[who], path) if who else None
        server.warm(path, cookie)
        meter = CpuMeter(server)
        load[name] = run_locust(server.url, path, cookie, args.duration, args.users, workdir, name)
        load[name]["cpu_ms_per_request"] = meter.per_request_ms(load[name]["requests"])
    for name in page_map:
        load[name]["ratio"] = round(load[name]["rps"] / load["ceiling"]["rps"], 3)
    peaks = server.peak_rss_mb()
    results["requests"] = {
        "users": args.users,
        "seconds_per_page": args.duration,
        "workers": args.workers,
        "pages": {name: {"path": path} | load[name] for name, (path, _) in page_map.items()},
        "ceiling": {"path": CEILING_PATH} | load["ceiling"],
    }
    results["memory"] = {
        "worker_peak_rss_mb": {str(pid): round(mb, 1) for pid, mb in peaks.items()},
        "max_mb": round(max(peaks.values()), 1),
    }
    return results
