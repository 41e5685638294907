-- Which HTTP Signature scheme a domain accepts, learnt by double knocking (node/delivery.py): a delivery signed
-- with draft-cavage (or the remembered scheme) that gets 400/401 is sent again at once with the other scheme,
-- and the scheme the server accepted is kept here. NULL: nothing learnt, draft-cavage first.
ALTER TABLE domains ADD COLUMN signature_scheme TEXT CHECK (signature_scheme IN ('draft-cavage', 'rfc9421'));
