-- Themes are words a search finds (issue 20): node/search.py indexes an item's themes with its structured
-- details. The text index is rebuilt from what is stored, with node/search.py's INDEX_TEXT over every row
-- (tests/node/test_search_filters.py checks that it still is); search_entries are unchanged.

DELETE FROM search_fts;

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
INSERT INTO search_fts (rowid, title, summary, body, details, territory, node)
SELECT eid,
  substr(COALESCE(group_concat(CASE WHEN col = 0 THEN s END, ' '), ''), 1, 50000),
  substr(COALESCE(group_concat(CASE WHEN col = 1 THEN s END, ' '), ''), 1, 50000),
  substr(COALESCE(group_concat(CASE WHEN col = 2 THEN s END, ' '), ''), 1, 50000),
  substr(COALESCE(group_concat(CASE WHEN col = 3 THEN s END, ' '), ''), 1, 50000),
  substr(COALESCE(group_concat(CASE WHEN col = 4 THEN s END, ' '), ''), 1, 50000),
  (SELECT 'n' || lower(hex(e.node)) FROM search_entries e WHERE e.id = plain.eid)
FROM plain GROUP BY eid;
