-- Themes are matched by key, case and hyphens ignored (protocol/hashtags.py): `FoodSovereignty` from a peer
-- is our `food-sovereignty`. Names are stored lowercased; these indexes serve `replace(name, '-', '') = ?`.
CREATE INDEX object_tags_key ON object_tags (replace(name, '-', ''));
CREATE INDEX remote_tags_key ON remote_tags (replace(name, '-', ''));
