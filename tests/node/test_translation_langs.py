"""Issue 20, translations: what a translation does not translate keeps the original's language; the
translate form starts empty beside the original; a content language chosen on an item (`?lang=`) does
not switch the interface; an outcome's journey date is written in the reader's interface language."""

import re

from aiohttp.test_utils import TestClient

from node.appkeys import DB
from node.content import find_object
from tests.support.desk import form_values, post_form, publish_item

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
