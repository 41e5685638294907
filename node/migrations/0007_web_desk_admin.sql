-- The web desk and admin pages: node settings an admin changes from the browser (they override
-- maillage.toml, which stays as written), images organizers upload, reports received as Flag
-- activities, and an avatar for local actors.

-- One row per setting changed from the admin pages; a missing row means "as in maillage.toml".
-- `value` is JSON (text, list or boolean).
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Uploaded images, stored as DATA/media/<name> (a random name: nothing guessable, nothing from the
-- uploader). `alt` is required: screen readers and Mastodon show it.
CREATE TABLE media (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    actor_id INTEGER NOT NULL REFERENCES actors (id),
    media_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    alt TEXT NOT NULL,
    lang TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX media_actor ON media (actor_id, id);

-- Reports (Flag activities, as Mastodon sends them): who reported, what (actors and objects), why.
CREATE TABLE reports (
    id INTEGER PRIMARY KEY,
    activity_iri TEXT NOT NULL UNIQUE,
    reporter_iri TEXT NOT NULL,
    targets TEXT NOT NULL DEFAULT '[]',
    content TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved', 'dismissed')),
    received_at TEXT NOT NULL,
    decided_at TEXT
);
CREATE INDEX reports_state ON reports (state, id);

ALTER TABLE actors ADD COLUMN icon_url TEXT;
