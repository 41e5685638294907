"""Search across the network (`GET /search`): ranking with the title first, accents and case folded,
every language of an item, the filters, the JSON shape, and bounds on what a reader can ask."""

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node import search as search_module
from node.appkeys import DB
from node.db import Database
from node.search import MAX_PAGE, Query, make_snippet, nodes, parse_query, plain_snippet, search, snippet_parts
from tests.support.examples import Example, get_page, publish_examples
from tests.support.node import publish_practice

JSON = {"Accept": "application/json"}


async def find(client: TestClient, **params: str) -> dict[str, Any]:
    resp = await client.get("/search", params=params, headers=JSON)
    assert resp.status == 200, await resp.text()
    assert resp.headers["Content-Type"].startswith("application/json")
    return await resp.json()


async def iris(client: TestClient, **params: str) -> list[str]:
    return [r["iri"] for r in (await find(client, **params))["results"]]


@pytest.fixture
async def examples(client: TestClient) -> dict[tuple[str, str], Example]:
    return await publish_examples(client.app)


async def test_title_outranks_body_and_accents_and_case_fold(client: TestClient) -> None:
    body_only = await publish_practice(client.app, "jardins", title="Des jardins partagés",
                                       summary="Des parcelles pour tous.", body="Gérés comme une coopérative.")
    in_title = await publish_practice(client.app, "epicerie", title="Une coopérative de consommateurs",
                                      summary="Acheter en direct aux producteurs.", body="Le récit.")
    assert await iris(client, q="coopérative") == [in_title.iri, body_only.iri]
    assert await iris(client, q="COOPERATIVE") == [in_title.iri, body_only.iri]  # no accent, upper case
    assert await iris(client, q="cooperativ") == [in_title.iri, body_only.iri]  # a prefix: "coopératives" too
    assert await iris(client, q="consommateurs producteurs") == [in_title.iri]  # every word is required
    assert await iris(client, q="consommateurs voitures") == []


async def test_every_language_of_an_item_is_searched(client: TestClient, examples: dict) -> None:
    practice = examples[("practice", "fr")].iri
    french = (await find(client, q="monnaie complémentaire"))["results"]
    assert [(r["iri"], r["language"]) for r in french] == [(practice, "fr")]
    english = (await find(client, q="complementary currency"))["results"]
    assert [(r["iri"], r["language"]) for r in english] == [(practice, "en")]
    everything = await iris(client, q="Drôme")
    assert len(set(everything)) == len(everything) == 3  # one result per item, not per translation
    assert await iris(client, q="monnaie complémentaire", lang="en") == []
    assert await iris(client, q="complementary currency", lang="en") == [practice]


async def test_the_language_switcher_does_not_filter_results(client: TestClient, examples: dict) -> None:
    """Regression: `?lang=` is the interface switcher on every page; on /search it used to filter too."""
    practice = examples[("practice", "fr")].iri
    assert await iris(client, q="monnaie complémentaire", language="en") == []  # the filter's own name
    switched = await client.get("/search", params={"q": "monnaie complémentaire", "lang": "en"})
    assert switched.status == 200
    assert practice in await switched.text()
    filtered = await client.get("/search", params={"q": "monnaie complémentaire", "language": "en"})
    assert practice not in await filtered.text()


async def test_structured_fields_and_filters(client: TestClient, examples: dict) -> None:
    practice, journey = examples[("practice", "fr")].iri, examples[("journey", "fr")].iri
    # Words of the structured fields are found (stakeholders, lessons...), not only title and body.
    assert practice in await iris(client, q="Luciole")
    both = await iris(client, q="Drôme")
    assert practice in both and journey in both
    assert await iris(client, q="Drôme", type="journey") == [journey]
    assert journey not in await iris(client, q="Drôme", type="practice")
    assert await iris(client, q="Drôme", theme="social-finance") == [practice]
    assert await iris(client, q="Luciole", territory="drome") == [practice]  # the journey is in Crest too
    assert set(await iris(client, q="Luciole", territory="crest")) == {practice, journey}
    assert await iris(client, q="Luciole", territory="Montréal") == []
    assert practice in await iris(client, q="Drôme", node="node.test")
    assert await iris(client, q="Drôme", node="elsewhere.example") == []
    start = examples[("journey", "fr")].meta["start"]
    day = str(start)[:10]
    assert journey in await iris(client, q="Drôme", type="journey", **{"from": day, "to": day})
    assert await iris(client, q="Drôme", type="journey", **{"from": "2999-01-01"}) == []
    # Anything invalid in a filter is dropped, not an error.
    assert journey in await iris(client, q="Drôme", type="nonsense", lang="<x>", **{"from": "yesterday"})


async def test_json_shape_and_the_page(client: TestClient, examples: dict) -> None:
    found = await find(client, q="Luciole")
    assert found["total"] >= 1 and found["page"] == 1 and found["next"] is None
    first = found["results"][0]
    assert set(first) >= {"iri", "type", "title", "language", "node", "snippet"}
    assert (first["type"], first["node"], first["local"]) == ("practice", "node.test", True)
    assert "Luciole" in first["snippet"] and "\ue000" not in first["snippet"]
    html = await get_page(client, "/search?q=luciole")
    assert f'<a href="{first["iri"]}">' in html
    assert "<mark>" in html
    assert '<input type="search" name="q" value="luciole"' in html
    assert (await client.get("/search", headers={"Accept": "text/html"})).status == 200  # the empty form


async def test_index_follows_edits_translations_and_deletion(client: TestClient) -> None:
    first = await publish_practice(client.app, "monnaie", title="Une monnaie citoyenne")
    assert await iris(client, q="citoyenne") == [first.iri]
    await publish_practice(client.app, "monnaie", title="Une monnaie fondante")  # edit, same language
    assert await iris(client, q="citoyenne") == []
    assert await iris(client, q="fondante") == [first.iri]
    await publish_practice(client.app, "monnaie", lang="en", title="A melting currency")  # a translation
    assert (await find(client, q="melting"))["results"][0]["language"] == "en"
    assert await iris(client, q="fondante") == [first.iri]
    from node.accounts import get_actor
    from node.appkeys import URLS
    from node.publishing import delete

    admin = await get_actor(client.app[DB], "admin")
    assert admin is not None
    await delete(client.app[DB], client.app[URLS], network="reseau", author=admin, kind="practice", slug="monnaie")
    assert await iris(client, q="fondante") == [] and await iris(client, q="melting") == []
    assert await client.app[DB].fetch_value("SELECT count(*) FROM search_entries") == 0


@pytest.mark.parametrize("q", ['"', 'monnaie" OR NEAR(', "*", "a AND", "-x", "col:val", "'; DROP TABLE objects; --",
                               "\x00", "ó" * 1000])
async def test_any_query_text_is_literal_and_bounded(client: TestClient, q: str) -> None:
    await publish_practice(client.app)
    assert (await find(client, q=q))["results"] is not None


async def test_bounds() -> None:
    query = parse_query({"q": " ".join(f"word{n}" for n in range(100)), "page": "100000"})
    assert len(query.terms) == 12 and query.page == MAX_PAGE
    assert parse_query({"q": "de la monnaie"}).terms == ("monnaie",)  # short words go when longer ones stay
    assert parse_query({"q": "de"}).terms == ("de",)
    assert parse_query({"page": "-3"}).page == 1 and parse_query({"page": "x"}).page == 1


async def test_pages_of_results(client: TestClient) -> None:
    for n in range(23):
        await publish_practice(client.app, f"pratique-{n}", title=f"Pratique solidaire {n}")
    hits, total = await search(client.app[DB], parse_query({"q": "solidaire"}))
    assert (len(hits), total) == (20, 23)
    first = await find(client, q="solidaire")
    assert first["next"] == "/search?q=solidaire&page=2"
    second = await find(client, q="solidaire", page="2")
    assert len(second["results"]) == 3 and second["next"] is None
    assert not {r["iri"] for r in first["results"]} & {r["iri"] for r in second["results"]}


def test_snippets_mark_what_matched_whatever_the_accents() -> None:
    snippet = make_snippet(["", "Dans la vallée, les coopératives de producteurs et la Coopérative du Val."],
                           ("cooperativ", "vallee"))
    assert plain_snippet(snippet) == "Dans la vallée, les coopératives de producteurs et la Coopérative du Val."
    assert [text for text, marked in snippet_parts(snippet) if marked] == ["vallée", "coopératives", "Coopérative"]
    long = make_snippet([" ".join(f"mot{n}" for n in range(100)) + " solidaire"], ("solidaire",), width=10)
    assert plain_snippet(long).startswith("…mot") and plain_snippet(long).endswith("solidaire")
    assert make_snippet(["Un résumé.", "Le corps."], ("absent",)) == "Un résumé."  # no match: the summary


async def test_a_query_matching_too_much_lists_the_newest_first(client: TestClient,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(3):
        await publish_practice(client.app, f"pratique-{n}", title=f"Pratique solidaire {'solidaire ' * (3 - n)}")
    ranked = await find(client, q="solidaire")
    assert [r["iri"].rsplit("-", 1)[-1] for r in ranked["results"]] == ["0", "1", "2"]  # the most "solidaire"
    monkeypatch.setattr(search_module, "COUNT_LIMIT", 2)
    newest = await find(client, q="solidaire")
    assert newest["total"] == 3 and [r["iri"].rsplit("-", 1)[-1] for r in newest["results"]] == ["2", "1", "0"]


async def add_entry(db: Database, iri: str, lang: str, kind: str, node: str, title: str, body: str = "") -> None:
    """An index entry as node/search.py's statements write one (the query side is what these tests check)."""
    async with db.transaction() as tx:
        entry = await tx.execute(
            "INSERT INTO search_entries (iri, lang, kind, node, local, title, summary, date, themes)"
            " VALUES (?, ?, ?, ?, 0, ?, '', '2025-01-01', '')", (iri, lang, kind, node, title))
        await tx.execute("INSERT INTO search_fts (rowid, title, summary, body, details, territory, node)"
                         " VALUES (?, ?, '', ?, '', '', ?)", (entry, title, body, search_module.node_token(node)))


async def test_the_node_filter_lists_every_node_of_the_index(client: TestClient) -> None:
    db = client.app[DB]
    distinct = "SELECT DISTINCT node FROM search_entries ORDER BY node"
    assert await nodes(db) == [] == [r["node"] for r in await db.fetch_all(distinct)]  # an empty index
    assert "<option>" not in await get_page(client, "/search")
    for n, node in enumerate(["b.example", "a.example:8443", "b.example", "node.test", "a.example", "b.example"]):
        await add_entry(db, f"https://{node}/practices/{n}", "fr", "practice", node, f"Pratique {n}")
    listed = await nodes(db)
    assert listed == [r["node"] for r in await db.fetch_all(distinct)]
    assert listed == ["a.example", "a.example:8443", "b.example", "node.test"]
    page = await get_page(client, "/search")
    assert all(f"<option>{node}</option>" in page for node in listed)


async def previous_selection(db: Database, query: Query, page_size: int) -> tuple[list[tuple[str, str]], int]:
    """The page's (iri, language) and the total as search() chose them before it read the matches once:
    a count, then the page ranked by bm25 (or newest first past COUNT_LIMIT)."""
    where, params = search_module._filters(query)
    source = "FROM search_fts JOIN search_entries e ON e.id = search_fts.rowid WHERE " + where
    limit_ = search_module.COUNT_LIMIT
    total = await db.fetch_value(f"SELECT count(*) FROM (SELECT DISTINCT e.iri {source} LIMIT {limit_ + 1})", params)
    order = f"bm25(search_fts, {search_module.WEIGHTS}), e.id" if total <= limit_ else "search_fts.rowid DESC"
    rows = await db.fetch_all(f"SELECT e.id, e.iri, e.lang {source} ORDER BY {order}", params)
    best: dict[str, tuple[str, str]] = {}
    for row in rows:
        best.setdefault(row["iri"], (row["iri"], row["lang"]))
    wanted = query.page * page_size
    return list(best.values())[wanted - page_size:wanted], total


async def test_one_pass_counts_and_pages_as_the_count_and_the_ranking_did(client: TestClient,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """The matches are read once (newest first) for the count and a broad query's page; the ranking reads
    them again only when COUNT_LIMIT items or fewer match. Same total (capped), same page, same order,
    with the filters, whichever the mode, and for items matching in several languages."""
    db = client.app[DB]
    kinds = ("practice", "journey", "outcome")
    for n in range(24):  # "solidaire" from 1 to 4 times: bm25 has something to rank
        await add_entry(db, f"https://n{n % 3}.example/items/{n}", "fr", kinds[n % 3], f"n{n % 3}.example",
                        f"Pratique {n} " + "solidaire " * (n % 4 + 1), "Dans la Drôme.")
    for n in range(0, 24, 4):  # translations added later: an item's entries are not next to each other
        await add_entry(db, f"https://n{n % 3}.example/items/{n}", "en", kinds[n % 3], f"n{n % 3}.example",
                        f"Practice {n} solidarity", "In the Drôme, solidaire.")
    asked = [{"q": "solidaire"}, {"q": "drome"}, {"q": "solid"}, {"q": "drome", "type": "journey"},
             {"q": "drome", "language": "en"}, {"q": "solidaire", "node": "n1.example"}, {"q": "absent"},
             {"q": "drome", "node": "n2.example"}, {"q": "solid", "node": "n0.example", "type": "practice"},
             {"q": "practice", "node": "n0.example", "language": "en"}]
    for limit in (1, 5, 8, 1000):
        monkeypatch.setattr(search_module, "COUNT_LIMIT", limit)
        for params in asked:
            for page in (1, 2, 3, 5):
                query = parse_query({**params, "lang": params.get("language", ""), "page": str(page)})
                hits, total = await search(db, query, page_size=3)
                expected, expected_total = await previous_selection(db, query, 3)
                assert ([(h.iri, h.lang) for h in hits], total) == (expected, expected_total), (limit, params, page)
                assert total <= limit + 1
    monkeypatch.setattr(search_module, "COUNT_LIMIT", 5)
    assert (await search(db, parse_query({"q": "drome"})))[1] == 6  # more than 5
    assert (await search(db, parse_query({"q": "drome", "type": "journey"})))[1] == 6
    assert (await search(db, parse_query({"q": "drome", "node": "n1.example", "type": "practice"})))[1] == 0


async def test_the_page_says_how_many_results_or_that_there_are_more(client: TestClient,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(3):
        await publish_practice(client.app, f"pratique-{n}", title=f"Pratique solidaire {n}")
    await publish_practice(client.app, "seule", title="Une coopérative")

    async def count_line(path: str) -> str:
        page = await get_page(client, path)
        return page.split('<p class="meta">', 1)[1].split("</p>", 1)[0]

    assert await count_line("/search?q=cooperative&lang=en") == "1 result"
    assert await count_line("/search?q=solidaire&lang=en") == "3 results"
    assert await count_line("/search?q=cooperative&lang=fr") == "1 résultat"
    monkeypatch.setattr(search_module, "COUNT_LIMIT", 2)  # new URLs below: pages are cached (response_cache)
    more = "/search?q=solidaire&type=practice&lang="
    assert await count_line(more + "en") == "More than 2 results: the newest first"
    assert await count_line(more + "fr") == "Plus de 2 résultats\u00a0: les plus récents d’abord"
    assert await count_line(more + "es") == "Más de 2 resultados: los más recientes primero"
    assert (await find(client, q="solidaire"))["total"] == 3  # JSON: COUNT_LIMIT + 1 means more


async def test_a_node_filter_is_a_term_of_the_match_and_the_fts_table_the_outer_loop(client: TestClient) -> None:
    """FTS5 intersects the node's token with the words: no test of each match's entry (every match of a
    common word read for a few found), and the FTS table stays the outer loop (the other way round, the
    MATCH, a prefix merge of 50 ms on a million entries, would be evaluated once per entry)."""
    where, params = search_module._filters(parse_query({"q": "coop", "node": "n1.example"}))
    assert "node" not in where.replace("search_fts MATCH ?", "")
    assert params == ['- node : ("coop"*) AND node : "n6e312e6578616d706c65"']
    source = "FROM search_fts CROSS JOIN search_entries e ON e.id = search_fts.rowid WHERE " + where
    assert source in search_module._NEWEST.format(source=source)
    plan = await client.app[DB].fetch_all("EXPLAIN QUERY PLAN " + search_module._NEWEST.format(source=source),
                                          (*params, 10, 10))
    scans = [r["detail"] for r in plan if r["detail"].startswith(("SCAN", "SEARCH"))]
    assert scans[0].startswith("SCAN search_fts VIRTUAL TABLE") and "e USING INTEGER PRIMARY KEY" in scans[1]


async def test_a_node_filter_finds_that_node_only_whatever_the_other_hosts_look_like(client: TestClient) -> None:
    db = client.app[DB]
    hosts = ["a.example", "a.example:8443", "b.a.example", "a.example.org", "xn--caf-dma.example"]
    for n, host in enumerate(hosts):
        await add_entry(db, f"https://{host}/practices/{n}", "fr", "practice", host, f"Coopérative {n}")
    for host in hosts:
        found = await find(client, q="cooperative", node=host)
        assert [r["node"] for r in found["results"]] == [host] and found["total"] == 1, host
    assert (await find(client, q="cooperative", node="example"))["total"] == 0


async def test_words_never_match_the_node_column(client: TestClient) -> None:
    db = client.app[DB]
    await add_entry(db, "https://a.example/practices/1", "fr", "practice", "a.example", "Épicerie")
    token = search_module.node_token("a.example")
    assert (await find(client, q=token))["total"] == 0
    assert (await find(client, q=token[:5]))["total"] == 0  # not as a prefix either
    assert (await find(client, q="epicerie", node="a.example"))["total"] == 1
