"""Issue 20, translations: what a translation does not translate keeps the original's language; the
translate form starts empty beside the original; a content language chosen on an item (`?lang=`) does
not switch the interface; an outcome's journey date is written in the reader's interface language."""

import re
from datetime import datetime, timedelta
from html import escape as esc

from aiohttp.test_utils import TestClient
from babel.dates import format_date

from node.accounts import get_actor
from node.appkeys import DB, URLS
from node.content import find_object
from node.drafts import parse_markdown
from node.publishing import publish
from tests.support.desk import form_values, post_form, publish_item
from tests.support.examples import get_page, publish_examples
from tests.support.journeys import publish_journey

FRENCH = {"lang": "fr", "title": "Une monnaie locale", "summary": "Comment un territoire a lancé sa monnaie.",
          "themes": "monnaie", "body": "Le **récit** complet.", "territory_name": "Val de Drôme",
          "stakeholders": "La Luciole | émettrice | https://luciole.example",
          "resources": "Une subvention | monetary | public",
          "needs": "Garder la richesse sur place.", "results": "Trois cents commerces.",
          "lessons": "Commencer petit.", "transferability": "Partout où il y a des commerces.",
          "action": "publish"}
PATH = "/desk/practice/une-monnaie-locale/translate"


def lang_of(html: str, text: str) -> str:
    """The `lang` of the nearest element around `text` that says one."""
    before = html[:html.index(text)]
    return re.findall(r'lang="([^"]+)"', before)[-1]


async def test_a_title_only_translation_leaves_the_rest_in_french(organizer_client: TestClient) -> None:
    client = organizer_client
    await publish_item(client, "practice", FRENCH)
    form = await form_values(client, f"{PATH}?lang=en")
    for name in ("title", "summary", "body", "needs", "results", "lessons", "transferability"):
        assert not form.get(name), name  # empty, the original shown beside them
    page = await (await client.get(f"{PATH}?lang=en")).text()
    assert 'class="original"' in page and "Garder la richesse sur place." in page
    resp = await post_form(client, PATH, {**form, "lang": "en", "title": "A local currency",
                                          "summary": "How a territory launched its own currency.",
                                          "action": "publish"}, token_from=PATH)
    assert resp.status == 303, await resp.text()
    stored = await find_object(client.app[DB], "practice", "une-monnaie-locale")
    assert stored is not None
    for key in ("needs", "results", "lessons", "transferability"):
        assert list(stored.fields[key]) == ["fr"], key
    assert stored.fields["stakeholders"][0]["role"] == {"fr": "émettrice"}

    html = await (await client.get("/practices/une-monnaie-locale?lang=en")).text()
    assert lang_of(html, "<h1>A local currency</h1>") == "en"
    for text in ("récit", "Garder la richesse", "Trois cents", "Commencer petit", "Partout où",
                 "émettrice", "Une subvention"):
        assert lang_of(html, text) == "fr", text


async def test_reading_a_translation_does_not_switch_the_interface(client: TestClient) -> None:
    """"Also in: English" (`?lang=en`) shows the English text; the interface stays French and nothing is
    remembered. The language switcher (`?ui=`) is what sets the interface, on item pages too."""
    examples = await publish_examples(client.app)
    path = f"/practices/{examples[('practice', 'fr')].slug}"
    english = esc(examples[("practice", "en")].meta["title"])
    resp = await client.get(f"{path}?lang=en", headers={"Accept-Language": "fr"})
    html = await resp.text()
    assert '<html lang="fr">' in html and f'<hgroup lang="en">\n    <h1>{english}</h1>' in html
    assert "lang" not in resp.cookies
    assert f'<a href="{path}?lang=en&amp;ui=en" hreflang="en"' in html  # the switcher keeps the text chosen
    after = await (await client.get("/practices", headers={"Accept-Language": "fr"})).text()
    assert '<html lang="fr">' in after
    switched = await client.get(f"{path}?lang=en&ui=en", headers={"Accept-Language": "fr"})
    assert '<html lang="en">' in await switched.text() and switched.cookies["lang"].value == "en"
    assert '<html lang="en">' in await (await client.get("/practices", headers={"Accept-Language": "fr"})).text()


async def test_an_outcome_dates_its_journey_in_the_interfaces_language(client: TestClient) -> None:
    """A French outcome read with an English interface: the journey's date in English, as the journey's
    own page writes it (it was written in the text's language: `mardi …` under an English interface)."""
    await publish_journey(client.app, "voyage", start=timedelta(days=30))
    author = await get_actor(client.app[DB], "admin")
    assert author is not None
    await publish(client.app[DB], client.app[URLS], network="reseau", author=author, draft=parse_markdown(
        "---\ntype: outcome\nslug: bilan\nlang: fr\ntitle: Bilan\nsummary: Ce que nous avons appris.\n"
        "journey: voyage\nachievements: [Une charte]\n---\nRécit.\n", default_lang="fr"))
    html = await get_page(client, "/outcomes/bilan", **{"Accept-Language": "en"})
    assert '<html lang="en">' in html and '<hgroup lang="fr">' in html
    day = re.search(r'<p id="journey".*?<time datetime="([^"]+)">([^<]+)</time>', html, re.S)
    assert day is not None
    assert day.group(2) == format_date(datetime.fromisoformat(day.group(1)), "full", locale="en")
    journey = await get_page(client, "/journeys/voyage", **{"Accept-Language": "en"})
    assert f">{day.group(2)}" in journey
