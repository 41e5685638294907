-- Posts from elsewhere that address or mention one of our actors (an organizer, the network Group):
-- what the organizer desk lists as messages. One row per post and actor; `private` when the post was
-- not addressed to the public (a direct message), which the desk shows to that actor only and never
-- answers in public. Filled from now on: posts kept before this version are not listed.
CREATE TABLE mentions (
    id INTEGER PRIMARY KEY,
    object_iri TEXT NOT NULL,
    actor_id INTEGER NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    private INTEGER NOT NULL CHECK (private IN (0, 1)),
    created_at TEXT NOT NULL,
    UNIQUE (object_iri, actor_id)
);
CREATE INDEX mentions_actor ON mentions (actor_id, id);
