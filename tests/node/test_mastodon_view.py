"""What servers other than ours make of what the node publishes (issue 20, "Seen from Mastodon"), each
rule taken from the other server's own code: Takahē's HTML cleaning, Mastodon's WebFinger and outbox
habits, microblog.pub's first import."""

import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node.render import markdown_to_html
from tests.protocol.test_mastodon_rules import mastodon_language
from tests.support.examples import publish_examples
from tests.support.node import get_as2, publish_practice
from tests.support.peer import AS2


def takahe_text(html: str) -> str:
    """The words a Takahē reader gets: Takahē's core/html.py feeds `html.replace("\\n", "")` to its
    parser, so a newline separates nothing; tags are then read as boundaries of blocks."""
    return " ".join(re.sub(r"<[^>]+>", " ", html.replace("\n", "")).split())


def test_soft_line_breaks_stay_spaces_once_newlines_are_deleted() -> None:
    html = markdown_to_html("Des paysans réunis\npar la coopérative\n\n- semis\n  et récoltes\n\nfin  \nligne")
    assert takahe_text(html) == "Des paysans réunis par la coopérative semis et récoltes fin ligne"
    assert "<br>" in html  # a hard break (two spaces) is still a line break


@pytest.mark.parametrize("resource", ["mailto:reseau@node.test", "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66",
                                      "ftp://node.test/users/reseau", "xmpp:reseau@node.test"])
async def test_webfinger_a_uri_of_another_scheme_is_unknown_not_malformed(client: TestClient, resource: str) -> None:
    """RFC 7033 4.2: a resource the server holds no information about is 404; 400 is for a request that
    is not a query at all. Mastodon answers 404 too (its WebfingerResource reads `mailto:reseau` as a
    user name, which it does not find)."""
    resp = await client.get("/.well-known/webfinger", params={"resource": resource})
    assert (resp.status, await resp.json()) == (404, {"error": "no such account here"})


async def test_webfinger_a_bare_handle_is_read_as_acct(client: TestClient) -> None:
    """`resource=reseau@node.test`, without `acct:`, as Mastodon accepts it (FEDERATION.md says so)."""
    resp = await client.get("/.well-known/webfinger", params={"resource": "reseau@node.test"})
    assert resp.status == 200
    assert (await resp.json(content_type=None))["subject"] == "acct:reseau@node.test"


def empty_arrays(doc: Any, path: str = "") -> list[str]:
    """Where a document holds `[]`: AS2 core 2.2 has no empty values, a property is absent instead."""
    if isinstance(doc, list):
        return [path or "/"] if not doc else [p for i, v in enumerate(doc) for p in empty_arrays(v, f"{path}/{i}")]
    if isinstance(doc, dict):
        return [p for k, v in doc.items() for p in empty_arrays(v, f"{path}/{k}")]
    return []


async def test_documents_carry_no_empty_array(client: TestClient) -> None:
    """Actors without profile fields, an item without themes, empty collection pages (the outbox of an
    actor who published nothing, followers, replies): no `"attachment": []`, `"tag": []`, `"orderedItems": []`."""
    await publish_practice(client.app, "sans-theme", themes="[]")
    paths = ["/users/reseau", "/users/admin", "/actor", "/practices/sans-theme",
             "/users/reseau/outbox?page=true&max_id=1", "/actor/outbox?page=true", "/users/admin/followers?page=true",
             "/users/reseau/following?page=true", "/practices/sans-theme/replies?page=true"]
    found = {}
    for path in paths:
        resp = await client.get(path, headers={"Accept": AS2})
        assert resp.status == 200, (path, await resp.text())
        found[path] = empty_arrays(await resp.json(content_type=None))
    assert found == {path: [] for path in paths}


async def test_a_french_original_with_an_english_translation_arrives_french(client: TestClient) -> None:
    """Each example is published in French, then translated into English: Mastodon labels it French
    (tests/protocol/test_mastodon_rules.py has the rule, from Mastodon's status parser)."""
    found = await publish_examples(client.app)
    for kind in ("practice", "journey", "outcome"):
        doc = await (await get_as2(client, found[(kind, "fr")].iri)).json(content_type=None)
        assert mastodon_language(doc) == "fr", kind
        assert [list(doc[f"{term}Map"]) for term in ("content", "name", "summary")] == [["fr", "en"]] * 3, kind
        assert doc["name"] == found[(kind, "fr")].meta["title"]
