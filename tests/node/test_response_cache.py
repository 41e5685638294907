"""The response cache (node/response_cache.py): hits for repeated anonymous reads, never a stale or a
personal answer. Commits made through the node, through another connection and through another
process all invalidate it."""

import asyncio
import sqlite3
import sys

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from node import response_cache
from node.auth import COOKIE as SESSION_COOKIE
from node.config import Config
from node.response_cache import RESPONSE_CACHE, ResponseCache

AS2 = {"Accept": "application/activity+json"}


def cache_of(client: TestClient) -> ResponseCache:
    return client.server.app[RESPONSE_CACHE]


def rename(config: Config, name: str) -> None:
    """Change the network actor's display name through a connection of our own, as the CLI would."""
    with sqlite3.connect(config.database_path) as conn:
        conn.execute("UPDATE actors SET name = ? WHERE username = ?", (name, config.network))


async def actor_name(client: TestClient, config: Config) -> str:
    response = await client.get(f"/users/{config.network}", headers=AS2)
    assert response.status == 200
    return str((await response.json())["name"])


async def test_repeated_read_is_a_hit_with_the_same_bytes_and_headers(client: TestClient,
                                                                      node_config: Config) -> None:
    first = await client.get(f"/users/{node_config.network}", headers=AS2)
    second = await client.get(f"/users/{node_config.network}", headers=AS2)
    assert (cache_of(client).misses, cache_of(client).hits) == (1, 1)
    assert await first.read() == await second.read()
    for header in ("Content-Type", "Vary", "Cache-Control", "X-Content-Type-Options"):
        assert first.headers[header] == second.headers[header]


async def test_a_commit_from_another_connection_invalidates(client: TestClient, node_config: Config) -> None:
    before = await actor_name(client, node_config)
    rename(node_config, "Réseau renommé")
    assert before != "Réseau renommé"
    assert await actor_name(client, node_config) == "Réseau renommé"
    assert cache_of(client).hits == 0


async def test_a_commit_from_another_process_invalidates(client: TestClient, node_config: Config) -> None:
    await actor_name(client, node_config)
    await actor_name(client, node_config)
    assert cache_of(client).hits == 1
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
        " c.execute(\"UPDATE actors SET name = 'Ailleurs' WHERE username = ?\", (sys.argv[2],)); c.commit()",
        str(node_config.database_path), node_config.network)
    assert await process.wait() == 0
    assert await actor_name(client, node_config) == "Ailleurs"


async def test_html_and_json_of_one_iri_are_separate_entries(client: TestClient, node_config: Config) -> None:
    path = f"/users/{node_config.network}"
    for _ in range(2):
        html = await client.get(path, headers={"Accept": "text/html"})
        json_doc = await client.get(path, headers=AS2)
        assert html.content_type == "text/html" and json_doc.content_type == "application/activity+json"
    assert cache_of(client).hits == 2
    assert html.headers["Cache-Control"] == "public, no-cache"


async def test_languages_are_separate_entries(client: TestClient) -> None:
    english = await (await client.get("/", headers={"Accept-Language": "en"})).text()
    spanish = await (await client.get("/", headers={"Accept-Language": "es"})).text()
    assert english != spanish
    assert await (await client.get("/", headers={"Accept-Language": "en"})).text() == english


async def test_logged_in_readers_are_never_served_from_or_into_the_cache(admin_client: TestClient,
                                                                         node_config: Config) -> None:
    assert SESSION_COOKIE in {c.key for c in admin_client.session.cookie_jar}
    cache = cache_of(admin_client)
    before = (cache.hits, cache.misses, cache.size)
    for _ in range(2):
        response = await admin_client.get(f"/users/{node_config.network}", headers={"Accept": "text/html"})
        assert response.headers["Cache-Control"] == "private, no-cache"
    assert (cache.hits, cache.misses, cache.size) == before


async def test_answers_that_set_a_cookie_or_are_not_200_are_not_kept(client: TestClient,
                                                                     node_config: Config) -> None:
    other = next(lang for lang in node_config.languages if lang != node_config.default_lang)
    chosen = await client.get(f"/?lang={other}")
    assert chosen.headers.get("Set-Cookie", "").startswith("lang=")
    for _ in range(2):
        assert (await client.get("/users/nobody", headers=AS2)).status == 404
    assert cache_of(client).hits == 0
    assert cache_of(client).size == 0


async def test_entries_expire_after_the_age_the_response_allows(client: TestClient, node_config: Config,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(response_cache.time, "monotonic", lambda: now[0])
    await actor_name(client, node_config)
    now[0] += 59
    await actor_name(client, node_config)
    assert cache_of(client).hits == 1
    now[0] += 2  # past the actor document's max-age=60
    await actor_name(client, node_config)
    assert cache_of(client).hits == 1


def test_the_cache_is_bounded_least_recently_used_first() -> None:
    cache = ResponseCache(max_bytes=250)
    for n in range(3):
        cache.put(("/a", str(n), "", "", ""), 1, web.Response(body=b"x" * 100,
                                                              headers={"Cache-Control": "public, max-age=60"}))
    assert cache.size == 200
    assert cache.get(("/a", "0", "", "", ""), 1) is None
    assert cache.get(("/a", "2", "", "", ""), 1) is not None


def test_only_public_answers_are_kept() -> None:
    cache = ResponseCache(max_bytes=10_000)
    for control in ("private, max-age=60", "public, no-store", "no-cache", "", "public"):
        cache.put(("/x", control, "", "", ""), 1, web.Response(body=b"{}", headers={"Cache-Control": control}))
    assert cache.size == 0


async def test_a_zero_size_turns_the_cache_off(client: TestClient, node_config: Config) -> None:
    cache_of(client).max_bytes = 0
    await actor_name(client, node_config)
    await actor_name(client, node_config)
    assert (cache_of(client).hits, cache_of(client).misses, cache_of(client).size) == (0, 0, 0)
