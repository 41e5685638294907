-- The Markdown an organizer wrote in an item's rich fields (a practice's needs, results, lessons and
-- transferability; an outcome's feedback), per language, as JSON {field: Markdown}: the item's
-- document carries their HTML, which cannot be turned back into the same Markdown, so the edit form
-- showed plain text and saving it lost the links and emphasis. '{}' for items stored before: their
-- edit form still shows the text read from the HTML.
ALTER TABLE translations ADD COLUMN sources TEXT NOT NULL DEFAULT '{}';
