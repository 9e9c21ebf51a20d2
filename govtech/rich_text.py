"""User-written Markdown rendered to safe HTML (raw HTML is escaped, then sanitised)."""

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")

_ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "a",
    "code",
    "pre",
    "blockquote",
    "h2",
    "h3",
    "h4",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
}


@lru_cache(maxsize=2048)
def _render(text: str) -> str:
    html = _md.render(text)
    # The sanitiser is the guarantee: even if the parser let something through, it stops here.
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )


def render_markdown(text: str | None) -> Markup:
    """Markdown to sanitised HTML, safe to insert in a page."""
    if not text:
        return Markup("")
    # Headings from users start at h2 so the page keeps one h1.
    return Markup(_render(text).replace("<h1>", "<h2>").replace("</h1>", "</h2>"))  # noqa: S704
