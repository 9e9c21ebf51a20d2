"""Every page of the demo, for every role and language, is valid HTML: a strict HTML5 parse
(html5lib, the WHATWG parsing algorithm) reports no error, and the checks of the Nu HTML
checker that a parse cannot see hold too (known elements, no empty unlabelled option, unique
ids, labels and ARIA references pointing at elements that exist)."""

import json
import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from flask import current_app
from html5lib import HTMLParser

from govtech.demo import load_demo_file
from tests.demo_crawl import walk

# The HTML elements (WHATWG, current); anything else outside SVG and MathML is a typo or
# text that was not escaped (the data dictionary printed a <reference> element).
_ELEMENT_NAMES = """a abbr address area article aside audio b base bdi bdo blockquote body br
    button canvas
    caption cite code col colgroup data datalist dd del details dfn dialog div dl dt em embed
    fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe
    img input ins kbd label legend li link main map mark menu meta meter nav noscript object ol
    optgroup option output p picture pre progress q rp rt ruby s samp script search section
    select slot small source span strong style sub summary sup table tbody td template textarea
    tfoot th thead time title tr track u ul var video wbr"""
HTML_ELEMENTS = frozenset(_ELEMENT_NAMES.split())
ID_REFERENCES = ("aria-describedby", "aria-labelledby", "aria-controls", "aria-owns", "list")


def html_problems(html: str) -> list[str]:
    """The parse errors and conformance problems of one page, each with its line."""
    parser = HTMLParser(namespaceHTMLElements=False)
    document = parser.parse(html)
    lines = html.splitlines()
    problems = [
        f"line {line}: {code} {data or ''} near {lines[line - 1].strip()[:120]!r}"
        for (line, _column), code, data in parser.errors
    ]
    ids = Counter(e.get("id") for e in document.iter() if e.get("id"))
    problems += [f"duplicate id {i!r} ({n} times)" for i, n in ids.items() if n > 1]
    for element in document.iter():
        tag = element.tag
        if not isinstance(tag, str) or tag.startswith("{"):  # comments; SVG and MathML
            continue
        if tag not in HTML_ELEMENTS:
            problems.append(f"unknown element <{tag}>")
        if tag == "option" and not (element.text or "").strip() and not element.get("label"):
            problems.append(f"empty <option> without a label in {_describe(element)}")
        if tag == "label" and element.get("for") and element.get("for") not in ids:
            problems.append(f"<label for={element.get('for')!r}> names no element")
        for attribute in ID_REFERENCES:
            for reference in (element.get(attribute) or "").split():
                if reference not in ids:
                    problems.append(f"<{tag} {attribute}={reference!r}> names no element")
    return problems


def _describe(element) -> str:
    return f"<{element.tag} {' '.join(f'{k}={v!r}' for k, v in element.attrib.items())}>"


@pytest.fixture
def demo(runner, db):
    assert runner.invoke(args=["seed", "checklist"]).exit_code == 0
    assert runner.invoke(args=["seed", "demo"]).exit_code == 0
    return load_demo_file(current_app.config["SEEDS_DIR"])


def _accounts(demo) -> list[str]:
    emails = [demo["admin"]["email"]]
    emails += [staff["email"] for agency in demo["agencies"] for staff in agency["staff"]]
    emails += [member["email"] for s in demo["suppliers"] for member in s["members"]]
    return emails + [evaluator["email"] for evaluator in demo["evaluators"]]


def nu_checker() -> list[str] | None:
    """The command that runs the Nu HTML checker (`make html-checker`), or None without it."""
    jar = os.environ.get("VNU_JAR") or str(NU_CHECKER_JAR)
    java = shutil.which("java")
    if not java or not Path(jar).is_file():
        return None
    return [java, "-Xss1m", "-jar", jar]


ROOT = Path(__file__).resolve().parent.parent
NU_CHECKER_JAR = ROOT / ".venv" / "share" / "vnu" / "vnu.jar"


def _check(client, who, **walk_args) -> tuple[int, list[str]]:
    problems, pages = [], 0
    for url, response in walk(client, **walk_args):
        pages += 1
        if response.status_code >= 500:
            problems.append(f"{who} {url}: answered {response.status_code}")
        problems += [f"{who} {url}: {p}" for p in html_problems(response.get_data(as_text=True))]
    return pages, problems


PUBLIC_START = ("/", "/accounts/register", "/accounts/login", "/accounts/password/forgot")


@pytest.mark.parametrize("language", ["es", "pt-BR", "en"])
def test_every_public_page_of_the_demo_is_valid_html(app, demo, language):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    pages, problems = _check(client, f"anonymous ({language})", start=PUBLIC_START)
    assert pages > 20
    assert problems == [], "\n".join(problems[:40])


def test_every_page_each_demo_account_sees_is_valid_html(app, demo):
    problems, walked = [], Counter()
    for email in _accounts(demo):
        pages, found = _check(
            app.test_client(),
            email,
            start=("/dashboard", "/"),
            email=email,
            password=demo["password"],
        )
        walked[email] = pages
        problems += found
    assert min(walked.values()) > 5, walked
    assert problems == [], "\n".join(problems[:40])


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>verifiable at /notices/<reference>.</p>", "unknown element <reference>"),
        ('<select name="s"><option value=""></option></select>', "empty <option>"),
        ('<p id="a"></p><p id="a"></p>', "duplicate id 'a'"),
        ('<label for="nowhere">x</label>', "names no element"),
        ('<input aria-describedby="hint">', "names no element"),
        ("<p><div>x</p>", "unexpected-end-tag"),
    ],
)
def test_the_checks_find_what_the_nu_checker_reports(html, expected):
    page = f"<!DOCTYPE html><html lang=en><head><title>t</title></head><body>{html}</body></html>"
    assert any(expected in problem for problem in html_problems(page)), html_problems(page)


def test_a_valid_page_has_no_problems():
    page = (
        "<!DOCTYPE html><html lang=en><head><title>t</title></head><body>"
        '<label for="s">S</label><select id="s"><option value="">- Select -</option></select>'
        '<svg viewBox="0 0 1 1"><rect width="1" height="1"/><text>x</text></svg></body></html>'
    )
    assert html_problems(page) == []


def test_the_nu_html_checker_finds_no_error_on_any_demo_page(app, demo, tmp_path):
    """The W3C's own checker (vnu.jar, pinned in the Makefile), as an agency's IT team runs it,
    on the pages of every role; it needs Java, so without it this skips with one line."""
    command = nu_checker()
    if command is None:
        reason = "the Nu HTML checker needs Java and vnu.jar (make html-checker)"
        if os.environ.get("HTML_CHECKER_REQUIRED") == "1":
            pytest.fail(f"{reason}; HTML_CHECKER_REQUIRED=1, so a skip is a failure")
        pytest.skip(reason)
    names = {}
    walks = [("anonymous", {"start": PUBLIC_START})] + [
        (email, {"start": ("/dashboard",), "email": email, "password": demo["password"]})
        for email in _accounts(demo)
    ]
    for who, walk_args in walks:
        for url, response in walk(app.test_client(), **walk_args):
            path = tmp_path / f"page-{len(names):04d}.html"
            path.write_bytes(response.data)
            names[path.name] = f"{who} {url}"
    result = subprocess.run(  # noqa: S603 - our own checker on our own files
        [*command, "--errors-only", "--format", "json", "--stdout", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    messages = json.loads(result.stdout or "{}").get("messages", [])
    problems = [
        f"{names.get(Path(m.get('url', '')).name, m.get('url'))} line {m.get('lastLine')}: "
        f"{m.get('message')} {m.get('extract', '')!r}"
        for m in messages
    ]
    assert len(names) > 100
    assert problems == [], "\n".join(problems[:40])
