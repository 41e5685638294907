"""Cross-site scripting: a corpus of known payloads (tests/fixtures/xss/payloads.txt) goes through the
sanitizer, our Markdown renderer, and onto every page that shows what organizers write or what other
servers send: every free-text field of a practice, a journey and an outcome, their Markdown bodies,
remote replies (HTML content, content warning, author name and URLs) and the remote author's profile.
Every HTML page of every route (read from the router) must be inert, and so must the HTML inside the
Atom feeds."""

import html
import re
from collections.abc import AsyncIterator
from typing import Any
from xml.etree import ElementTree

import frontmatter
import pytest
from aiohttp.test_utils import TestClient

from node.accounts import get_actor
from node.appkeys import DB, URLS
from node.drafts import DraftError, parse_markdown
from node.publishing import publish
from node.render import markdown_to_html, sanitize
from tests.support.examples import examples
from tests.support.html_safety import active_content, payloads
from tests.support.node import activity, handled
from tests.support.peer import Peer

PAYLOADS = payloads()
ALL = "\n".join(PAYLOADS)
TEXT_KEYS = {"title", "summary", "name", "role", "needs", "results", "lessons", "transferability", "label", "alt",
             "host", "street", "locality", "region", "country", "feedback", "message", "description"}
LIST_KEYS = {"achievements", "new_initiatives", "issues", "goals", "next_steps"}
URL_KEYS = {"url", "license", "online", "external_url", "href"}
HOSTILE_URLS = ["javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "data:text/html,<script>",
                "vbscript:msgbox(1)", "java\tscript:alert(1)", "//xss.example/"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_each_payload_is_inert_after_the_sanitizer_and_the_markdown_renderer(payload: str) -> None:
    assert active_content(sanitize(payload)) == []
    assert active_content(markdown_to_html(payload)) == []
    assert active_content(markdown_to_html(f"Intro\n\n{payload}\n\n* {payload}\n\n> {payload}")) == []


def test_the_sanitizer_keeps_ordinary_markup() -> None:
    """The control: inertness is not bought by dropping everything."""
    kept = sanitize('<p><a href="https://ok.example/a">lien</a> <em>b</em> <img src="https://ok.example/i.png" '
                    'alt="i"></p>')
    assert 'href="https://ok.example/a"' in kept and "<em>b</em>" in kept and 'src="https://ok.example/i.png"' in kept


def _fit(value: str, limit: int) -> str:
    return value[:limit]


def _inject(meta: Any, limits: dict[str, int]) -> Any:
    """The example's front matter with every free-text field replaced by payloads."""
    if isinstance(meta, dict):
        out = {}
        for key, value in meta.items():
            if key in TEXT_KEYS and isinstance(value, str):
                out[key] = _fit(ALL if key not in ("title", "name", "host", "label") else " ".join(PAYLOADS),
                                limits.get(key, 10_000))
            elif key in LIST_KEYS and isinstance(value, list):
                out[key] = [_fit(p, 300) for p in PAYLOADS[:50]]
            else:
                out[key] = _inject(value, limits)
        return out
    if isinstance(meta, list):
        return [_inject(v, limits) for v in meta]
    return meta


def _draft(kind: str, meta_changes: Any = None, body: str = ALL) -> Any:
    """An example draft of `kind` with payloads everywhere; fields whose limit is exceeded are cut to it."""
    example = examples()[(kind, "fr")]
    limits: dict[str, int] = {}
    for _ in range(20):
        meta = meta_changes(example.meta) if meta_changes else _inject(example.meta, limits)
        text = frontmatter.dumps(frontmatter.Post(body, **meta))
        try:
            return parse_markdown(text, default_lang="fr")
        except DraftError as exc:
            found = re.search(r"'(?:[\w\[\]]+\.)*(\w+)' is longer than (\d+) characters", str(exc))
            if meta_changes or not found:
                raise
            limits[found.group(1)] = int(found.group(2))
    raise AssertionError("could not fit the payloads in the draft")


async def _publish(client: TestClient, draft: Any) -> str:
    db = client.app[DB]
    author = await get_actor(db, "admin")
    assert author is not None
    return (await publish(db, client.app[URLS], network="reseau", author=author, draft=draft)).iri


@pytest.fixture
async def hostile(client: TestClient, peer: Peer) -> AsyncIterator[dict[str, Any]]:
    """A node whose content is full of payloads: one example of each type, replies from a remote author
    whose own profile is hostile too."""
    iris = {kind: await _publish(client, _draft(kind)) for kind in ("practice", "journey", "outcome")}
    peer.actor_fields["alice"] = {"name": PAYLOADS[0], "preferredUsername": "alice",
                                  "summary": ALL}  # a javascript: `url` is refused by parse_actor
    for number, (kind, iri) in enumerate(iris.items()):
        note = {"id": f"{peer.base}/notes/{number}", "type": "Note", "attributedTo": peer.actor_iri("alice"),
                "inReplyTo": iri, "content": ALL, "summary": ALL, "name": PAYLOADS[3],
                "url": HOSTILE_URLS[number % len(HOSTILE_URLS)], "published": "<script>alert(1)</script>",
                "attachment": [{"type": "Image", "url": "javascript:alert(1)", "name": PAYLOADS[3]}],
                "tag": [{"type": "Hashtag", "href": "javascript:alert(1)", "name": "#<script>"}]}
        assert await handled(client, peer, "alice", activity(peer, "alice", "Create", note)) == "done", kind
    yield iris


def _route_paths(client: TestClient, iris: dict[str, str]) -> list[str]:
    """A concrete path for every GET route, with our published objects as parameters."""
    slugs = {kind: iri.rsplit("/", 1)[-1] for kind, iri in iris.items()}
    kind_paths = {"practice": "practices", "journey": "journeys", "outcome": "outcomes"}
    values: dict[str, list[str]] = {
        "username": ["reseau", "admin"], "kind": list(kind_paths.values()), "slug": list(slugs.values()),
        "name": ["social-currency", "food-sovereignty", "script"], "token": ["x"], "tail": ["x"],
    }
    paths = []
    for resource in client.app.router.resources():
        if not any(route.method == "GET" for route in resource):
            continue
        info = resource.get_info()
        template = info.get("formatter") or info.get("path")
        if template is None:
            continue
        names = re.findall(r"\{(\w+)\}", template)
        combos: list[dict[str, str]] = [{}]
        for name in names:
            combos = [{**c, name: v} for c in combos for v in values.get(name, ["x"])]
        paths.extend(template.format(**c) for c in combos)
    return sorted(set(paths))


def _feed_html(text: str) -> list[str]:
    """The HTML inside an Atom feed (text constructs of type html; type text is shown as text)."""
    root = ElementTree.fromstring(text)
    return [el.text or "" for el in root.iter() if el.get("type") == "html"]


async def test_every_page_with_hostile_content_is_inert(client: TestClient, hostile: dict[str, str]) -> None:
    problems: dict[str, list[str]] = {}
    seen_html = 0
    for path in _route_paths(client, hostile):
        queries: list[dict[str, str]] = [{}, {"lang": "en"}]
        if "search" in path:  # what a search page echoes, and finds
            queries += [{"q": "alert"}, {"q": PAYLOADS[3], "lang": PAYLOADS[0], "type": PAYLOADS[1]}]
        for query in queries:
            resp = await client.get(path, params=query, headers={"Accept": "text/html"})
            assert resp.status < 500 or path == "/readyz", (path, await resp.text())
            body = await resp.text()
            media = resp.headers.get("Content-Type", "")
            if media.startswith("text/html"):
                seen_html += 1
                found = active_content(body, page=True)
            elif "atom" in media:
                found = [p for fragment in _feed_html(body) for p in active_content(fragment)]
            else:
                continue
            if found:
                problems[f"{path}?{query}"] = found[:5]
    assert problems == {}
    assert seen_html >= 8  # home, two actors, three objects, tags...


async def test_hostile_content_shows_as_text(client: TestClient, hostile: dict[str, str]) -> None:
    """The control: the payloads are on the pages, escaped, rather than dropped (the test above would pass
    on an empty page)."""
    page = await (await client.get(hostile["practice"].removeprefix("http://node.test"))).text()
    assert html.escape("<script>alert(1)</script>", quote=False) in page
    assert "alert(1)" in page


@pytest.mark.parametrize("url", HOSTILE_URLS)
@pytest.mark.parametrize("kind", ["practice", "journey", "outcome"])
async def test_urls_in_drafts_are_http_only(client: TestClient, kind: str, url: str) -> None:
    """Every URL field an organizer fills in is refused unless http(s), or never becomes a live link."""
    def with_url(meta: Any) -> Any:
        if isinstance(meta, dict):
            return {k: url if k in URL_KEYS and isinstance(v, str) else with_url(v) for k, v in meta.items()}
        return [with_url(v) for v in meta] if isinstance(meta, list) else meta

    try:
        draft = _draft(kind, with_url, body="Corps.")
    except DraftError as exc:
        assert "must be an http(s) URL" in str(exc)
        return
    iri = await _publish(client, draft)
    page = await (await client.get(iri.removeprefix("http://node.test"))).text()
    assert active_content(page, page=True) == []
