"""Issue 20, search and lists: filters without words list what they select (`/search?type=journey`),
themes are words a search finds, and Theme and Language are chosen from lists, as on /practices."""

from pathlib import Path

from aiohttp.test_utils import TestClient

from node import db as node_db
from node import search as search_module
from node.appkeys import DB
from tests.support.examples import get_page, publish_examples
from tests.support.node import publish_practice

JSON = {"Accept": "application/json"}
MIGRATION = Path(__file__).parents[2] / "node/migrations/0023_search_themes.sql"


async def iris(client: TestClient, **params: str) -> list[str]:
    resp = await client.get("/search", params=params, headers=JSON)
    assert resp.status == 200, await resp.text()
    return [r["iri"] for r in (await resp.json())["results"]]


async def test_filters_without_words_list_what_they_select(client: TestClient) -> None:
    examples = await publish_examples(client.app)
    journey, practice = examples[("journey", "fr")].iri, examples[("practice", "fr")].iri
    assert await iris(client, type="journey") == [journey]
    day = str(examples[("journey", "fr")].meta["start"])[:10]
    assert await iris(client, type="journey", **{"from": day, "to": day}) == [journey]
    assert await iris(client, type="journey", **{"from": "2999-01-01"}) == []
    assert await iris(client, theme="social-finance") == [practice]
    assert practice in await iris(client, language="en")
    html = await get_page(client, "/search?type=journey")
    assert f'href="{journey}"' in html and f'href="{practice}"' not in html
    assert "Nothing found" not in html and "Rien trouvé" not in html
    assert await iris(client) == []  # no words, no filter: the empty form, not the whole index


async def test_themes_are_searched(client: TestClient) -> None:
    tagged = await publish_practice(client.app, "jardins", title="Des jardins", summary="Partagés.", body="Récit.",
                                    themes="[permaculture, monnaie-locale]")
    await publish_practice(client.app, "autre", title="Autre chose", summary="Rien.", body="Récit.", themes="[x]")
    assert await iris(client, q="permaculture") == [tagged.iri]
    assert await iris(client, q="monnaie-locale") == [tagged.iri]
    # The index built before themes were searched gains them (the migration).
    async with client.app[DB].transaction() as tx:
        await tx.execute("UPDATE search_fts SET details = ''")
    assert await iris(client, q="permaculture") == []
    async with client.app[DB].transaction() as tx:
        for statement in node_db._split_statements(MIGRATION.read_text("utf-8")):
            await tx.execute(statement)
    assert await iris(client, q="permaculture") == [tagged.iri]


async def test_theme_and_language_are_chosen_from_lists(client: TestClient) -> None:
    await publish_examples(client.app)
    html = await get_page(client, "/search?theme=social-finance&language=en")
    assert '<select id="s-theme" name="theme">' in html and '<select id="s-language" name="language">' in html
    assert '<option value="social-finance" selected>#social-finance</option>' in html
    assert '<option value="food-sovereignty">#food-sovereignty</option>' in html  # a journey's theme too
    assert '<option value="en" selected>English</option>' in html
    assert '<option value="fr">Français</option>' in html


def test_the_migration_reindexes_with_the_sql_search_runs() -> None:
    assert node_db._split_statements(MIGRATION.read_text("utf-8"))[-1] == \
        search_module.INDEX_TEXT.format(local="1", remote="1") + ";"
