-- Search, re-shares and likes, comments.
--
-- Search (node/search.py, the one module with FTS5 SQL): one entry per item and language, ours and the
-- peers' items we hold (remote_content), with the filters as columns, and an FTS5 table whose rowid is
-- the entry's id. unicode61 with remove_diacritics 2 (why not trigram: node/search.py). The two INSERTs
-- at the end backfill the index from what is stored; they are node/search.py's INDEX_ENTRIES and
-- INDEX_TEXT over every row (tests/node/test_search_index.py checks that they still are).

CREATE TABLE search_entries (
    id INTEGER PRIMARY KEY,
    iri TEXT NOT NULL,
    lang TEXT NOT NULL,
    kind TEXT NOT NULL,
    node TEXT NOT NULL,            -- host[:port] of the item's origin
    local INTEGER NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    date TEXT,                     -- a journey's start, else the publication date
    themes TEXT NOT NULL,          -- ' theme other-theme ': the theme filter is one string test per row
    UNIQUE (iri, lang)
);
CREATE INDEX search_entries_node ON search_entries (node);

CREATE VIRTUAL TABLE search_fts USING fts5 (
    title, summary, body, details, territory,
    tokenize = 'unicode61 remove_diacritics 2', prefix = '3'
);

-- Likes and re-shares (Announce) of an item, one per actor: received for our items, and our own
-- re-shares of peers' items (`actor_id`: the organizer who decided it).
CREATE TABLE reactions (
    id INTEGER PRIMARY KEY,
    object_iri TEXT NOT NULL,
    actor_iri TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('Like', 'Announce')),
    activity_iri TEXT NOT NULL,
    actor_id INTEGER REFERENCES actors (id),
    created_at TEXT NOT NULL,
    UNIQUE (object_iri, type, actor_iri)
);
CREATE INDEX reactions_activity ON reactions (activity_iri);

-- Comments: replies (Notes) in the thread of an item (`root_iri`: ours, or a peer's we hold), with their
-- moderation state. A remote comment's document stays in remote_objects; our organizers' replies keep
-- theirs here (`actor_id`, `document`).
CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    iri TEXT NOT NULL UNIQUE,
    root_iri TEXT NOT NULL,
    in_reply_to TEXT NOT NULL,
    author_iri TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('approved', 'held', 'rejected')),
    actor_id INTEGER REFERENCES actors (id),
    document TEXT,
    created_at TEXT NOT NULL,
    decided_at TEXT
);
CREATE INDEX comments_root ON comments (root_iri, state, id);
CREATE INDEX comments_held ON comments (state, id);

-- Settings the node announces in its documents, copied from the config by `maillage serve` when it
-- starts (`comments`: open, held or closed), so that every process building a document reads one value.
CREATE TABLE node_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Replies to our items received before comments were moderated stay shown.
INSERT INTO comments (iri, root_iri, in_reply_to, author_iri, state, created_at)
SELECT r.iri, r.in_reply_to, r.in_reply_to, r.attributed_to, 'approved', r.received_at
FROM remote_objects r JOIN objects o ON o.iri = r.in_reply_to
WHERE r.type = 'Note' AND r.deleted_at IS NULL ORDER BY r.id;

WITH src(iri, lang, kind, node, local, title, summary, html, fields, date, themes) AS (
  SELECT o.iri, t.lang, o.kind,
         lower(substr(o.iri, instr(o.iri, '://') + 3, instr(substr(o.iri, instr(o.iri, '://') + 3) || '/', '/') - 1)),
         1, t.title, t.summary, t.content_html, o.fields,
         COALESCE(json_extract(o.fields, '$.startTime'), o.published_at),
         COALESCE((SELECT ' ' || group_concat(g.name, ' ') || ' ' FROM object_tags g WHERE g.object_id = o.id), '')
  FROM objects o JOIN translations t ON t.object_id = o.id WHERE o.deleted_at IS NULL AND 1
  UNION ALL
  SELECT c.iri, t.lang, c.kind, c.origin, 0, t.title, t.summary, t.content_html, c.fields,
         COALESCE(json_extract(c.fields, '$.startTime'), c.published_at, c.received_at),
         COALESCE((SELECT ' ' || group_concat(g.name, ' ') || ' ' FROM remote_tags g WHERE g.content_id = c.id), '')
  FROM remote_content c JOIN remote_translations t ON t.content_id = c.id WHERE c.deleted_at IS NULL AND 1
)
INSERT INTO search_entries (iri, lang, kind, node, local, title, summary, date, themes)
SELECT iri, lang, kind, node, local, title, summary, date, themes FROM src;

WITH RECURSIVE src(iri, lang, kind, node, local, title, summary, html, fields, date, themes) AS (
  SELECT o.iri, t.lang, o.kind,
         lower(substr(o.iri, instr(o.iri, '://') + 3, instr(substr(o.iri, instr(o.iri, '://') + 3) || '/', '/') - 1)),
         1, t.title, t.summary, t.content_html, o.fields,
         COALESCE(json_extract(o.fields, '$.startTime'), o.published_at),
         COALESCE((SELECT ' ' || group_concat(g.name, ' ') || ' ' FROM object_tags g WHERE g.object_id = o.id), '')
  FROM objects o JOIN translations t ON t.object_id = o.id WHERE o.deleted_at IS NULL AND 1
  UNION ALL
  SELECT c.iri, t.lang, c.kind, c.origin, 0, t.title, t.summary, t.content_html, c.fields,
         COALESCE(json_extract(c.fields, '$.startTime'), c.published_at, c.received_at),
         COALESCE((SELECT ' ' || group_concat(g.name, ' ') || ' ' FROM remote_tags g WHERE g.content_id = c.id), '')
  FROM remote_content c JOIN remote_translations t ON t.content_id = c.id WHERE c.deleted_at IS NULL AND 1
),
hit(eid, src_fields, title, summary, html) AS (
  SELECT e.id, src.fields, src.title, src.summary, src.html
  FROM src JOIN search_entries e ON e.iri = src.iri AND e.lang = src.lang
),
pieces(eid, col, s) AS (
  SELECT eid, 0, title FROM hit
  UNION ALL SELECT eid, 1, summary FROM hit
  UNION ALL SELECT eid, 2, html FROM hit
  UNION ALL SELECT eid, CASE WHEN top.key = 'location' THEN 4 ELSE 3 END, top.value
    FROM hit, json_each(hit.src_fields) top
    WHERE top.type = 'text' AND top.key NOT IN ('type', 'mediaType', 'timezone', 'joinMode', 'status', 'ical:status', 'origin', 'repliesModerationOption', 'inLanguage', 'email') AND top.value <> '' AND top.value NOT LIKE 'http://%' AND top.value NOT LIKE 'https://%' AND top.value NOT LIKE 'mailto:%' AND top.value NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
  UNION ALL SELECT eid, CASE WHEN top.key = 'location' THEN 4 ELSE 3 END, j.value
    FROM hit, json_each(hit.src_fields) top, json_tree(top.value) j
    WHERE top.type IN ('object', 'array') AND j.type = 'text'
      AND (typeof(j.key) <> 'text' OR j.key NOT IN ('type', 'mediaType', 'timezone', 'joinMode', 'status', 'ical:status', 'origin', 'repliesModerationOption', 'inLanguage', 'email'))
      AND j.value <> '' AND j.value NOT LIKE 'http://%' AND j.value NOT LIKE 'https://%' AND j.value NOT LIKE 'mailto:%' AND j.value NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
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
INSERT INTO search_fts (rowid, title, summary, body, details, territory)
SELECT eid,
  substr(COALESCE(group_concat(CASE WHEN col = 0 THEN s END, ' '), ''), 1, 50000),
  substr(COALESCE(group_concat(CASE WHEN col = 1 THEN s END, ' '), ''), 1, 50000),
  substr(COALESCE(group_concat(CASE WHEN col = 2 THEN s END, ' '), ''), 1, 50000),
  substr(COALESCE(group_concat(CASE WHEN col = 3 THEN s END, ' '), ''), 1, 50000),
  substr(COALESCE(group_concat(CASE WHEN col = 4 THEN s END, ' '), ''), 1, 50000)
FROM plain GROUP BY eid;
