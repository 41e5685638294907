-- Themes are matched by key, case and hyphens ignored (protocol/hashtags.py): `FoodSovereignty` from a peer
-- is our `food-sovereignty`. Names are stored lowercased; these indexes serve `replace(name, '-', '') = ?`.
CREATE INDEX object_tags_key ON object_tags (replace(name, '-', ''));
CREATE INDEX remote_tags_key ON remote_tags (replace(name, '-', ''));

-- Outboxes list posts only, as Mastodon's do (Creates and Announces, node/outbox.py): an actor's, and the
-- Creates of items the network's outbox lists in place of its Announces of them.
CREATE INDEX activities_posts ON activities (actor_id, id) WHERE public = 1 AND type IN ('Create', 'Announce');
CREATE INDEX activities_creates ON activities (id) WHERE public = 1 AND type = 'Create';
