"""Search across the network (`GET /search`): ranking with the title first, accents and case folded,
every language of an item, the filters, the JSON shape, and bounds on what a reader can ask."""

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from node import search as search_module
from node.appkeys import DB
from node.search import MAX_PAGE, make_snippet, parse_query, plain_snippet, search, snippet_parts
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
