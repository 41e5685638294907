-- Drafts: an item's form saved on the desk without publishing (nothing federates until Publish).
-- `form` is the form's fields as typed (JSON); `object_id` the item an edit or translation is about.
CREATE TABLE desk_drafts (
    id INTEGER PRIMARY KEY,
    actor_id INTEGER NOT NULL REFERENCES actors(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('practice', 'journey', 'outcome')),
    mode TEXT NOT NULL CHECK (mode IN ('new', 'edit', 'translate')),
    object_id INTEGER REFERENCES objects(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    form TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX desk_drafts_actor ON desk_drafts (actor_id, updated_at);
