"""One complete example of each type in two languages, as an organizer writes them: the files in
docs/examples/ when they are there (the README's examples), else the drafts below. Tests read the
expected values back from the front matter, so they check what the example says, whichever it is."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import frontmatter
from aiohttp.test_utils import TestClient
from aiohttp.web import Application

from node.accounts import get_actor
from node.appkeys import DB, URLS
from node.drafts import parse_markdown
from node.publishing import publish

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "docs" / "examples"
KINDS = ("practice", "journey", "outcome")
LANGS = ("fr", "en")

_PRACTICE = """---
type: practice
slug: monnaie-locale-luciole
lang: {lang}
title: "{title}"
summary: {summary}
themes: [social-currency, social-finance, food-sovereignty]
territory:
  name: Val de Drôme
  street: 8 rue Sadi Carnot
  locality: Crest
  postal_code: "26400"
  country: France
  latitude: 44.7282
  longitude: 5.0224
stakeholders:
  - name: Association La Luciole
    role: {role}
    url: https://luciole.example
  - name: Crédit coopératif
    role: {role2}
needs: "{needs}"
resources:
  - label: {grant}
    monetary: true
    origin: public
  - label: {volunteers}
    monetary: false
    origin: private
results: "{results}"
lessons: "{lessons}"
transferability: "{transferability}"
contact:
  name: Camille Martin
  email: contact@luciole.example
  url: https://luciole.example/contact
license: https://creativecommons.org/licenses/by-sa/4.0/
attachments:
  - url: https://luciole.example/media/billets.jpg
    alt: {alt}
  - url: https://luciole.example/media/charte.pdf
---
{body}
"""

_JOURNEY = """---
type: journey
slug: voyage-apprenant-drome-2027
lang: {lang}
title: "{title}"
summary: {summary}
themes: [food-sovereignty, social-currency]
cycle: cycle-2027-2028
start: 2027-05-20 09:30
end: 2027-05-21 16:30
timezone: Europe/Paris
location:
  name: La Fabrique du Val
  street: 8 rue Sadi Carnot
  postal_code: "26400"
  locality: Crest
  country: France
  latitude: 44.7286
  longitude: 5.0231
online: https://visio.example/voyage-drome-2027
programme:
  - time: "09:30"
    end: "10:15"
    title: {welcome}
    host: Réseau ESS Drôme
  - time: "10:30"
    end: "12:30"
    title: {visit}
    host: Les Paysans du Val
    place: Ferme de la Clastre, Crest
capacity: 30
join_mode: restricted
status: confirmed
attachments:
  - url: https://reseau-ess-drome.example/media/clastre.jpg
    alt: {alt}
---
{body}
"""

_OUTCOME = """---
type: outcome
slug: bilan-voyage-drome-2027
lang: {lang}
journey: voyage-apprenant-drome-2027
title: "{title}"
summary: {summary}
themes: [food-sovereignty]
feedback: "{feedback}"
achievements: [{a1}, {a2}, {a3}]
new_initiatives: [{initiative}]
issues: [{issue}]
goals: [{goal}]
next_steps: [{step}]
participants:
  - name: Réseau ESS Drôme
    url: https://reseau-ess-drome.example
  - name: Pôle ESS Pays basque
attachments:
  - url: https://reseau-ess-drome.example/media/restitution.jpg
    alt: {alt}
---
{body}
"""

_DRAFTS = {
    ("practice", "fr"): _PRACTICE.format(
        lang="fr", title="La Luciole : une monnaie locale au service des producteurs",
        summary="Depuis 2019, 140 commerces acceptent la Luciole. Les euros échangés garantissent des prêts.",
        role="émet la monnaie", role2="tient le fonds de garantie",
        needs="Les commerces de proximité ferment et l'épargne part **loin du territoire**.",
        grant="Subvention de démarrage de la Région", volunteers="Bénévolat de 40 personnes",
        results="80 000 lucioles en circulation.", lessons="Commencer par les producteurs.",
        transferability="Transposable à tout bassin de vie de 30 000 habitants.",
        alt="Billets de lucioles sur l'étal d'un maraîcher", body="## Une monnaie pour le territoire\n\nLe récit."),
    ("practice", "en"): _PRACTICE.format(
        lang="en", title="The Luciole: a local currency serving producers",
        summary="Since 2019, 140 shops accept the Luciole. The euros exchanged guarantee loans.",
        role="issues the currency", role2="holds the guarantee fund",
        needs="Local shops were closing and savings went **far from the territory**.",
        grant="Start-up grant from the Region", volunteers="40 volunteers",
        results="80,000 lucioles in circulation.", lessons="Start with the producers.",
        transferability="Can be reproduced in any area of 30,000 inhabitants.",
        alt="Luciole notes on a market gardener's stall", body="## A currency for the territory\n\nThe story."),
    ("journey", "fr"): _JOURNEY.format(
        lang="fr", title="Voyage apprenant en Drôme", summary="Deux jours chez les coopératives de la vallée.",
        welcome="Accueil et tour de table", visit="Visite de la ferme de la Clastre",
        alt="Le hangar de la ferme", body="## Pourquoi ce voyage\n\nPour aller voir sur place."),
    ("journey", "en"): _JOURNEY.format(
        lang="en", title="Learning journey in the Drôme", summary="Two days with the valley's cooperatives.",
        welcome="Welcome and introductions", visit="Visit of the Clastre farm",
        alt="The farm's shed", body="## Why this journey\n\nTo go and see for ourselves."),
    ("outcome", "fr"): _OUTCOME.format(
        lang="fr", title="Compte rendu du voyage en Drôme", summary="Ce que les réseaux ont vu et décidé.",
        feedback="Les observateurs ont décrit **sans évaluer** ce qu'ils ont vu.",
        a1="Un groupement d'achat solidaire", a2="Une légumerie coopérative", a3="Un fonds de garantie",
        initiative="Une épicerie itinérante", issue="Le prix juste", goal="Relier monnaie et alimentation",
        step="Voyage retour au Pays basque", alt="Les participants en cercle", body="Le récit de la rencontre."),
    ("outcome", "en"): _OUTCOME.format(
        lang="en", title="Report of the Drôme journey", summary="What the networks saw and decided.",
        feedback="The observers described **without evaluating** what they saw.",
        a1="A solidarity purchasing group", a2="A cooperative vegetable unit", a3="A guarantee fund",
        initiative="A travelling grocery", issue="The fair price", goal="Link currency and food",
        step="Return journey to the Basque Country", alt="The participants in a circle",
        body="The story of the meeting."),
}


@dataclass(frozen=True)
class Example:
    kind: str
    lang: str
    text: str
    meta: dict[str, Any]
    body: str
    source: str  # the file it came from, or "tests/support/examples.py"

    @property
    def slug(self) -> str:
        return str(self.meta["slug"])

    @property
    def iri(self) -> str:
        """Its IRI on the test node (http://node.test)."""
        return f"http://node.test/{self.kind}s/{self.slug}"


def example(kind: str, lang: str) -> Example:
    """docs/examples/KIND.LANG.md when both languages of that kind are there, else our draft."""
    paths = [EXAMPLES_DIR / f"{kind}.{other}.md" for other in LANGS]
    if all(p.is_file() for p in paths):
        path = EXAMPLES_DIR / f"{kind}.{lang}.md"
        text, source = path.read_text(encoding="utf-8"), str(path)
    else:
        text, source = _DRAFTS[(kind, lang)], __file__
    post = frontmatter.loads(text)
    return Example(kind=kind, lang=lang, text=text, meta=dict(post.metadata), body=post.content, source=source)


def examples() -> dict[tuple[str, str], Example]:
    """Every example; an outcome example written for another journey is replaced by our draft."""
    found = {(kind, lang): example(kind, lang) for kind in KINDS for lang in LANGS}
    journey_slug = found[("journey", "fr")].slug
    if any(found[("outcome", lang)].meta.get("journey") != journey_slug for lang in LANGS):
        for lang in LANGS:
            text = _DRAFTS[("outcome", lang)].replace("journey: voyage-apprenant-drome-2027",
                                                      f"journey: {journey_slug}")
            post = frontmatter.loads(text)
            found[("outcome", lang)] = Example("outcome", lang, text, dict(post.metadata), post.content, __file__)
    return found


async def publish_examples(app: Application, author: str = "admin") -> dict[tuple[str, str], Example]:
    """Publish every example (French first, then the English translation), journeys before outcomes."""
    db = app[DB]
    actor = await get_actor(db, author)
    assert actor is not None
    found = examples()
    for kind in KINDS:
        for lang in LANGS:
            draft = parse_markdown(found[(kind, lang)].text, default_lang="fr")
            await publish(db, app[URLS], network="reseau", author=actor, draft=draft)
    return found


async def get_page(client: TestClient, path: str, **headers: str) -> str:
    """The HTML page at `path` (200 expected), as a browser asks for it."""
    resp = await client.get(path, headers={"Accept": "text/html", **headers})
    assert resp.status == 200, await resp.text()
    assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    return await resp.text()
