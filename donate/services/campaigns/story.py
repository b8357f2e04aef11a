"""Render a manager's Markdown (a campaign's story, an update) to HTML that is safe to show."""

import html

import nh3
from markupsafe import Markup
from markdown_it import MarkdownIt

#: CommonMark without raw HTML: whatever a manager types, only Markdown becomes markup.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable("image")
#: What the sanitiser lets through (defence in depth behind ``html: False``).
_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "blockquote", "a", "h2", "h3", "h4", "code", "pre", "hr"}
_ATTRIBUTES = {"a": {"href", "title"}}


def render_markdown(text: str) -> Markup:
    """Return ``text`` (Markdown) as sanitised HTML; headings start at h2 under the page's h1."""
    rendered = _MARKDOWN.render(text or "").replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return Markup(nh3.clean(rendered, tags=_TAGS, attributes=_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                            link_rel="nofollow noopener ugc"))


def plain_summary(text: str, length: int = 160) -> str:
    """Return the first words of ``text`` without Markdown, for a meta description."""
    plain = nh3.clean(_MARKDOWN.render(text or ""), tags=set())
    plain = " ".join(html.unescape(plain).split())
    return plain if len(plain) <= length else plain[: length - 1].rsplit(" ", 1)[0] + "…"
