"""In-process measures: statements per page, ranking time, notice rendering time."""

import contextlib
import datetime as dt
import re
import statistics
import time
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from govtech.extensions import db

USER_AGENT = "govtech-bench"


@contextlib.contextmanager
def count_statements(app: Flask):
    """Count the SQL statements run inside the block (SQLAlchemy event listeners): those
    of the request (`"queries"`) and the data-version read of each connection check-out
    (`"at_checkout"`, govtech/page_cache.py); `"n"` is their sum."""
    counter = {"n": 0, "queries": 0, "at_checkout": 0}
    with app.app_context():
        engine = db.engine

    def before(*_args, **_kwargs):
        counter["queries"] += 1
        counter["n"] += 1

    def checkout(*_args, **_kwargs):
        counter["at_checkout"] += 1
        counter["n"] += 1

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "checkout", checkout)
    try:
        yield counter
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "checkout", checkout)


def signed_in_client(app: Flask, email: str, password: str):
    """A test client signed in through the real login form (CSRF token from the page)."""
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
    page = client.get("/accounts/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    response = client.post(
        "/accounts/login",
        data={"csrf_token": token.group(1) if token else "", "email": email, "password": password},
    )
    if response.status_code != 302:
        raise RuntimeError(f"could not sign in {email}: {response.status_code}")
    # The first page after sign-in adds the session's CSRF token to the cookie, which a
    # browser keeps (locust replays this cookie and ignores the ones it is sent).
    client.get(response.headers["Location"])
    return client


def current_cookie(client, path: str) -> str:
    """The session cookie as a browser holds it now: locust replays one cookie and drops
    the ones it is sent, so it is taken fresh before each page's run (the session notes
    the time it was last seen, once a minute; see govtech/accounts/sessions.py)."""
    client.get(path)
    return client.get_cookie("session").value


def clear_page_cache(app: Flask) -> None:
    """Empty the app's page cache, so the next GET renders the page (govtech/page_cache.py)."""
    from govtech.extensions import cache

    app.extensions["cache"][cache].clear()


def statements_per_page(app: Flask, clients: dict, pages: dict) -> dict[str, int]:
    """{page: statements} for one warm GET of each page with its visitor's client, rendered
    (not served from the page cache: the render is what must not query per row)."""
    counts = {}
    for name, (path, who) in pages.items():
        client = clients[who]
        client.get(path)  # warm caches (translations, templates)
        clear_page_cache(app)
        with count_statements(app) as counter:
            response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        counts[name] = counter["n"]
    return counts


def cpu_ms_per_page(app: Flask, clients: dict, pages: dict, runs: int = 20) -> dict:
    """{page: {"render": ms, "cached": ms}}: CPU time of one GET in this process, rendered
    (page cache emptied before each) and served from the page cache; the least of 3 rounds."""
    result = {}
    for name, (path, who) in pages.items():
        client = clients[who]
        client.get(path)

        def rendered(client=client, path=path):
            clear_page_cache(app)
            client.get(path)

        def cached(client=client, path=path):
            client.get(path)

        result[name] = {
            label: round(min(_cpu_seconds(action, runs) for _ in range(3)) * 1000 / runs, 2)
            for label, action in (("render", rendered), ("cached", cached))
        }
    return result


def _cpu_seconds(action, runs: int) -> float:
    started = time.process_time()
    for _ in range(runs):
        action()
    return time.process_time() - started


def profile_pages(app: Flask, clients: dict, pages: dict, directory: Path) -> None:
    """A pyinstrument report (text) of one warm GET of each page, written to `directory`."""
    from pyinstrument import Profiler

    directory.mkdir(parents=True, exist_ok=True)
    for name, (path, who) in pages.items():
        clients[who].get(path)
        clear_page_cache(app)
        profiler = Profiler(interval=0.0005)
        with profiler:
            clients[who].get(path)
        (directory / f"{name}.txt").write_text(profiler.output_text(unicode=True))
        (directory / f"{name}.flat.txt").write_text(profiler.output_text(flat=True))


def _median_seconds(action, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def ranking_seconds(app: Flask, challenge_id: int, runs: int = 3) -> tuple[float, int]:
    """Median time of `ranking()` on one challenge, and how many proposals it ranked."""
    from govtech.challenges.models import Challenge
    from govtech.evaluation.ranking import ranking

    with app.app_context():
        challenge = db.session.get(Challenge, challenge_id)
        ranked = ranking(challenge)  # warm the statement cache
        seconds = _median_seconds(lambda: ranking(challenge), runs)
        db.session.rollback()
    return seconds, len(ranked)


def notice_record_for(challenge_id: int) -> dict:
    """The real `notice_record` of a scored challenge, for a decision that awards the first
    of the ranking (the bench data has no award decisions; this one is never stored)."""
    from types import SimpleNamespace

    from govtech.awards.models import DecisionKind
    from govtech.awards.notices import notice_record
    from govtech.challenges.models import Challenge
    from govtech.evaluation.ranking import ranking
    from govtech.proposals.models import Proposal

    challenge = db.session.get(Challenge, challenge_id)
    first = ranking(challenge)[0]
    winner = SimpleNamespace(
        proposal_id=first.proposal_id,
        proposal=db.session.get(Proposal, first.proposal_id),
        amount=first.price,
        score=round(first.score, 2),
        rank=1,
    )
    decision = SimpleNamespace(
        challenge=challenge,
        kind=DecisionKind.AWARD,
        winners=[winner],
        justification="La propuesta mejor puntuada cumple todos los criterios publicados.",
        standstill_ends_at=challenge.closed_at + dt.timedelta(days=challenge.standstill_days),
    )
    return notice_record(decision, f"{challenge.agency.code}-2026-0001", challenge.closed_at)


def _pages(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def plain_html(size: int) -> str:
    """A plain HTML document of about `size` characters of text, in long paragraphs."""
    sentence = "Texto de referencia para medir WeasyPrint sin estilos ni imágenes. "
    paragraph = f"<p>{sentence * 8}</p>\n"
    body = paragraph * max(1, size // len(paragraph))
    return f"<!doctype html><html><head><meta charset='utf-8'></head><body>{body}</body></html>"


def bare_document(html: str) -> str:
    """The notice's content as bare HTML: the same elements and text, without the
    stylesheet, the fonts it names and the QR image."""
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.DOTALL)
    return re.sub(r"<img [^>]*>", "", html)


def visible_text(html: str) -> str:
    """The words a reader sees (no markup, no stylesheet)."""
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.DOTALL)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def notice_seconds(app: Flask, challenge_id: int, runs: int = 9) -> dict:
    """Median time to render the award notice PDF (record, template, QR code, WeasyPrint)
    and, interleaved in the same loop, bare WeasyPrint on (a) the notice's own content
    without its stylesheet and image and (b) plain paragraphs of the same amount of text."""
    from flask import render_template
    from weasyprint import HTML

    from govtech.awards.notices import record_digest, render_notice_pdf

    with app.test_request_context("/"), app.app_context():
        record = notice_record_for(challenge_id)
        digest = record_digest(record)
        db.session.rollback()
        html = render_template(
            "pdf/award_notice.html",
            r=record,
            digest=digest,
            verify_url="https://example.org/notices/x",
            qr="",
            language="es",
        )
        bare, plain = bare_document(html), plain_html(len(visible_text(html)))
        actions = {
            "notice": lambda: render_notice_pdf(record, digest, "es"),
            "bare": lambda: HTML(string=bare).write_pdf(),
            "plain": lambda: HTML(string=plain).write_pdf(),
        }
        pdfs = {name: action() for name, action in actions.items()}  # warm fonts, templates
        times = {name: [] for name in actions}
        for _ in range(runs):
            for name, action in actions.items():
                started = time.perf_counter()
                action()
                times[name].append(time.perf_counter() - started)
    median = {name: statistics.median(values) for name, values in times.items()}
    return {
        "notice_seconds": median["notice"],
        "bare_seconds": median["bare"],
        "ratio": median["notice"] / median["bare"],
        "plain_seconds": median["plain"],
        "plain_ratio": median["notice"] / median["plain"],
        "text_chars": len(visible_text(html)),
        "notice_pages": _pages(pdfs["notice"]),
        "bare_pages": _pages(pdfs["bare"]),
        "plain_pages": _pages(pdfs["plain"]),
    }
