-- The Markdown an organizer wrote for their profile; `summary` keeps the HTML rendered from it, which
-- the actor document carries. The network Group's Markdown stays in `settings` (its admin page).
ALTER TABLE actors ADD COLUMN summary_source TEXT NOT NULL DEFAULT '';
