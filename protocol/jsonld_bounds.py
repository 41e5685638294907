"""The bounds of JSON-LD processing (`protocol/jsonld_pyld.py` applies them), apart from pyld so that
`protocol.jsonld` can name them without importing pyld (a command that only builds documents, such as
`maillage publish`, never loads it)."""

from typing import Final

# pyld takes up to ~150 µs per JSON value (an IRI compacted against every term of our context): a
# document of 2,500 IRIs costs ~0.35 s. Real documents hold < 400 (a PeerTube Video: 339).
MAX_SLOW_PATH_VALUES: Final = 2500
# In jsonld_pyld's work units, about a microsecond each: about 50 ms. The costliest real documents
# (tests/fixtures: Fedify's, GoToSocial's), with every bundled context they name processed for the first
# time, take under 6,000.
MAX_CONTEXT_WORK: Final = 50_000
