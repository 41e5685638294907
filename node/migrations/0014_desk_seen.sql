-- Up to which comment and which message (mentions row) each organizer has seen on the desk's comments
-- page: the desk's menu counts what came after. Existing organizers start having seen everything
-- (a count of every comment ever received would tell them nothing).
ALTER TABLE users ADD COLUMN comments_seen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN messages_seen INTEGER NOT NULL DEFAULT 0;
UPDATE users SET comments_seen = (SELECT coalesce(max(id), 0) FROM comments),
                 messages_seen = (SELECT coalesce(max(id), 0) FROM mentions);
