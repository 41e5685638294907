-- The network: peers' practices, journeys and outcomes in full (every language, the structured fields in
-- their AS2 form, as `objects` keeps ours), the backfill of a followed peer's outbox (cursor and progress,
-- so a restart continues), and the directory of the nodes this node knows. `remote_objects` stays the raw
-- store of every remote object; these rows are what pages and search read.

CREATE TABLE remote_content (
    id INTEGER PRIMARY KEY,
    iri TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('practice', 'journey', 'outcome')),
    as_type TEXT NOT NULL,
    origin TEXT NOT NULL,              -- host[:port] of the IRI: the node that vouches for it
    attributed_to TEXT NOT NULL,       -- the author, on that node
    audience TEXT,                     -- the origin's network Group, when the object names it
    url TEXT NOT NULL,                 -- its page at the origin
    default_lang TEXT NOT NULL,
    fields TEXT NOT NULL DEFAULT '{}',
    in_reply_to TEXT,
    context TEXT,
    replies TEXT,
    published_at TEXT,
    updated_at TEXT,
    received_at TEXT NOT NULL,
    refreshed_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX remote_content_latest ON remote_content (deleted_at, kind, id);
CREATE INDEX remote_content_origin ON remote_content (origin);
CREATE INDEX remote_content_author ON remote_content (attributed_to);

CREATE TABLE remote_translations (
    content_id INTEGER NOT NULL REFERENCES remote_content (id) ON DELETE CASCADE,
    lang TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    content_html TEXT NOT NULL,        -- sanitized when stored
    PRIMARY KEY (content_id, lang)
);

CREATE TABLE remote_tags (
    content_id INTEGER NOT NULL REFERENCES remote_content (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    PRIMARY KEY (content_id, name)
);
CREATE INDEX remote_tags_name ON remote_tags (name);

-- One row per actor whose outbox we import. `next_page` is the cursor (NULL: not started, or finished);
-- `next_attempt_at` spaces pages out (politeness) and leases a row to one worker at a time.
CREATE TABLE backfills (
    actor_iri TEXT PRIMARY KEY,
    next_page TEXT,
    pages INTEGER NOT NULL DEFAULT 0,
    seen INTEGER NOT NULL DEFAULT 0,
    imported INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX backfills_due ON backfills (state, next_attempt_at);

-- Nodes we know: followed, following, seen in activities, or named in a peer's `following` (`via`).
-- What they say about themselves comes from NodeInfo and their network actor; follows are read live.
CREATE TABLE peers (
    host TEXT PRIMARY KEY,
    base_url TEXT NOT NULL,
    actor_iri TEXT,
    name TEXT,
    summary TEXT,
    territory TEXT,
    languages TEXT NOT NULL DEFAULT '[]',
    software TEXT,
    users INTEGER,
    posts INTEGER,
    via TEXT,
    last_activity_at TEXT,
    first_seen_at TEXT NOT NULL,
    refreshed_at TEXT,
    next_refresh_at REAL NOT NULL DEFAULT 0,
    error TEXT
);
CREATE INDEX peers_due ON peers (next_refresh_at);
