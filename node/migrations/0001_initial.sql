-- The node core: local actors and their logins, the remote actor/key cache, follows,
-- local content with translations, the outbox, the durable delivery queue and the inbox log.

CREATE TABLE actors (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    type TEXT NOT NULL CHECK (type IN ('Group', 'Person', 'Application')),
    name TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    private_key_pem TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    manually_approves INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    actor_id INTEGER NOT NULL UNIQUE REFERENCES actors (id) ON DELETE CASCADE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('organizer', 'admin')),
    created_at TEXT NOT NULL
);

CREATE TABLE remote_actors (
    id INTEGER PRIMARY KEY,
    iri TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    host TEXT NOT NULL,
    username TEXT,
    name TEXT,
    url TEXT,
    inbox TEXT NOT NULL,
    shared_inbox TEXT,
    followers TEXT,
    following TEXT,
    outbox TEXT,
    icon_url TEXT,
    key_id TEXT NOT NULL,
    public_key_pem TEXT NOT NULL,
    document TEXT NOT NULL,
    fetched_at REAL NOT NULL
);
CREATE INDEX remote_actors_key_id ON remote_actors (key_id);
CREATE INDEX remote_actors_handle ON remote_actors (username, host);

-- Both directions: a remote actor following one of ours, and one of ours following a remote actor.
CREATE TABLE follows (
    id INTEGER PRIMARY KEY,
    follower_iri TEXT NOT NULL,
    followee_iri TEXT NOT NULL,
    activity_iri TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (follower_iri, followee_iri)
);
CREATE INDEX follows_followee ON follows (followee_iri, state);

CREATE TABLE objects (
    id INTEGER PRIMARY KEY,
    iri TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('practice', 'journey', 'outcome')),
    slug TEXT NOT NULL,
    actor_id INTEGER NOT NULL REFERENCES actors (id),
    default_lang TEXT NOT NULL,
    fields TEXT NOT NULL DEFAULT '{}',
    published_at TEXT NOT NULL,
    updated_at TEXT,
    deleted_at TEXT,
    UNIQUE (kind, slug)
);

CREATE TABLE translations (
    object_id INTEGER NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
    lang TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    content_md TEXT NOT NULL,
    content_html TEXT NOT NULL,
    PRIMARY KEY (object_id, lang)
);

CREATE TABLE object_tags (
    object_id INTEGER NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    PRIMARY KEY (object_id, name)
);

-- Our own activities: the outbox. Stored before any delivery is attempted.
CREATE TABLE activities (
    id INTEGER PRIMARY KEY,
    iri TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    actor_id INTEGER NOT NULL REFERENCES actors (id),
    object_iri TEXT,
    public INTEGER NOT NULL,
    document TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX activities_outbox ON activities (actor_id, public, id);

-- The durable delivery queue: one row per (activity, inbox); survives crashes and restarts.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    activity_id INTEGER NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    inbox TEXT NOT NULL,
    host TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_status INTEGER,
    last_error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (activity_id, inbox)
);
CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at);

CREATE TABLE domains (
    host TEXT PRIMARY KEY,
    failing_since REAL,
    unavailable INTEGER NOT NULL DEFAULT 0,
    blocked INTEGER NOT NULL DEFAULT 0
);

-- Every accepted incoming activity, raw, before processing: the inbox answers 202 once this row exists.
CREATE TABLE inbox (
    id INTEGER PRIMARY KEY,
    activity_iri TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    actor_iri TEXT NOT NULL,
    recipient_actor_id INTEGER REFERENCES actors (id),
    document TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'done', 'ignored', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    received_at TEXT NOT NULL,
    processed_at TEXT
);
CREATE INDEX inbox_state ON inbox (state, id);

-- Content received from elsewhere (replies, peers' posts); full fidelity comes with the content issue.
CREATE TABLE remote_objects (
    id INTEGER PRIMARY KEY,
    iri TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    attributed_to TEXT NOT NULL,
    in_reply_to TEXT,
    document TEXT NOT NULL,
    received_at TEXT NOT NULL,
    updated_at TEXT,
    deleted_at TEXT
);
CREATE INDEX remote_objects_reply ON remote_objects (in_reply_to);
