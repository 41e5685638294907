"""What servers other than ours make of what the node publishes (issue 20, "Seen from Mastodon"), each
rule taken from the other server's own code: Takahē's HTML cleaning, Mastodon's WebFinger and outbox
habits, microblog.pub's first import."""

import re

from node.render import markdown_to_html


def takahe_text(html: str) -> str:
    """The words a Takahē reader gets: Takahē's core/html.py feeds `html.replace("\\n", "")` to its
    parser, so a newline separates nothing; tags are then read as boundaries of blocks."""
    return " ".join(re.sub(r"<[^>]+>", " ", html.replace("\n", "")).split())


def test_soft_line_breaks_stay_spaces_once_newlines_are_deleted() -> None:
    html = markdown_to_html("Des paysans réunis\npar la coopérative\n\n- semis\n  et récoltes\n\nfin  \nligne")
    assert takahe_text(html) == "Des paysans réunis par la coopérative semis et récoltes fin ligne"
    assert "<br>" in html  # a hard break (two spaces) is still a line break
