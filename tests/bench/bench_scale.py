"""Benchmark 4, scale: a node holding 1,000,000 stored remote objects, searched. Measured: start-up of
`maillage serve` until /healthz answers (< 3 s), a practice's page with its replies (p95 < 30 ms, one
request at a time), search over HTTP (p95 < 50 ms, one request at a time), the resident memory of the
serving process afterwards (< 200 MB), and database bytes per stored object, search index included.

The objects are peers' practices, journeys and outcomes (60/25/15 %), in French, English and Spanish
(55/25/20 %, one in eight in two languages), from 300 nodes, kept as `remote_content.keep_fetched` and
`search.index_remote` keep them: the raw document in `remote_objects`, the parsed rows in
`remote_content`, `remote_translations` and `remote_tags`, and the search index: `search_entries` by
node/search.py's own INDEX_ENTRIES statement run over each bulk chunk, `search_fts` with the text
INDEX_TEXT derives (made by the generator: INDEX_TEXT in SQL costs three times the FTS5 insert itself).
One object in 5,000 is instead a Note replying to one of the node's practices (an approved comment,
shown on its page). The first SAMPLE objects are stored through the node's own code (keep_fetched, then
index_remote), and the generator must have made exactly the same rows for them, search index included,
or the benchmark stops: the bulk rows are the node's rows. A rare word, RARE, is in RARE_ITEMS of those.

Text: about 8,500 words (330 common ones a language, their plurals and words derived from them with
suffixes, accents included) drawn with a Zipf distribution, so that some words are in a fifth of the
items and others in a few thousand; and names of places and organisations made of syllables, a long
tail of rare words. Texts are short so that a million fit in the time (a title of 5 words, a summary of
about 14, a body of about 40, some 30 in the structured fields): real write-ups are longer, and their
index bigger. A second process makes the rows while this one writes them.

Search: a fixed set of queries (a common word, the rare word, an accented word typed without its
accents, two words, a language filter, a type filter, a word nothing contains), each asked as JSON and
as the HTML page, one request at a time, after a warm-up round; every answer is checked (the rare word
must return exactly its items, filters must hold...): an error page is not a search. Each URL has a
parameter search ignores, different every time, so that node/response_cache.py never answers.

Generation stops at BENCH_SCALE_SECONDS (default 160) if 1,000,000 does not fit, or when less than 3 GB of
disk is left (a million objects take about 8 GB), and the figures say at which size they were measured.
BENCH_SCALE_OBJECTS sets the size. Run: `python -m tests.bench.bench_scale`.
"""
import asyncio
import json
import multiprocessing
import os
import random
import shutil
import sqlite3
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

from node import remote_content, search
from node.clock import iso
from node.db import Database
from protocol.jsonld import AS_PUBLIC
from tests.bench.bench_read import PRACTICES, seed
from tests.bench.harness import (
    AS2,
    Req,
    clock,
    heading,
    info,
    maillage_serve,
    new_node,
    note,
    percentile,
    result,
    run_load,
    workdir,
)
from tests.support.ports import free_port

OBJECTS = int(os.environ.get("BENCH_SCALE_OBJECTS", "1000000"))
GENERATE_SECONDS = float(os.environ.get("BENCH_SCALE_SECONDS", "160"))
DISK_RESERVE = 3_000_000_000  # bytes left free: a million objects take ~8 GB; a small disk stops generation early
CHUNK = 25_000
SAMPLE = 100  # objects 1..SAMPLE are stored through the node's code, and must match the bulk rows
REPLY_EVERY = 5_000  # one stored object in 5,000 is a Note replying to one of the node's practices
HOSTS = 300
AUTHORS = 40  # per node
TRANSLATED = 0.12
PAGE_REQUESTS = 400
SEARCH_ROUNDS = 15  # each query, JSON and HTML, this many times after a warm-up round
RARE = "sériciculture"
RARE_ITEMS = (7, 42, 99)

# About 330 words a language, most frequent first; their plurals, then words derived from them with
# suffixes (a tail of less frequent words, as real text has), come after: 2,600 to 3,200 a language. Drawn
# with Zipf weights 1 / (rank + 3).
_FR = """
de la le et les des à en du un une pour dans que qui sur par avec est au ont pas plus ce il elle nous sont ou
se leur aux son sa ses cette mais comme aussi tout tous été fait entre sans sous chaque être très depuis dont où
même après avant deux trois autre peu bien encore ainsi lors
projet territoire habitants économie local sociale solidaire coopérative réseau association acteur emploi commune
développement formation accompagnement collectif citoyen entreprise activité jeune public service énergie
alimentation agriculture producteur marché circuit court monnaie locale transition écologique environnement
mobilité logement santé éducation culture quartier ville village rural urbain région département partenaire
bénévole salarié insertion travail compétence atelier rencontre échange participation gouvernance décision
financement subvention budget investissement épargne crédit commerce équitable consommation achat groupé
tiers-lieu jardin partagé ferme biologique compost déchet recyclage réemploi réparation vélo transport
covoiturage électricité rénovation chauffage eau forêt bois biodiversité paysage patrimoine tourisme artisanat
numérique outil plateforme donnée école enfant famille personne âgée handicap solidarité pauvreté inclusion
égalité femme migrant accueil réfugié social habitat coopératif foncier terre agricole installation paysan
maraîchage semence cantine restauration repas épicerie banque alimentaire don entraide voisin lien animation
festival musique théâtre sport mentale soin maison médicale prévention recherche université expérimentation
innovation évaluation impact résultat leçon difficulté réussite méthode démarche étape calendrier année mois
semaine journée visite apprenante délégation observateur hôte pacte engagement charte convention mairie
collectivité intercommunalité état europe politique élu fonds fondation mécénat bénévolat adhérent membre
conseil assemblée générale statut mutuelle syndicat fédération centre lieu espace salle bureau boutique
magasin entrepôt logistique livraison distribution vente prix qualité confiance relation dialogue concertation
médiation conflit besoin demande offre réponse solution problème question enjeu défi objectif priorité
stratégie plan programme action initiative expérience pratique savoir-faire transmission apprentissage parcours
accompagnatrice coordinatrice animatrice chargée mission directeur équipe groupe comité pilotage coopération
mutualisation autonomie résilience sobriété précarité chômage retraite handicapé bailleur locataire propriété
copropriété friche bâtiment chantier matériau isolation photovoltaïque éolienne méthanisation réseau chaleur
sécurité société qualification diplôme stage alternance tutorat lycée collège bibliothèque médiathèque musée
cinéma radio journal écriture lecture langue traduction interprète citoyenneté démocratie vote référendum
budget-participatif plaidoyer sensibilisation communication campagne pétition manifestation réunion séminaire
colloque conférence formateur stagiaire apprenti artisan commerçant agriculteur éleveur pêcheur boulanger
fromager vigneron brasseur menuisier couturière mécanicien infirmière médecin aide-soignante éducateur
travailleur précaire saisonnier itinérant nomade montagne littoral rivière vallée plaine île banlieue centre-ville
bourg hameau canton métropole frontière
"""
_EN = """
the of and to in a for is on that with by as are from at this be an or it was have has their its which we they
not more our all can also but been into each who these through new one two other
project territory community local economy social solidarity cooperative network association people employment
development training support resident business activity young public service energy food farming producer
market short supply chain currency transition ecological environment mobility housing health education culture
neighbourhood town village rural urban region partner volunteer worker inclusion work skill workshop meeting
exchange participation governance decision funding grant budget investment saving credit trade fair consumption
buying group third place garden shared farm organic compost waste recycling reuse repair bicycle transport
carpooling electricity renovation heating water forest wood biodiversity landscape heritage tourism craft
digital tool platform data school child family elderly disability poverty equality woman migrant refugee
welcome land farmer seed canteen meal grocery bank donation mutual aid neighbour festival music theatre sport
care clinic prevention research university experiment innovation evaluation result lesson difficulty success
method approach step calendar year month week day visit learning journey delegation observer host pact
commitment charter agreement city council municipality state europe policy elected fund foundation
sponsorship member board assembly general statute union federation centre house space room office shop
warehouse logistics delivery distribution sale price quality trust relationship dialogue consultation mediation
conflict need demand offer answer solution problem issue challenge goal priority strategy plan programme action
initiative experience practice knowledge apprenticeship pathway coordinator facilitator manager team committee
steering café cooperation pooling autonomy resilience sufficiency insecurity unemployment pension landlord
tenant ownership wasteland building site material insulation solar wind anaerobic digestion district heat safety
society qualification diploma internship mentoring college library museum cinema radio newspaper writing reading
language translation interpreter citizenship democracy referendum advocacy awareness communication campaign
petition demonstration seminar conference trainer trainee apprentice artisan shopkeeper breeder fisher baker
cheesemaker winegrower brewer carpenter seamstress mechanic nurse doctor caregiver educator seasonal itinerant
mountain coast river valley plain island suburb downtown borough hamlet county metropolis border naïve
"""
_ES = """
de la el en y los las del que a por con para un una se su sus es al como más o lo pero entre sin sobre cada
también este esta son han ha fue ser muy desde donde ya otro otra dos tres todo nuestra nuestro
proyecto territorio comunidad local economía social solidaria cooperativa red asociación persona empleo
desarrollo formación acompañamiento colectivo ciudadano empresa actividad joven público servicio energía
alimentación agricultura productor mercado circuito corto moneda transición ecológica medio ambiente movilidad
vivienda salud educación cultura barrio ciudad pueblo rural urbano región socio voluntario trabajador inclusión
trabajo competencia taller encuentro intercambio participación gobernanza decisión financiación subvención
presupuesto inversión ahorro crédito comercio justo consumo compra huerto compartido granja ecológico compost
residuo reciclaje reutilización reparación bicicleta transporte electricidad rehabilitación calefacción agua
bosque madera biodiversidad paisaje patrimonio turismo artesanía digital herramienta plataforma dato escuela
niño familia mayor discapacidad pobreza igualdad mujer migrante acogida refugiado tierra campesino semilla
comedor comida tienda banco alimento donación ayuda mutua vecino vínculo fiesta música teatro deporte cuidado
clínica prevención investigación universidad experimentación innovación evaluación resultado lección dificultad
éxito método enfoque etapa calendario año mes semana día visita aprendizaje delegación observador anfitrión
pacto compromiso carta convenio ayuntamiento municipio estado europa política electo fondo fundación miembro
consejo asamblea general estatuto sindicato federación centro casa lugar espacio sala oficina almacén
logística entrega distribución venta precio calidad confianza relación diálogo concertación mediación conflicto
necesidad demanda oferta respuesta solución problema cuestión desafío objetivo prioridad estrategia plan
programa acción iniciativa experiencia práctica saber transmisión itinerario coordinadora facilitador equipo
grupo comité cooperación mutualización autonomía resiliencia sobriedad precariedad desempleo jubilación
propietario inquilino propiedad solar edificio obra material aislamiento fotovoltaica eólica biogás calor
seguridad sociedad cualificación diploma pasantía tutoría instituto biblioteca museo cine radio periódico
escritura lectura lengua traducción intérprete ciudadanía democracia referéndum incidencia sensibilización
comunicación campaña petición manifestación reunión seminario conferencia formador aprendiz artesano
comerciante agricultor ganadero pescador panadero quesero viticultor cervecero carpintero costurera mecánico
enfermera médico cuidadora educador temporero itinerante montaña costa río valle llanura isla periferia
centro-ciudad aldea comarca metrópoli frontera señal
"""
# Syllables for names of places and organisations: many distinct rare words, some with accents.
_SYLLABLES = ("bel mont vaux ro gné ca lla ter pé ri so mar cha vi lé gu sa do ña ve lo nac vil court ac ès "
              "ber ga mi to plu qué za ar sé bro fon tal pi nu ré gar oz can").split()
_REGIONS = ("Occitanie Bretagne Normandie Auvergne Provence Alsace Wallonie Bruxelles Québec Ontario Andalucía "
            "Cataluña Galicia Aragón Navarra Oaxaca Chiapas Antioquia Cusco Valparaíso Wales Yorkshire Cornwall "
            "Piémont Savoie Lorraine Picardie Gascogne").split()
_COUNTRIES = {"fr": ("FR", "BE", "CA", "CH"), "en": ("GB", "IE", "CA", "US"), "es": ("ES", "MX", "CO", "PE", "CL")}
_ORGS = {"fr": ("Association", "Coopérative", "Collectif", "Régie de quartier", "Mairie de"),
         "en": ("Association", "Cooperative", "Community trust", "Council of", "Friends of"),
         "es": ("Asociación", "Cooperativa", "Colectivo", "Ayuntamiento de", "Red de")}
_THEMES = ("economie-circulaire emploi alimentation energie mobilite logement sante education culture "
           "agriculture monnaie-locale finance-solidaire inclusion numerique environnement tourisme "
           "commerce-equitable gouvernance jeunesse egalite").split()
_TYPES = (("practice", 0.60), ("journey", 0.25), ("outcome", 0.15))
_LANGS = (("fr", 0.55), ("en", 0.25), ("es", 0.20))
_CONTEXT = ["https://www.w3.org/ns/activitystreams", {"@language": "und"}]


def _plural(lang: str, word: str) -> str | None:
    if word.endswith(("s", "x", "z")) or "-" in word:
        return None
    if lang == "fr":
        return word[:-2] + "aux" if word.endswith("al") else word + ("x" if word.endswith("eau") else "s")
    if lang == "en":
        return word[:-1] + "ies" if word.endswith("y") and word[-2] not in "aeiou" else word + "s"
    if word.endswith("ión"):
        return word[:-3] + "iones"
    return word + ("s" if word[-1] in "aeiouéáó" else "es")


_SUFFIXES = {"fr": ("age", "isme", "iste", "ité", "ement", "eur", "rice", "ation"),
             "en": ("ing", "ism", "ist", "ity", "ment", "er", "ness", "ation"),
             "es": ("aje", "ismo", "ista", "idad", "miento", "ero", "ora", "ación")}


def _vocabulary(lang: str, text: str) -> list[str]:
    words = list(dict.fromkeys(text.split()))
    plurals = [p for p in (_plural(lang, w) for w in words[60:]) if p and p not in words]
    known = set(words + plurals)
    stems = [w.rstrip("aeiouyéáíó") for w in words[60:] if len(w) >= 5 and "-" not in w]
    derived = [w for w in dict.fromkeys(stem + end for stem in stems for end in _SUFFIXES[lang]) if w not in known]
    random.Random(lang).shuffle(derived)
    return words + plurals + derived


VOCABULARY = {lang: _vocabulary(lang, text) for lang, text in (("fr", _FR), ("en", _EN), ("es", _ES))}


class Words:
    """Zipf-distributed words of one language, drawn once into fragments of 2 to 6 words; a text is a few
    fragments picked at random (cheap enough for a million items, and no two texts alike)."""

    def __init__(self, words: Sequence[str], rng: random.Random, fragments: int, longest: int = 6) -> None:
        drawn = rng.choices(words, [1 / (rank + 3) for rank in range(len(words))], k=fragments * longest)
        sizes = [rng.randrange(2, longest + 1) for _ in range(fragments)]
        starts = [0]
        for size in sizes[:-1]:
            starts.append(starts[-1] + size)
        self.pool = [" ".join(drawn[start:start + size]) for start, size in zip(starts, sizes, strict=True)]
        self.random = rng.random

    def take(self, fragments: int) -> str:
        pool, count, random_ = self.pool, len(self.pool), self.random
        return " ".join([pool[int(random_() * count)] for _ in range(fragments)])

    def sentence(self, fragments: int) -> str:
        text = self.take(fragments)
        return text[0].upper() + text[1:] + "."


@dataclass
class Item:
    """One stored object: its document as the peer serves it, and the rows the node keeps for it."""

    n: int
    iri: str
    document: dict[str, Any] | None  # kept for the sample only
    raw: tuple[Any, ...]  # remote_objects
    content: tuple[Any, ...] = ()  # remote_content, in CONTENT_COLUMNS order
    translations: list[tuple[Any, ...]] = field(default_factory=list)
    tags: list[tuple[Any, ...]] = field(default_factory=list)
    index: list[tuple[str, ...]] = field(default_factory=list)  # search_fts text per language, with iri and lang
    comment: tuple[Any, ...] = ()  # comments, for a reply


CONTENT_COLUMNS = ("id", "kind", "as_type", "origin", "attributed_to", "audience", "url", "default_lang", "fields",
                   "in_reply_to", "context", "replies", "published_at", "updated_at", "iri", "received_at",
                   "refreshed_at")
FTS_COLUMNS = ("title", "summary", "body", "details", "territory", "node")
INSERT_CONTENT = f"INSERT INTO remote_content ({', '.join(CONTENT_COLUMNS)}) VALUES ({', '.join('?' * 17)})"
INSERT_TRANSLATION = ("INSERT INTO remote_translations (content_id, lang, title, summary, content_html)"
                      " VALUES (?, ?, ?, ?, ?)")
INSERT_TAG = "INSERT INTO remote_tags (content_id, name) VALUES (?, ?)"
INSERT_RAW = ("INSERT INTO remote_objects (iri, type, attributed_to, in_reply_to, document, received_at)"
              " VALUES (?, ?, ?, ?, ?, ?)")
INSERT_COMMENT = ("INSERT INTO comments (iri, root_iri, in_reply_to, author_iri, state, created_at)"
                  " VALUES (?, ?, ?, ?, 'approved', ?)")
# node/search.py's entries statement over a range of remote_content ids (the migration runs it over all).
INDEX_ENTRIES = search.INDEX_ENTRIES.format(local="0", remote="c.id BETWEEN ? AND ?")
# The text of each entry, as node/search.py's INDEX_TEXT derives it from the rows (checked on the sample):
# INDEX_TEXT's tag stripping and JSON walk in SQL cost three times the FTS5 insert itself, too slow for a
# million. Rows go in by increasing rowid, as the node's one-at-a-time inserts do: FTS5 flushes its
# pending terms whenever a rowid goes back, and the writes triple.
INSERT_FTS = f"INSERT INTO search_fts (rowid, {', '.join(FTS_COLUMNS)}) VALUES (?, {', '.join('?' * len(FTS_COLUMNS))})"


def _tags_to_spaces(html: str) -> str:
    """What INDEX_TEXT makes of our bodies: every tag a space (they hold no entity)."""
    return html.replace("</p>", " ").replace("<p>", " ")


class Generator:
    """Objects 0, 1, 2... in order (the text depends on the order: generate each once, in sequence)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.rng = rng = random.Random(4)
        self.random = rng.random
        share = dict(_LANGS)
        self.words = {lang: Words(VOCABULARY[lang], rng, int(800_000 * share[lang])) for lang in VOCABULARY}
        self.names = {lang: Words(VOCABULARY[lang][60:], rng, 50_000, longest=3) for lang in VOCABULARY}
        self.places = [self._name(rng) for _ in range(40_000)]
        self.journeys: dict[str, str] = {}
        self.rare: set[str] = set()  # the IRIs of the objects whose text has RARE
        self.received = iso()

    @staticmethod
    def _name(rng: random.Random) -> str:
        return "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 3, 3, 4)))).capitalize()

    def _int(self, low: int, high: int) -> int:
        return low + int(self.random() * (high - low))

    def _pick(self, seq: Sequence[Any]) -> Any:
        return seq[int(self.random() * len(seq))]

    def _weighted(self, choices: Sequence[tuple[str, float]]) -> str:
        r = self.random()
        for value, weight in choices:
            r -= weight
            if r < 0:
                return value
        return choices[-1][0]

    def item(self, n: int, *, keep: bool = False) -> Item:
        host = f"n{n % HOSTS}.example"
        author = f"https://{host}/users/u{n // HOSTS % AUTHORS}"
        if n % REPLY_EVERY == 0:
            return self._reply(n, author, keep)
        kind, lang = self._weighted(_TYPES), self._weighted(_LANGS)
        langs = [lang] + ([self._pick([x for x, _ in _LANGS if x != lang])] if self.random() < TRANSLATED else [])
        iri = f"https://{host}/{kind}s/{kind[0]}{n}"
        published = f"20{self._int(19, 26)}-{self._int(1, 13):02d}-{self._int(1, 29):02d}T10:00:00Z"
        titles, summaries, bodies = {}, {}, {}
        for x in langs:
            words = self.words[x]
            titles[x] = self.names[x].sentence(2)[:-1]
            summaries[x] = words.sentence(self._int(3, 5))
            paragraphs = [f"{words.sentence(self._int(2, 4))} {words.sentence(self._int(2, 4))}" for _ in range(2)]
            if n in RARE_ITEMS:
                paragraphs[1] += f" {RARE.capitalize()} {words.take(1)}."
                self.rare.add(iri)
            bodies[x] = f"<p>{paragraphs[0]}</p><p>{paragraphs[1]}</p>"
        fields, details, territory = self._fields(kind, lang, host)
        themes = sorted({self._pick(_THEMES) for _ in range(self._int(1, 4))})
        as_type = "Event" if kind == "journey" else "Article"
        doc: dict[str, Any] = {
            "@context": _CONTEXT, "id": iri, "type": as_type, "attributedTo": author,
            "audience": f"https://{host}/users/reseau", "url": iri, "published": published,
            "to": [AS_PUBLIC], "cc": [f"https://{host}/users/reseau/followers"],
            "name": titles[lang], "nameMap": titles, "summary": summaries[lang], "summaryMap": summaries,
            "content": bodies[lang], "contentMap": bodies,
            "tag": [{"type": "Hashtag", "name": f"#{t}", "href": f"https://{host}/tags/{t}"} for t in themes],
            **fields,
        }
        reply_to = fields.get("inReplyTo")
        item = Item(n, iri, doc if keep else None, (iri, as_type, author, reply_to, json.dumps(doc), self.received))
        item.content = (n, kind, as_type, host, author, doc["audience"], iri, lang,
                        json.dumps(fields, ensure_ascii=False), reply_to, fields.get("context"), None, published,
                        None, iri, self.received, self.received)
        item.translations = [(n, x, titles[x], summaries[x], bodies[x]) for x in langs]
        item.tags = [(n, t) for t in themes]
        # The details column starts with the themes, as INDEX_TEXT puts them (a space on each side).
        themed = f" {' '.join(themes)} " + (f" {details}" if details else "")
        item.index = [(iri, x, titles[x], summaries[x], _tags_to_spaces(bodies[x]), themed, territory,
                       search.node_token(host)) for x in langs]
        if kind == "journey":
            self.journeys[host] = iri
        return item

    def _place(self, lang: str) -> tuple[dict[str, Any], str]:
        """A Place, and its words as the index's territory column has them."""
        name, locality, region, country = (self._pick(self.places), self._pick(self.places), self._pick(_REGIONS),
                                           self._pick(_COUNTRIES[lang]))
        return ({"type": "Place", "name": name, "address": {"type": "PostalAddress", "addressLocality": locality,
                                                            "addressRegion": region, "addressCountry": country}},
                f"{name} {locality} {region} {country}")

    def _org(self, lang: str) -> str:
        return f"{self._pick(_ORGS[lang])} {self._pick(self.places)}"

    def _fields(self, kind: str, lang: str, host: str) -> tuple[dict[str, Any], str, str]:
        """The structured terms, as protocol.remote_content.build_fields writes them back (remote_content.fields),
        and the index's details and territory columns for them."""
        words = self.words[lang]
        if kind == "practice":
            place, territory = self._place(lang)
            stakeholders = [{"type": "Organization", "name": self._org(lang), "role": {lang: words.take(1)}}
                            for _ in range(self._int(1, 3))]
            sections = {name: {lang: words.sentence(self._int(2, 4))} for name in ("needs", "results", "lessons")}
            details = [text for s in stakeholders for text in (s["name"], s["role"][lang])]
            details += [s[lang] for s in sections.values()]
            return {"location": place, "stakeholders": stakeholders, **sections}, " ".join(details), territory
        if kind == "journey":
            place, territory = self._place(lang)
            return {
                "startTime": f"202{self._int(4, 7)}-{self._int(1, 13):02d}-{self._int(1, 29):02d}T09:00:00+01:00",
                "timezone": "Europe/Paris", "joinMode": "free", "participantCount": self._int(0, 40),
                "ical:status": "CONFIRMED", "status": "CONFIRMED", "isOnline": False, "commentsEnabled": True,
                "repliesModerationOption": "allow_all", "anonymousParticipationEnabled": False, "draft": False,
                "category": "MEETING", "inLanguage": lang, "location": place,
            }, "MEETING", territory
        journey = self.journeys.get(host, f"https://{host}/journeys/j0")
        participants = [{"type": "Organization", "name": self._org(lang)} for _ in range(self._int(1, 4))]
        achievements = [words.sentence(self._int(1, 3)) for _ in range(2)]
        next_steps = [words.sentence(self._int(1, 3))]
        feedback = words.sentence(self._int(2, 4))
        details = [*achievements, *next_steps, feedback, *(p["name"] for p in participants)]
        return {
            "context": journey, "inReplyTo": journey, "achievements": {lang: achievements},
            "nextSteps": {lang: next_steps}, "feedback": {lang: feedback}, "participants": participants,
            "participantCount": len(participants),
        }, " ".join(details), ""

    def _reply(self, n: int, author: str, keep: bool) -> Item:
        iri = f"{author}/statuses/{n}"
        root = f"{self.base_url}/practices/pratique-{(n // REPLY_EVERY) % PRACTICES}"
        doc = {"@context": _CONTEXT[0], "id": iri, "type": "Note", "attributedTo": author, "inReplyTo": root,
               "published": self.received, "url": iri, "to": [AS_PUBLIC], "cc": [f"{author}/followers"],
               "content": f"<p>Réponse {n} : {self.words['fr'].sentence(3)}</p>"}
        item = Item(n, iri, doc if keep else None, (iri, "Note", author, root, json.dumps(doc), self.received))
        item.comment = (iri, root, root, author, self.received)
        return item


# A chunk as the generating process hands it over, plain lists of row tuples (cheap to pickle):
# remote_content, remote_translations, remote_tags, remote_objects, comments, and the search text.
Chunk = tuple[list[tuple[Any, ...]], ...]


def chunk_rows(items: list[Item]) -> Chunk:
    content = [i for i in items if i.content]
    return ([i.content for i in content], [t for i in content for t in i.translations],
            [t for i in content for t in i.tags], [i.raw for i in items], [i.comment for i in items if i.comment],
            [row for i in content for row in i.index])


def write(conn: sqlite3.Connection, chunk: Chunk) -> None:
    """One transaction: the rows of a chunk, then their search index (entries by node/search.py's statement)."""
    content, translations, tags, raw, comments, index = chunk
    conn.execute("BEGIN")
    conn.executemany(INSERT_CONTENT, content)
    conn.executemany(INSERT_TRANSLATION, translations)
    conn.executemany(INSERT_TAG, tags)
    conn.executemany(INSERT_RAW, raw)
    conn.executemany(INSERT_COMMENT, comments)
    if content:
        last = conn.execute("SELECT COALESCE(max(id), 0) FROM search_entries").fetchone()[0]
        conn.execute(INDEX_ENTRIES, (content[0][0], content[-1][0]))
        ids = {(iri, lang): id_ for id_, iri, lang in conn.execute(
            "SELECT id, iri, lang FROM search_entries WHERE id > ?", (last,))}
        conn.executemany(INSERT_FTS, sorted((ids[row[0], row[1]], *row[2:]) for row in index))
    conn.execute("COMMIT")


def produce(base_url: str, out: Any, stop: Any) -> None:
    """The generating process: objects 1..SAMPLE again (the parent stored them; this brings the random
    state to where it left it), then object 0 and SAMPLE + 1..OBJECTS - 1 in chunks, then None."""
    try:
        gen = Generator(base_url)
        for n in range(1, SAMPLE + 1):
            gen.item(n)
        numbers = [0, *range(SAMPLE + 1, OBJECTS)]
        for first in range(0, len(numbers), CHUNK):
            if stop.is_set():
                break
            out.put(chunk_rows([gen.item(n) for n in numbers[first:first + CHUNK]]))
    finally:
        out.put(None)


async def store_sample(db_path: Path, items: list[Item]) -> None:
    """Store `items` as the node does (`keep_fetched` then `index_remote`, as re-sharing does), and check
    that their rows, search index included, are the ones the bulk generator writes."""
    db = await Database.open(db_path)
    try:
        async with db.transaction() as tx:
            for item in items:
                assert item.document is not None
                assert await remote_content.keep_fetched(tx, item.iri, item.document), item.iri
                await search.index_remote(tx, item.iri)
        for item in items:
            row = await db.fetch_one(f"SELECT {', '.join(CONTENT_COLUMNS)} FROM remote_content WHERE iri = ?",
                                     (item.iri,))
            got, want = dict(zip(CONTENT_COLUMNS, row, strict=True)), dict(zip(CONTENT_COLUMNS, item.content,
                                                                               strict=True))
            for name in ("received_at", "refreshed_at"):
                got.pop(name), want.pop(name)
            got["fields"], want["fields"] = json.loads(got["fields"]), json.loads(want["fields"])
            checks = [
                (got, want),
                ([tuple(t) for t in await db.fetch_all(
                    "SELECT content_id, lang, title, summary, content_html FROM remote_translations"
                    " WHERE content_id = ? ORDER BY lang", (item.n,))], sorted(item.translations)),
                ([tuple(t) for t in await db.fetch_all(
                    "SELECT content_id, name FROM remote_tags WHERE content_id = ? ORDER BY name", (item.n,))],
                 sorted(item.tags)),
                (tuple(await db.fetch_one("SELECT iri, type, attributed_to, in_reply_to, document FROM remote_objects"
                                          " WHERE iri = ?", (item.iri,))), item.raw[:5]),
                ([tuple(t) for t in await db.fetch_all(
                    f"SELECT e.iri, e.lang, {', '.join('f.' + c for c in FTS_COLUMNS)} FROM search_entries e"
                    " JOIN search_fts f ON f.rowid = e.id WHERE e.iri = ? ORDER BY e.lang", (item.iri,))],
                 sorted(item.index)),
            ]
            for got_rows, want_rows in checks:
                assert got_rows == want_rows, f"bulk rows differ from the node's ({item.iri}):\n{got_rows}\n{want_rows}"
    finally:
        await db.close()


async def generate(db_path: Path, base_url: str) -> tuple[int, float, set[str]]:
    """(objects stored, seconds, IRIs of the objects with the rare word): the sample through the node's
    code, then bulk chunks until OBJECTS or GENERATE_SECONDS. Another process makes the chunks while
    this one writes them, so both cores work (a thread would fight SQLite's calls for the GIL)."""
    t0 = clock()
    gen = Generator(base_url)
    info(f"vocabulary: {', '.join(f'{lang} {len(w)}' for lang, w in VOCABULARY.items())} words, and"
         f" {len(gen.places):,} place names ({clock() - t0:.1f}s)")
    await store_sample(db_path, [gen.item(n, keep=True) for n in range(1, SAMPLE + 1)])
    context = multiprocessing.get_context("spawn")
    chunks, stop = context.Queue(maxsize=2), context.Event()
    producer = context.Process(target=produce, args=(base_url, chunks, stop), daemon=True)
    producer.start()
    stored = SAMPLE
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        # Bulk writes without a journal (the file is written once, not WAL then checkpoint); the node
        # opens it in WAL mode again.
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-1000000")  # 1 GB: index pages stay in memory between chunks
        while (chunk := chunks.get()) is not None:
            write(conn, chunk)
            count = len(chunk[3])
            stored += count
            if stored // 250_000 != (stored - count) // 250_000:
                info(f"{stored:,} objects stored ({clock() - t0:.0f}s)")
            if clock() - t0 > GENERATE_SECONDS or shutil.disk_usage(db_path.parent).free < DISK_RESERVE:
                stop.set()
                while chunks.get() is not None:  # let the producer finish its chunk and end
                    pass
                break
        conn.execute("PRAGMA journal_mode=WAL")
    finally:
        conn.close()
        stop.set()
    producer.join(10)
    if producer.exitcode:
        raise RuntimeError(f"the generating process failed (exit code {producer.exitcode})")
    return stored, clock() - t0, gen.rare


# Search: each query kind with what its answer must show.

def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()


def _texts(r: dict[str, Any]) -> str:
    return " ".join((r["title"], r["summary"], r["snippet"]))


@dataclass(frozen=True)
class Query:
    kind: str
    params: dict[str, str]

    def check(self, answer: dict[str, Any], rare_iris: set[str]) -> None:
        """Raise when the answer is not what this query must find (on a million objects)."""
        total, results = answer["total"], answer["results"]
        what = f"{self.kind} {self.params}: total {total}, {len(results)} results"
        if self.kind == "no match":
            assert total == 0 and not results, what
            return
        assert results and total >= len(results), what
        if self.kind == "common word":  # past COUNT_LIMIT: counted up to it, newest first
            assert total == search.COUNT_LIMIT + 1 and len(results) == search.PAGE_SIZE, what
        if self.kind == "rare word":
            assert {r["iri"] for r in results} == rare_iris and total == len(rare_iris), what
        if self.kind == "accents omitted":
            assert all("electricit" in _fold(_texts(r)) for r in results), what
            assert any("électricit" in _texts(r).lower() for r in results), what
        if self.kind == "two words":
            assert all("eolien" in _fold(_texts(r)) or "citoyen" in _fold(_texts(r)) for r in results), what
        if self.kind == "language filter":
            assert all(r["language"] == self.params["language"] for r in results), what
        if self.kind == "type filter":
            assert all(r["type"] == self.params["type"] for r in results), what
        if self.kind.startswith("node filter"):  # one node of HOSTS: its own items only
            assert all(r["node"] == self.params["node"] for r in results), what
        if self.kind == "node filter":  # a few hundred of its items match: counted and ranked
            assert total <= search.COUNT_LIMIT, what


QUERIES = (
    Query("common word", {"q": "projet"}),
    Query("rare word", {"q": RARE}),
    Query("accents omitted", {"q": "electricite"}),
    Query("two words", {"q": "éolienne citoyenne"}),
    Query("language filter", {"q": "transition", "language": "en"}),
    Query("type filter", {"q": "territoire", "type": "journey"}),
    Query("node filter", {"q": "projet", "node": "n34.example"}),
    Query("node filter, prefix", {"q": "pro", "node": "n146.example"}),
    Query("no match", {"q": "zyxquorbl"}),
)


def rare_pages(db: Path, rare_iris: set[str]) -> set[str]:
    """Where search pages link the rare items: a peer's item to its page here (node/web/remote_items.py)."""
    with sqlite3.connect(db) as conn:
        found = dict(conn.execute(f"SELECT iri, id FROM remote_content WHERE iri IN ({','.join('?' * len(rare_iris))})",
                                  sorted(rare_iris)).fetchall())
    return {f"/remote/{found[iri]}" if iri in found else iri for iri in rare_iris}


async def measure_search(base: str, rare_iris: set[str],
                         rare_links: set[str]) -> tuple[dict[tuple[str, str], list[float]], dict[str, int]]:
    """Seconds per request, by (query kind, "JSON" or "HTML"), one request at a time; the first round
    warms up and is not counted. Every answer is checked (a page by `rare_links`, where it links them).
    Each URL carries a parameter search ignores, different every time, so that node/response_cache.py
    (which keeps anonymous HTML pages up to 30 s) never answers: this measures the search, not the cache."""
    times: dict[tuple[str, str], list[float]] = {}
    totals: dict[str, int] = {}
    formats = (("JSON", {"Accept": "application/json"}), ("HTML", {"Accept": "text/html"}))
    async with aiohttp.ClientSession() as session:
        for round_ in range(SEARCH_ROUNDS + 1):
            for query in QUERIES:
                for name, headers in formats:
                    url = f"{base}/search?{urlencode({**query.params, 'bench': f'{round_}-{name}'})}"
                    t0 = clock()
                    async with session.get(url, headers=headers) as resp:
                        body = await resp.read()
                    elapsed = clock() - t0
                    assert resp.status == 200, (url, name, resp.status, body[:500])
                    if name == "JSON":
                        answer = json.loads(body)
                        query.check(answer, rare_iris)
                        totals[query.kind] = answer["total"]
                    elif query.kind == "rare word":
                        assert all(f'href="{link}"'.encode() in body for link in rare_links), (
                            url, "HTML misses the rare items")
                    if round_:
                        times.setdefault((query.kind, name), []).append(elapsed)
    return times, totals


def db_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())


def table_bytes(path: Path) -> dict[str, int]:
    """Bytes per table, its indexes included (the dbstat virtual table), for the storage line."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT COALESCE(m.tbl_name, d.name), sum(d.pgsize) FROM dbstat d"
                            " LEFT JOIN sqlite_master m ON m.name = d.name GROUP BY 1").fetchall()
    except sqlite3.OperationalError:  # SQLite built without dbstat
        return {}
    finally:
        conn.close()
    return dict(rows)


async def main() -> None:
    heading(f"4. Scale: {OBJECTS:,} stored remote objects, searched")
    with workdir("bench-scale-") as root:
        port = free_port()
        config = await new_node(root / "node", port)
        await seed(config.database_path, config.base_url)
        before = db_bytes(config.database_path)
        stored, generated, rare_iris = await generate(config.database_path, config.base_url)
        total_bytes = db_bytes(config.database_path)
        per_object = (total_bytes - before) / stored
        tables = table_bytes(config.database_path)
        fts = sum(v for k, v in tables.items() if k.startswith("search_"))
        info(f"generated {stored:,} objects in {generated:.1f}s ({stored / generated:,.0f}/s);"
             f" database {total_bytes / 1e6:,.0f} MB, of which search index {fts / 1e6:,.0f} MB")
        size = f"{stored:,} objects" + ("" if stored == OBJECTS else f" (budget reached: not {OBJECTS:,})")
        base = f"http://127.0.0.1:{port}"
        with maillage_serve(config.data_dir, port, root / "node.log") as node:
            startup = await node.wait_http(f"{base}/healthz")
            async with aiohttp.ClientSession() as session:  # the replies are on the page
                async with session.get(f"{base}/practices/pratique-0", headers={"Accept": "text/html"}) as resp:
                    page = await resp.text()
            shown = page.count("Réponse ")
            # `?v=N`, ignored by the page, makes every URL new: this measures the page, not the response cache.
            pages = (Req("GET", f"{base}/practices/pratique-{n % PRACTICES}?v={n}", {"Accept": "text/html"})
                     for n in range(PAGE_REQUESTS))
            load = await run_load(pages, concurrency=1, duration=60)
            json_pages = (Req("GET", f"{base}/practices/pratique-{n % PRACTICES}?v={n}", {"Accept": AS2})
                          for n in range(PAGE_REQUESTS))
            json_load = await run_load(json_pages, concurrency=1, duration=60)
            times, totals = await measure_search(base, rare_iris, rare_pages(config.database_path, rare_iris))
            rss, peak = node.memory_mb()
        errors = {s: n for s, n in (load.statuses + json_load.statuses).items() if s != 200}
        result("scale start-up", f"{startup:.2f}s until /healthz answers ({size})", "3 s budget", startup / 3,
               "<= 1 (< 3 s)", startup < 3)
        p95 = load.ms(95)
        result("scale item page", f"practice HTML p95 {p95:.1f} ms (p50 {load.ms(50):.1f} ms; AS2 JSON p95"
                                  f" {json_load.ms(95):.1f} ms; {shown} replies shown)",
               "30 ms budget", p95 / 30, "<= 1 (p95 < 30 ms)", p95 < 30 and not errors and shown > 0,
               f"{size}, one request at a time" + (f", errors {errors}" if errors else ""))
        every = [t for ts in times.values() for t in ts]
        by_kind = {kind: [t for (k, _), ts in times.items() if k == kind for t in ts] for kind, _ in times}
        params = {q.kind: q.params for q in QUERIES}
        for (kind, fmt), ts in times.items():
            total = totals[kind]
            how = ("more than COUNT_LIMIT: newest first" if total > search.COUNT_LIMIT else
                   "ranked by bm25" if total else "nothing")
            info(f"search {kind:16} {fmt}: p50 {percentile(ts, 50) * 1000:6.1f} ms,"
                 f" p95 {percentile(ts, 95) * 1000:6.1f} ms  {params[kind]}, {total:,} found ({how})")
        slowest = max(by_kind, key=lambda k: percentile(by_kind[k], 95))
        p95 = percentile(every, 95) * 1000
        formats = {fmt: percentile([t for (_, f), ts in times.items() if f == fmt for t in ts], 95) * 1000
                   for fmt in ("JSON", "HTML")}
        result("scale search", f"p95 {p95:.1f} ms (p50 {percentile(every, 50) * 1000:.1f} ms; JSON p95"
                               f" {formats['JSON']:.1f} ms, HTML p95 {formats['HTML']:.1f} ms; slowest kind"
                               f" '{slowest}' p95 {percentile(by_kind[slowest], 95) * 1000:.1f} ms)",
               "50 ms budget", p95 / 50, "<= 1 (p95 < 50 ms)", p95 < 50,
               f"{size}, {len(QUERIES)} query kinds x JSON and HTML x {SEARCH_ROUNDS}, one request at a time,"
               " answers checked")
        result("scale memory", f"{rss:.0f} MB resident after the page loads and searches (peak {peak:.0f} MB)",
               "200 MB budget", peak / 200, "<= 1 (< 200 MB)", peak < 200, size)
        note("scale storage", f"{per_object:,.0f} database bytes per stored object ({size}, with indexes and the"
                              f" search index: {fts / stored:,.0f} bytes of it)")


if __name__ == "__main__":
    asyncio.run(main())
