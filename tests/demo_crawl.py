"""Walk the demo platform as a user would: every page reachable by links from a start page.

Only GET links on this site are followed (state changes are POST forms); downloads are left
out (PDF, CSV, JSON, attachments), and pages that differ only in their ids or page numbers
are sampled, a few of each kind, so a sweep of every role stays in seconds.
"""

import re
from collections import Counter, deque
from urllib.parse import urldefrag, urljoin, urlsplit

from html5lib import HTMLParser

from tests.conftest import login

DOWNLOADS = (".pdf", ".json", ".csv", ".xml", "/files/", "/documents/", "/static/")
SAME_KIND = 4  # pages of one URL pattern (ids and numbers aside) visited per walk
MAX_PAGES = 250
_NUMBERS = re.compile(r"\d+")


def _kind(url: str) -> str:
    parts = urlsplit(url)
    query = "&".join(sorted(key.split("=")[0] for key in parts.query.split("&") if key))
    return _NUMBERS.sub("N", parts.path) + "?" + query


def walk(client, start: tuple[str, ...] = ("/",), email: str | None = None, password=None):
    """Yield (url, response) for each HTML page reachable from `start`, signed in as `email`."""
    if email:
        login(client, email, password)
    queue, seen, kinds = deque(start), set(start), Counter()
    while queue and len(seen) <= MAX_PAGES:
        url = queue.popleft()
        response = client.get(url)
        if response.mimetype != "text/html":
            continue
        yield url, response
        document = HTMLParser(namespaceHTMLElements=False).parse(response.get_data(as_text=True))
        for anchor in document.iter("a"):
            href = anchor.get("href")
            if not href:
                continue
            target = urldefrag(urljoin(url, href)).url
            parts = urlsplit(target)
            if parts.scheme not in ("", "http", "https") or (
                parts.netloc and parts.netloc != "govtech.test"
            ):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target in seen or any(d in parts.path for d in DOWNLOADS):
                continue
            if kinds[_kind(target)] >= SAME_KIND:
                continue
            kinds[_kind(target)] += 1
            seen.add(target)
            queue.append(target)
