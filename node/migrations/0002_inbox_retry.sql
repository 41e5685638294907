-- Inbox rows whose handler failed for a passing reason (the sender's server restarting while we fetch
-- from it) wait before the next attempt instead of being retried at once.
ALTER TABLE inbox ADD COLUMN next_attempt_at REAL NOT NULL DEFAULT 0;
DROP INDEX inbox_state;
CREATE INDEX inbox_due ON inbox (state, next_attempt_at);
