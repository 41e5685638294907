-- Accounts an admin blocked (one abusive Mastodon user, not their whole server): their activities are
-- refused at the inbox, their posts are not kept, and what they had here (follows of our actors,
-- comments, messages, journey participations) was removed or hidden when they were blocked.
CREATE TABLE blocked_accounts (
    iri TEXT PRIMARY KEY,
    reason TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
