-- An organizer's login can be suspended (someone left the network, a password leaked) without
-- deleting their actor: what they published stays, at the same IRIs, and followers keep following.
-- suspended_at: NULL while the login works, else since when it is refused.
-- session_epoch: part of every session's fingerprint (node/auth.py); a suspension raises it, so the
-- sessions open before it stay ended once the login is reactivated. 0 leaves existing sessions valid.
ALTER TABLE users ADD COLUMN suspended_at TEXT;
ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;
