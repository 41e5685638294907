"""Search across the network: SQLite FTS5 over our items and the peers' items we hold, every language,
ranked by bm25 with the title weighted most. This is the one module with FTS5 (and JSON1) SQL: the
rest of storage stays portable, as the starting design asks (ARCHITECTURE.md).

Tokenizer: `unicode61 remove_diacritics 2`, not trigram. SQLite 3.40's trigram tokenizer cannot fold
accents (`remove_diacritics` came to it in 3.45), so "economie" would miss "économie"; the network
writes in Latin-script languages (fr, en, es, pt), where word tokens folded for case and accents, and
queried as prefixes ("cooperativ" finds "coopératives" and "cooperativa"), are what readers expect, at
about a third of trigram's index size.

The node an item comes from is a column of the FTS table too, one token per node (`node_token`): a node
filter is then one more term FTS5 intersects with the words, where filtering the words' matches by their
entries' node read every match of a common word (170-340 ms on a million entries, for a few hundred
found). The words of a query never match that column.

Index rows are derived from storage by SQL, the same statements the migration used to backfill, so an
item is indexed the same way whoever stored it: call `reindex(tx, iri)` in the transaction that changed
the item (publish, translation, update, delete); a deleted or unknown item drops out of the index.
"""

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from protocol.hashtags import THEME_KEY_SQL, theme_key
from protocol.langmap import is_lang_tag

from .db import Database, Transaction

WEIGHTS = "10.0, 4.0, 1.0, 1.5, 2.0, 0.0"  # title, summary, body, structured details, territory, node
MAX_QUERY = 200
MAX_TERMS = 12
PAGE_SIZE = 20
MAX_PAGE = 50
# Items counted, and ranked by relevance; past that, newest first. bm25 scores every match: on a million
# items, 5,000 matches took 30-45 ms to rank and to count; 1,000 keeps a search page within 20 ms.
COUNT_LIMIT = 1_000
KINDS = ("practice", "journey", "outcome")
_MARK_OPEN, _MARK_CLOSE = "\ue000", "\ue001"  # snippet highlights: characters no text contains

# The node column's one token for a host (`node_token`), in SQL: 'n' and the host's UTF-8 bytes in hex, a
# word that unicode61 keeps whole (no separator, no diacritic) and that no other host shares.
NODE_TOKEN_SQL = "'n' || lower(hex({}))"


def node_token(host: str) -> str:
    """What the FTS table's node column holds for `host` (NODE_TOKEN_SQL, in Python)."""
    return "n" + host.encode("utf-8").hex()


# One row per item and language, from our objects and the peers' content (node/remote_content.py).
_SOURCES = """src(iri, lang, kind, node, local, title, summary, html, fields, date, themes) AS (
  SELECT o.iri, t.lang, o.kind,
         lower(substr(o.iri, instr(o.iri, '://') + 3, instr(substr(o.iri, instr(o.iri, '://') + 3) || '/', '/') - 1)),
         1, t.title, t.summary, t.content_html, o.fields,
         COALESCE(json_extract(o.fields, '$.startTime'), o.published_at),
         COALESCE((SELECT ' ' || group_concat(g.name, ' ') || ' ' FROM object_tags g WHERE g.object_id = o.id), '')
  FROM objects o JOIN translations t ON t.object_id = o.id WHERE o.deleted_at IS NULL AND {local}
  UNION ALL
  SELECT c.iri, t.lang, c.kind, c.origin, 0, t.title, t.summary, t.content_html, c.fields,
         COALESCE(json_extract(c.fields, '$.startTime'), c.published_at, c.received_at),
         COALESCE((SELECT ' ' || group_concat(g.name, ' ') || ' ' FROM remote_tags g WHERE g.content_id = c.id), '')
  FROM remote_content c JOIN remote_translations t ON t.content_id = c.id WHERE c.deleted_at IS NULL AND {remote}
)"""

_TEXT = ("{v} <> '' AND {v} NOT LIKE 'http://%' AND {v} NOT LIKE 'https://%' AND {v} NOT LIKE 'mailto:%'"
         " AND {v} NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'")
# Structured strings that are codes, not words for people.
_CODES = ("'type', 'mediaType', 'timezone', 'joinMode', 'status', 'ical:status', 'origin',"
          " 'repliesModerationOption', 'inLanguage', 'email'")

INDEX_ENTRIES = "WITH " + _SOURCES + """
INSERT INTO search_entries (iri, lang, kind, node, local, title, summary, date, themes)
SELECT iri, lang, kind, node, local, title, summary, date, themes FROM src"""

# Text pieces per entry (0 title, 1 summary, 2 body, 3 details: the themes and every string of the
# structured fields but the territory, 4 territory), stripped of HTML tags and the entities our sanitizer writes.
INDEX_TEXT = "WITH RECURSIVE " + _SOURCES + """,
hit(eid, src_fields, title, summary, html, themes) AS (
  SELECT e.id, src.fields, src.title, src.summary, src.html, src.themes
  FROM src JOIN search_entries e ON e.iri = src.iri AND e.lang = src.lang
),
pieces(eid, col, s) AS (
  SELECT eid, 0, title FROM hit
  UNION ALL SELECT eid, 1, summary FROM hit
  UNION ALL SELECT eid, 2, html FROM hit
  UNION ALL SELECT eid, 3, themes FROM hit WHERE themes <> ''
  UNION ALL SELECT eid, CASE WHEN top.key = 'location' THEN 4 ELSE 3 END, top.value
    FROM hit, json_each(hit.src_fields) top
    WHERE top.type = 'text' AND top.key NOT IN (""" + _CODES + ") AND " + _TEXT.format(v="top.value") + """
  UNION ALL SELECT eid, CASE WHEN top.key = 'location' THEN 4 ELSE 3 END, j.value
    FROM hit, json_each(hit.src_fields) top, json_tree(top.value) j
    WHERE top.type IN ('object', 'array') AND j.type = 'text'
      AND (typeof(j.key) <> 'text' OR j.key NOT IN (""" + _CODES + "))\n      AND " + _TEXT.format(v="j.value") + """
),
strip(eid, col, s) AS (
  SELECT eid, col, s FROM pieces
  UNION ALL
  SELECT eid, col,
         substr(s, 1, instr(s, '<') - 1) || ' ' || substr(s, instr(s, '<') + instr(substr(s, instr(s, '<')), '>'))
  FROM strip WHERE instr(s, '<') > 0 AND instr(substr(s, instr(s, '<')), '>') > 0
),
plain(eid, col, s) AS (
  SELECT eid, col, replace(replace(replace(replace(replace(replace(s, '&nbsp;', ' '), '&lt;', '<'), '&gt;', '>'),
                                           '&quot;', '"'), '&#39;', ''''), '&amp;', '&')
  FROM strip WHERE NOT (instr(s, '<') > 0 AND instr(substr(s, instr(s, '<')), '>') > 0)
)
INSERT INTO search_fts (rowid, title, summary, body, details, territory, node)
SELECT eid,
  substr(COALESCE(group_concat(CASE WHEN col = 0 THEN s END, ' '), ''), 1, 50000),
  substr(COALESCE(group_concat(CASE WHEN col = 1 THEN s END, ' '), ''), 1, 50000),
  substr(COALESCE(group_concat(CASE WHEN col = 2 THEN s END, ' '), ''), 1, 50000),
  substr(COALESCE(group_concat(CASE WHEN col = 3 THEN s END, ' '), ''), 1, 50000),
  substr(COALESCE(group_concat(CASE WHEN col = 4 THEN s END, ' '), ''), 1, 50000),
  (SELECT """ + NODE_TOKEN_SQL.format("e.node") + """ FROM search_entries e WHERE e.id = plain.eid)
FROM plain GROUP BY eid"""


async def reindex(tx: Transaction, iri: str) -> None:
    """Bring one item's index rows in line with storage (ours or a peer's), in the caller's transaction."""
    await tx.execute("DELETE FROM search_fts WHERE rowid IN (SELECT id FROM search_entries WHERE iri = ?)", (iri,))
    await tx.execute("DELETE FROM search_entries WHERE iri = ?", (iri,))
    for sql in (INDEX_ENTRIES, INDEX_TEXT):
        await tx.execute(sql.format(local="o.iri = ?", remote="c.iri = ?"), (iri, iri))


async def index_remote(tx: Transaction, iri: str) -> None:
    """A peer's item was stored, replaced or deleted (node/remote_content.py): reindex it."""
    await reindex(tx, iri)


async def reindex_author(tx: Transaction, author_iri: str) -> None:
    """An actor was deleted with everything they wrote (node/remote_content.py): their items leave the index."""
    for row in await tx.fetch_all("SELECT iri FROM remote_content WHERE attributed_to = ?", (author_iri,)):
        await reindex(tx, row["iri"])


# Querying.


@dataclass(frozen=True)
class Query:
    """What a reader asked for, already bounded. Without words, the filters alone select (newest first);
    without either there is nothing to search."""

    terms: tuple[str, ...] = ()
    kind: str | None = None
    theme: str | None = None
    territory: tuple[str, ...] = ()
    lang: str | None = None
    node: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    page: int = 1

    @property
    def words(self) -> bool:
        """Words to match (the territory's are words of its column)."""
        return bool(self.terms or self.territory)

    @property
    def empty(self) -> bool:
        return not (self.words or self.kind or self.theme or self.lang or self.node or self.date_from
                    or self.date_to)


@dataclass(frozen=True)
class Hit:
    iri: str
    kind: str
    title: str
    summary: str
    lang: str
    node: str
    local: bool
    date: str | None
    snippet: str  # plain text; highlighted words between _MARK_OPEN and _MARK_CLOSE


def _terms(text: str) -> tuple[str, ...]:
    """Words of a query; one- and two-letter words ("de", "la") are dropped when longer ones remain."""
    words = re.findall(r"\w+", text[:MAX_QUERY].lower())
    long_words = [w for w in words if len(w) >= 3]
    return tuple(dict.fromkeys(long_words or words))[:MAX_TERMS]


def _day(value: str | None) -> str | None:
    try:
        return date.fromisoformat(value).isoformat() if value else None
    except ValueError:
        return None


def parse_query(params: dict[str, str]) -> Query:
    """A Query from request parameters (`q`, `type`, `theme`, `territory`, `lang`, `node`, `from`, `to`,
    `page`); anything invalid is dropped rather than refused, as a search form should."""
    kind = params.get("type") or None
    lang = (params.get("lang") or "").strip()
    theme = "-".join((params.get("theme") or "").strip().lstrip("#").lower()[:100].split())
    try:
        page = min(max(int(params.get("page") or 1), 1), MAX_PAGE)
    except ValueError:
        page = 1
    return Query(
        terms=_terms(params.get("q") or ""),
        kind=kind if kind in KINDS else None,
        theme=theme or None,
        territory=_terms(params.get("territory") or ""),
        lang=lang if lang and is_lang_tag(lang) else None,
        node=(params.get("node") or "").strip().lower()[:300] or None,
        date_from=_day(params.get("from")), date_to=_day(params.get("to")), page=page,
    )


def _match(query: Query) -> str:
    """An FTS5 expression: every word as a quoted prefix (quoting makes any input literal), all required,
    in any column but the node's; then the node's token, when the query names one."""
    def word(w: str) -> str:
        return f'"{w}"*' if len(w) >= 3 else f'"{w}"'
    parts = [word(w) for w in query.terms] + [f"territory : {word(w)}" for w in query.territory]
    words = f"- node : ({' AND '.join(parts)})"
    return f'{words} AND node : "{node_token(query.node)}"' if query.node else words


def _filters(query: Query) -> tuple[str, list[object]]:
    """The WHERE clause: the words' MATCH (with the node's token), else the node as a column test."""
    where: list[str] = []
    params: list[object] = []
    if query.words:
        where.append("search_fts MATCH ?")
        params.append(_match(query))
    elif query.node:
        where.append("e.node = ?")
        params.append(query.node)
    if query.kind:
        where.append("e.kind = ?")
        params.append(query.kind)
    if query.lang:
        where.append("(e.lang = ? OR e.lang LIKE ?)")
        params += [query.lang, f"{query.lang}-%"]
    if query.date_from:
        where.append("substr(e.date, 1, 10) >= ?")
        params.append(query.date_from)
    if query.date_to:
        where.append("substr(e.date, 1, 10) <= ?")
        params.append(query.date_to)
    if query.theme:  # a string test per row (no list of every item with the theme), by key (protocol/hashtags.py)
        where.append(f"instr({THEME_KEY_SQL.format('e.themes')}, ?) > 0")
        params.append(f" {theme_key(query.theme)} ")
    return " AND ".join(where), params


# One pass over the matches, newest first (FTS5 reads its rowids backwards: the LIMIT stops the scan), that
# gives both the count and the newest-first page: each item once, with its newest matching entry (the
# first one met going backwards), `found` items among the `seen` entries read, the page's LIMIT last.
# CROSS JOIN pins the FTS table as the outer loop. The planner picks it for these statements, but when the
# node filter was a test of `e.node` it came close to the other order (the node's entries through
# search_entries_node, the MATCH evaluated once for each): it chose it for a count selecting e.id only, 200 s
# for "coop"* on a million entries.
_NEWEST = """SELECT id, iri, count(*) OVER () AS found, sum(n) OVER () AS seen FROM (
  SELECT max(id) AS id, iri, count(*) AS n FROM (
    SELECT e.id, e.iri {source} ORDER BY search_fts.rowid DESC LIMIT ?
  ) GROUP BY iri
) ORDER BY id DESC LIMIT ?"""


async def search(db: Database, query: Query, *, page_size: int = PAGE_SIZE) -> tuple[list[Hit], int]:
    """One page of results, best first, one per item (its best-matching language), and how many items
    matched, counted up to COUNT_LIMIT (COUNT_LIMIT + 1 means more). bm25 must score every match, so it
    ranks a query that matches at most COUNT_LIMIT items; a broader one lists the newest first (its
    cost stays bounded on a large corpus: add words or filters to rank), as do filters without words.
    Snippets only for the page.

    The MATCH is evaluated once for a broad query (the newest-first pass counts and pages), twice for
    one that is ranked (then bm25 scores at most about twice COUNT_LIMIT entries). Scoring in the first
    pass instead was measured for node filters, where ranking is likely: it saves the second prefix merge
    of a common word (52 -> 42 ms on a million entries) but scores the entries of a broad query for
    nothing (19 -> 56 ms), so it was not kept."""
    if query.empty:
        return [], 0
    where, params = _filters(query)
    if query.words:
        source = "FROM search_fts CROSS JOIN search_entries e ON e.id = search_fts.rowid WHERE " + where
        newest_sql = _NEWEST.format(source=source)
    else:  # filters only: the entries, newest first (nothing to rank)
        source = "FROM search_entries e WHERE " + where
        newest_sql = _NEWEST.replace("search_fts.rowid", "e.id").format(source=source)
    wanted = query.page * page_size
    needed = max(COUNT_LIMIT + 1, wanted)  # items to meet before the count and the page are known
    limit = needed * 2  # entries read: an item matching in several languages has several
    while True:
        newest = await db.fetch_all(newest_sql, (*params, limit, wanted))
        found, seen = (newest[0]["found"], newest[0]["seen"]) if newest else (0, 0)
        if seen < limit or found >= needed:  # every match read, or enough of them
            break
        limit *= 4
    total = min(found, COUNT_LIMIT + 1)
    if total > COUNT_LIMIT or not query.words:
        ids = [r["id"] for r in newest]
    elif total:
        ids = await _ranked(db, source, params, wanted, seen)
    else:
        return [], 0
    ids = ids[wanted - page_size:wanted]
    if not ids:
        return [], total
    marks = ",".join("?" * len(ids))
    entries = {r["id"]: r for r in await db.fetch_all(
        "SELECT id, iri, lang, kind, node, local, title, summary, date FROM search_entries"
        f" WHERE id IN ({marks})", ids)}
    texts = {r["rowid"]: (r["summary"], r["body"], r["details"]) for r in await db.fetch_all(
        "SELECT rowid, substr(summary, 1, 5000) AS summary, substr(body, 1, 5000) AS body,"
        f" substr(details, 1, 5000) AS details FROM search_fts WHERE rowid IN ({marks})", ids)}
    hits = [Hit(iri=r["iri"], kind=r["kind"], title=r["title"], summary=r["summary"], lang=r["lang"],
                node=r["node"], local=bool(r["local"]), date=r["date"],
                snippet=make_snippet(texts.get(i, (r["summary"],)), query.terms))
            for i, r in ((i, entries[i]) for i in ids if i in entries)]
    return hits, total


async def _ranked(db: Database, source: str, params: list[object], wanted: int, seen: int) -> list[int]:
    """The best entry of each of the first `wanted` items by relevance (`seen` entries match)."""
    limit = min(wanted * 2, seen)
    while True:  # the best row of each item: an item matching in several languages has several rows
        rows = await db.fetch_all(
            f"SELECT e.id, e.iri {source} ORDER BY bm25(search_fts, {WEIGHTS}), e.id LIMIT ?", (*params, limit))
        best: dict[str, int] = {}
        for row in rows:
            best.setdefault(row["iri"], row["id"])
        if len(best) >= wanted or len(rows) < limit or limit >= seen:
            return list(best.values())
        limit = min(limit * 4, seen)


def _fold(word: str) -> str:
    """As the tokenizer sees a word: lower case, without diacritics."""
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c)).lower()


def make_snippet(texts: Sequence[str], terms: Sequence[str], width: int = 24) -> str:
    """About `width` words around the first match, matched words between the highlight marks, from the
    first of `texts` that has one (summary, body, details). Made here rather than by FTS5's snippet(),
    which would evaluate the query again for each row (costly for a broad prefix on a large index)."""
    folded = [_fold(t) for t in terms]

    def matches(word: str) -> bool:
        word = _fold(word)
        return any(word.startswith(t) if len(t) >= 3 else word == t for t in folded)

    candidates = [(text, list(re.finditer(r"\w+", text or ""))) for text in texts]
    chosen = next(((t, w) for t, w in candidates if any(matches(m.group()) for m in w)),
                  next(((t, w) for t, w in candidates if w), None))
    if chosen is None:
        return ""
    text, words = chosen
    hits = [i for i, m in enumerate(words) if matches(m.group())]
    start = max(0, (hits[0] if hits else 0) - width // 3)
    end = min(len(words), start + width)
    out, cursor = [], words[start].start() if start else 0
    for m in words[start:end]:
        if matches(m.group()):
            out += [text[cursor:m.start()], _MARK_OPEN, m.group(), _MARK_CLOSE]
            cursor = m.end()
    out.append(text[cursor:words[end - 1].end() if end < len(words) else len(text)])
    snippet = ("…" if start else "") + "".join(out) + ("…" if end < len(words) else "")
    return " ".join(snippet.split())


def snippet_parts(snippet: str) -> list[tuple[str, bool]]:
    """The snippet as (text, highlighted) pieces, for a template to escape and mark up."""
    parts: list[tuple[str, bool]] = []
    for i, chunk in enumerate(re.split(f"[{_MARK_OPEN}{_MARK_CLOSE}]", snippet)):
        if chunk:
            parts.append((chunk, i % 2 == 1))
    return parts


def plain_snippet(snippet: str) -> str:
    return snippet.replace(_MARK_OPEN, "").replace(_MARK_CLOSE, "")


# The distinct nodes in order, as a loose index scan: the first node of the index `search_entries_node`,
# then each time the first one past it, one index seek per node (a few hundred) instead of reading every
# entry as `SELECT DISTINCT node` does (a million on a large node, 50-80 ms for every search page).
_NODES = """WITH RECURSIVE n(node) AS (
  SELECT min(node) FROM search_entries
  UNION ALL
  SELECT (SELECT min(node) FROM search_entries WHERE node > n.node) FROM n WHERE n.node IS NOT NULL
)
SELECT node FROM n WHERE node IS NOT NULL"""


async def nodes(db: Database) -> list[str]:
    """The nodes whose items are in the index, in order, for the search form's node filter."""
    return [r["node"] for r in await db.fetch_all(_NODES)]
