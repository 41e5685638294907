-- Login sessions kept on the server (node/login_sessions.py), so that logging out ends a session even
-- for a copy of its cookie. The cookie carries a random token; a row holds its SHA-256, so a copy of the
-- database names no usable session. Cookies made before this table name no row: upgrading logs every
-- organizer out once.
CREATE TABLE login_sessions (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    actor_id INTEGER NOT NULL REFERENCES users (actor_id) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);
CREATE INDEX login_sessions_by_user ON login_sessions (actor_id, id);
CREATE INDEX login_sessions_by_age ON login_sessions (created_at);
