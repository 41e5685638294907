-- Practice write-ups, learning journeys and meeting outcomes in full: an outcome points to its journey,
-- a journey may belong to a programme (a two-year cycle of journeys and stock-taking meetings),
-- and journeys gather participations (from Join/Leave and from RSVP poll votes).

CREATE TABLE programmes (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    iri TEXT NOT NULL UNIQUE,
    names TEXT NOT NULL DEFAULT '{}',
    summaries TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    updated_at TEXT
);

ALTER TABLE objects ADD COLUMN journey_id INTEGER REFERENCES objects (id);
ALTER TABLE objects ADD COLUMN programme_id INTEGER REFERENCES programmes (id);
CREATE INDEX objects_journey ON objects (journey_id);
CREATE INDEX objects_programme ON objects (programme_id);

CREATE TABLE participations (
    id INTEGER PRIMARY KEY,
    object_id INTEGER NOT NULL REFERENCES objects (id) ON DELETE CASCADE,
    actor_iri TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('going', 'maybe', 'not_going', 'pending', 'rejected')),
    source TEXT NOT NULL CHECK (source IN ('join', 'poll')),
    activity_iri TEXT,
    message TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (object_id, actor_iri)
);
CREATE INDEX participations_object ON participations (object_id, state);
