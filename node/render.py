"""Markdown to safe HTML: markdown-it-py (CommonMark) then nh3 (ammonia) with an allow-list.

Everything that becomes HTML on a page or in an AS2 `content` passes through `sanitize`,
whether we wrote it or a remote server sent it.
"""

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
# A soft line break (a newline inside a paragraph) is a space: Takahē deletes newlines from the HTML it
# receives, which glued the words on either side together (`réunis\npar` read `réunispar`).
_markdown.add_render_rule("softbreak", lambda *_: " ")

ALLOWED_TAGS = {
    "p", "br", "a", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "img", "table", "thead", "tbody", "tr", "th", "td", "span", "del", "sup", "sub",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "class"},
    "img": {"src", "alt", "title", "width", "height"},
    "span": {"class"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}


def sanitize(html: str) -> str:
    """Keep only allowed tags, attributes and http(s)/mailto URLs; links get rel=nofollow noopener."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )


def markdown_to_html(text: str) -> str:
    """Render CommonMark (raw HTML disabled) and sanitize the result."""
    return sanitize(_markdown.render(text))
