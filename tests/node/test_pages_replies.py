"""Remote replies under our items: shown with their author, their HTML sanitized so that a hostile
server's payloads (scripts, event handlers, javascript: URLs, SVG, iframes, styles) render inert; and
the `replies` collection that lists them for other servers."""

import json
import re
from html.parser import HTMLParser

import pytest
from aiohttp.test_utils import TestClient

from node import clock
from node.appkeys import DB
from tests.support.examples import Example, get_page, publish_examples
from tests.support.node import get_as2

Examples = dict[tuple[str, str], Example]
# Rows written here skip the inbox, which files each reply as an approved comment (node/comments.py): do the same.
APPROVE = ("INSERT INTO comments (iri, root_iri, in_reply_to, author_iri, state, created_at) SELECT iri, in_reply_to,"
           " in_reply_to, attributed_to, 'approved', received_at FROM remote_objects WHERE in_reply_to IS NOT NULL"
           " AND iri NOT IN (SELECT iri FROM comments) ORDER BY id")


@pytest.fixture
async def examples(client: TestClient) -> Examples:
    return await publish_examples(client.app)


XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">case</a>',
    '<a href="&#106;avascript:alert(1)">entity</a>',
    '<a href=" javascript:alert(1)">space</a>',
    '<a href="vbscript:msgbox(1)">vb</a>',
    '<a href="data:text/html,<script>alert(1)</script>">data</a>',
    "<svg onload=alert(1)><circle r=10></circle></svg>",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="https://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<div style="width: expression(alert(1))">ie</div>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<object data="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button formaction="javascript:alert(2)">go</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="https://evil.example/">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    "<details open ontoggle=alert(1)>x</details>",
    "<input autofocus onfocus=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<template><script>alert(1)</script></template>",
    '"><script>alert(1)</script>',
    "<SCRIPT SRC=https://evil.example/x.js></SCRIPT>",
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
]
FORBIDDEN_TAGS = {"script", "iframe", "svg", "math", "object", "embed", "style", "form", "button", "input", "meta",
                  "base", "link", "video", "audio", "source", "template", "noscript", "details", "frame", "frameset"}


class InertChecker(HTMLParser):
    """Collects whatever could run: forbidden elements, event handlers, inline styles, non-http URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "srcdoc", "formaction", "action"):
                self.problems.append(f"{tag} {name}={value!r}")
            if name in ("href", "src", "xlink:href") and value is not None:
                scheme = value.strip().lower().split(":", 1)[0] if ":" in value else ""
                if scheme and scheme not in ("http", "https", "mailto"):
                    self.problems.append(f"{tag} {name}={value!r}")


def page_main(html: str) -> str:
    """The page's <main> (the header has the search form), without our own follow box, which has a copy
    button and a disclosure (templates/cards.html follow_box) in the item's side column."""
    main = html[html.index("<main"):html.index("</main>")]
    return re.sub(r'<section id="follow">.*?</section>', "", main, flags=re.S)


def problems_in(html: str) -> list[str]:
    checker = InertChecker()
    checker.feed(html)
    checker.close()
    return checker.problems


@pytest.mark.parametrize("payload", XSS)
def test_the_checker_sees_each_payload_raw(payload: str) -> None:
    """The corpus is hostile and the checker notices: what passes below was made inert, not missed."""
    assert problems_in(payload)


async def test_hostile_html_in_remote_replies_renders_inert(client: TestClient, examples: Examples) -> None:
    target = examples[("practice", "fr")].iri
    async with client.app[DB].transaction() as tx:
        for n, payload in enumerate(XSS):
            document = {"id": f"https://evil.example/notes/{n}", "type": "Note", "inReplyTo": target,
                        "attributedTo": "javascript:alert(document.cookie)", "content": f"<p>reply {n}</p>{payload}",
                        "summary": payload, "url": "javascript:alert(1)", "published": "2026-01-02T03:04:05Z"}
            await tx.execute("INSERT INTO remote_objects (iri, type, attributed_to, in_reply_to, document, received_at)"
                             " VALUES (?, 'Note', ?, ?, ?, ?)", (document["id"], document["attributedTo"], target,
                                                                 json.dumps(document), clock.iso()))
        await tx.execute(APPROVE)
    html = await get_page(client, f"/practices/{examples[('practice', 'fr')].slug}")
    comments = html[html.index('<section class="comments"'):]
    assert all(f"<p>reply {n}</p>" in comments for n in range(len(XSS)))  # every reply is shown...
    assert problems_in(comments) == []  # ...and nothing in it can run
    assert problems_in(page_main(html)) == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in comments  # a content warning is text, shown as text


async def test_hostile_author_name_is_escaped(client: TestClient, examples: Examples) -> None:
    target = examples[("practice", "fr")].iri
    db = client.app[DB]
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO remote_actors (iri, type, host, username, name, inbox, key_id, public_key_pem, document,"
            " fetched_at) VALUES ('https://evil.example/u/x', 'Person', 'evil.example', 'x<b>',"
            " '<img src=x onerror=alert(1)>Mallory', 'https://evil.example/inbox', 'k', 'p', '{}', 0)")
        await tx.execute("INSERT INTO remote_objects (iri, type, attributed_to, in_reply_to, document, received_at)"
                         " VALUES ('https://evil.example/n/1', 'Note', 'https://evil.example/u/x', ?, ?, ?)",
                         (target, json.dumps({"content": "<p>hello</p>"}), clock.iso()))
        await tx.execute(APPROVE)
    html = await get_page(client, f"/practices/{examples[('practice', 'fr')].slug}")
    assert "&lt;img src=x onerror=alert(1)&gt;Mallory" in html
    assert "x&lt;b&gt;" not in html and '<bdi class="handle">evil.example</bdi>' in html  # no handle: its server
    assert problems_in(page_main(html)) == []


async def _replies(client: TestClient, target: str, count: int, *, deleted: int = 0) -> None:
    async with client.app[DB].transaction() as tx:
        for n in range(count + deleted):
            await tx.execute(
                "INSERT INTO remote_objects (iri, type, attributed_to, in_reply_to, document, received_at, deleted_at)"
                " VALUES (?, 'Note', 'https://peer.example/u/a', ?, '{}', ?, ?)",
                (f"https://peer.example/notes/{target.rsplit('/', 1)[-1]}/{n}", target, clock.iso(),
                 clock.iso() if n >= count else None))
        await tx.execute(APPROVE)


async def test_replies_collection_is_paged(client: TestClient, examples: Examples) -> None:
    outcome = examples[("outcome", "fr")]
    target = outcome.iri
    await _replies(client, target, 23, deleted=2)
    await _replies(client, examples[("practice", "fr")].iri, 1)
    resp = await client.get(f"/outcomes/{outcome.slug}/replies")
    assert resp.headers["Content-Type"] == "application/activity+json; charset=utf-8"
    head = await resp.json(content_type=None)
    assert (head["id"], head["type"], head["totalItems"]) == (f"{target}/replies", "OrderedCollection", 23)
    first = await (await get_as2(client, head["first"])).json(content_type=None)
    assert first["type"] == "OrderedCollectionPage" and first["partOf"] == head["id"]
    assert first["orderedItems"] == [f"https://peer.example/notes/{outcome.slug}/{n}" for n in range(20)]
    second = await (await get_as2(client, first["next"])).json(content_type=None)
    assert second["orderedItems"] == [f"https://peer.example/notes/{outcome.slug}/{n}" for n in range(20, 23)]
    assert "next" not in second
    doc = await (await get_as2(client, target)).json(content_type=None)
    assert doc["replies"] == head["id"]
    assert (await client.get("/practices/nothing/replies")).status == 404
