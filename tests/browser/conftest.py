"""Browser fixtures: the app served by a live server in a thread, driven by Debian's Chromium.

The browser is the system's (`apt-get install chromium`), never one Playwright downloads.
Without it the browser tests are skipped, unless BROWSER_REQUIRED=1 (as in `.ci/run`): then
a missing browser is a failure, since a skipped browser test is not a pass.

Every page a test visits goes through `Browse.check`: axe-core runs on it in the same browser
(any serious or critical WCAG 2.1 A/AA violation fails the test), the console must show no
error (a Content-Security-Policy refusal included), and a screenshot is saved under
`test-artifacts/screenshots/`.
"""

import json
import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from govtech.extensions import db as _db
from tests.conftest import AUDIT_GUARD, SERVING_APPS, _dispose, build_app

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
AXE_REPORTS = ROOT / "test-artifacts" / "axe"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# axe-core rule tags: WCAG 2.0 and 2.1, levels A and AA, plus axe's best practices (landmarks,
# headings). Only serious and critical findings fail; every finding is listed, per test, in
# test-artifacts/axe/<test>.json.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
FAILING_IMPACTS = {"serious", "critical"}


def _missing(reason: str):
    if os.environ.get("BROWSER_REQUIRED") == "1":
        pytest.fail(f"{reason}; BROWSER_REQUIRED=1, so a skipped browser test is a failure")
    pytest.skip(reason)


def system_chromium() -> str:
    """Where the browser tests look for Chromium (CHROMIUM_PATH chooses another)."""
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    path = system_chromium()
    return None if Path(path).is_file() else f"Chromium is not installed at {path}"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The system Chromium, or a skip (a failure with BROWSER_REQUIRED=1)."""
    reason = chromium_missing()
    if reason:
        _missing(f"{reason} (make browser-deps)")
    return system_chromium()


@pytest.fixture(scope="session")
def playwright_browser(chromium_path):
    """One headless Chromium for the whole session."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra pins it
        _missing("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class _QuietHandler(WSGIRequestHandler):
    """Serve without logging every request (the app logs what matters)."""

    def log_request(self, *args, **kwargs) -> None:
        pass


@pytest.fixture(scope="session")
def live_server(app):
    """The app on 127.0.0.1, in a background thread, on the suite's database.

    Unlike the Flask test clients, it checks CSRF tokens: the browser submits real forms.
    """
    served = build_app(SERVER_NAME=None, WTF_CSRF_ENABLED=True)
    # Like the test clients' app: its writes are audit-checked, and its page cache is
    # emptied between tests (ids and audit heads start again on the wiped database).
    with served.app_context():
        AUDIT_GUARD.install(_db.engine)
    SERVING_APPS.append(served)
    server = make_server("127.0.0.1", 0, served, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    SERVING_APPS.remove(served)
    _dispose(served)


class PageProblems(AssertionError):
    """axe violations or console errors on a page."""


class Browse:
    """Open browser contexts on the live server and check every page they show."""

    def __init__(self, browser, base_url: str, test_name: str):
        self.browser = browser
        self.base_url = base_url
        self.prefix = test_name
        self.contexts = []
        self.checked: list[str] = []
        self.findings: list[dict] = []
        self._shadow = None
        from axe_playwright_python.sync_playwright import Axe

        self.axe = Axe()

    def page(self, *, width: int = 1280, height: int = 900, javascript: bool = True):
        """A new page in a fresh context (its own cookies), in English."""
        context = self.browser.new_context(
            base_url=self.base_url,
            viewport={"width": width, "height": height},
            java_script_enabled=javascript,
            locale="en-US",
            extra_http_headers={"Accept-Language": "en"},
            accept_downloads=True,
        )
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        page = context.new_page()
        page.javascript = javascript
        page.console_errors = []
        page.on(
            "console",
            lambda message: message.type == "error" and page.console_errors.append(message.text),
        )
        page.on("pageerror", lambda error: page.console_errors.append(str(error)))
        return page

    def check(self, page, name: str, *, full_page: bool = True) -> None:
        """Run axe on the page, refuse console errors, and save a screenshot as `name`."""
        self.checked.append(name)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        slug = re.sub(r"[^a-z0-9-]+", "-", f"{self.prefix}-{name}".lower()).strip("-")
        page.screenshot(path=str(SCREENSHOTS / f"{slug}.png"), full_page=full_page)
        problems = []
        if page.console_errors:
            problems.append(f"console errors: {page.console_errors}")
            page.console_errors.clear()
        results = self.axe.run(
            page if page.javascript else self._scriptless_copy(page),
            options={"runOnly": {"type": "tag", "values": AXE_TAGS}},
        )
        if page.locator(".gt-error__code").count():
            problems.append(f"an error page: {page.title()}")
        for violation in results.response["violations"]:
            self.findings.append(
                {
                    "page": name,
                    "url": page.url,
                    "rule": violation["id"],
                    "impact": violation["impact"],
                    "targets": [node["target"] for node in violation["nodes"]],
                }
            )
            if violation["impact"] not in FAILING_IMPACTS:
                continue
            targets = "; ".join(
                " ".join(str(t) for t in node["target"]) for node in violation["nodes"][:8]
            )
            problems.append(
                f"axe {violation['id']} ({violation['impact']}): {violation['help']} "
                f"[{len(violation['nodes'])} node(s): {targets}]"
            )
        if problems:
            raise PageProblems(f"{name} ({page.url}):\n  " + "\n  ".join(problems))

    def follow(self, page, target, url=None) -> None:
        """Click a link or button and wait for the page it leads to (a new URL, or `url`).

        A click does not wait for the navigation it starts: without this, the next check
        could audit the page being left.
        """
        before = page.url
        target.click()
        page.wait_for_url(url or (lambda current: current != before))

    def _scriptless_copy(self, page):
        """The page's HTML, without its scripts, in a page where axe can run.

        With JavaScript off Playwright cannot evaluate anything (axe included), so the same
        markup is served again, at the same URL (stylesheets load as before), to a page that
        allows the injected axe script but runs none of the page's own.
        """
        html = re.sub(r"<script\b[^>]*>.*?</script>", "", page.content(), flags=re.S | re.I)
        if self._shadow is None:
            self._shadow = self.page(width=page.viewport_size["width"])
        self._shadow.unroute("**/*")
        target = page.url
        self._shadow.route(
            lambda url: url == target,
            lambda route: route.fulfill(status=200, content_type="text/html", body=html),
        )
        self._shadow.goto(target)
        return self._shadow

    def login(self, page, email: str, password: str, *, check_as: str | None = None) -> None:
        """Sign in through the login form (checked as `check_as`) and land on the dashboard."""
        page.goto("/accounts/login")
        if check_as:
            self.check(page, check_as)
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/dashboard")

    def keep_evidence(self) -> None:
        """After a failure: a screenshot and the HTML of every open page."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for n, context in enumerate(self.contexts):
            for m, page in enumerate(context.pages):
                stem = SCREENSHOTS / f"FAILED-{self.prefix}-{n}-{m}"
                try:
                    page.screenshot(path=f"{stem}.png", full_page=True)
                    Path(f"{stem}.html").write_text(page.content(), encoding="utf-8")
                except Exception:  # noqa: S112 - evidence is best effort; the failure stands
                    continue

    def close(self) -> None:
        """Close every context and write the axe findings of the test."""
        for context in self.contexts:
            context.close()
        AXE_REPORTS.mkdir(parents=True, exist_ok=True)
        report = AXE_REPORTS / f"{self.prefix}.json"
        report.write_text(json.dumps(self.findings, indent=1), encoding="utf-8")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report on the test, for `browse` to see a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def browse(request, playwright_browser, live_server):
    """A `Browse` for this test; its contexts are closed afterwards."""
    name = request.node.name.removeprefix("test_")
    helper = Browse(playwright_browser, live_server, name)
    yield helper
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        helper.keep_evidence()
    helper.close()
