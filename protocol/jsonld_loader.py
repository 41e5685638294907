"""The bundled JSON-LD contexts and the offline document loader that serves them to pyld.

The node never fetches a JSON-LD context at run time: every context it can process is bundled in
`protocol/contexts/` and served by `offline_document_loader` (JSON-LD 1.1 API §9.4). A document that
references any other remote context is refused with `ParseError`.
"""

from __future__ import annotations

import copy
import json
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Final
from urllib.parse import urlsplit

from .errors import ParseError

AS_CONTEXT_IRI: Final = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT_IRI: Final = "https://w3id.org/security/v1"
MAILLAGE_CONTEXT_IRI: Final = "https://maillage.social/ns"
# The context we compact with: equivalent to OUTGOING_CONTEXT (maillage.jsonld holds exactly its inline
# terms) but made of IRIs only, which pyld resolves once and then serves from its context cache.
COMPACTION_CONTEXT: Final = (AS_CONTEXT_IRI, SECURITY_CONTEXT_IRI, MAILLAGE_CONTEXT_IRI)

# "host/path" (scheme, trailing slash and ".jsonld" removed) -> bundled file name.
_BUNDLED_FILES: Final[dict[str, str]] = {
    "www.w3.org/ns/activitystreams": "activitystreams.jsonld",
    "w3id.org/security/v1": "security-v1.jsonld",
    "w3id.org/security/data-integrity/v1": "security-data-integrity-v1.jsonld",
    "w3id.org/security/multikey/v1": "multikey-v1.jsonld",
    # Fedify (and Hollo, Ghost...) name these on every actor and activity.
    "www.w3.org/ns/did/v1": "did-v1.jsonld",
    "w3id.org/identity/v1": "identity-v1.jsonld",
    "purl.archive.org/socialweb/webfinger": "webfinger.jsonld",
    "maillage.social/ns": "maillage.jsonld",
    # Lemmy names it first on every activity and actor (FEDERATION_CONTEXT, crates/utils/src/lib.rs).
    "join-lemmy.org/context.json": "lemmy-context.jsonld",
    # GoToSocial names it first on statuses and actors (interaction policies, docs/federation).
    "gotosocial.org/ns": "gotosocial-ns.jsonld",
}
# Pleroma and Akkoma serve their LitePub context from every instance at this path.
_LITEPUB_PATH: Final = "/schemas/litepub-0.1"
_LITEPUB_FILE: Final = "litepub-0.1.jsonld"
_MAX_IRI_LENGTH: Final = 2048
AS_FILE: Final = "activitystreams.jsonld"


def bundled_file(iri: str) -> str | None:
    """Name of the bundled file serving context `iri`, or None."""
    if len(iri) > _MAX_IRI_LENGTH:
        return None
    try:
        parts = urlsplit(iri.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if parts.query or parts.username is not None or parts.password is not None or port is not None:
        return None
    path = parts.path.rstrip("/")
    if path.endswith(".jsonld"):
        path = path[: -len(".jsonld")]
    name = _BUNDLED_FILES.get(parts.hostname + path)
    if name is None and path == _LITEPUB_PATH:
        name = _LITEPUB_FILE
    return name


@cache
def load_file(name: str) -> dict[str, Any]:
    text = resources.files("protocol.contexts").joinpath(name).read_text(encoding="utf-8")
    document = json.loads(text)
    if not isinstance(document, dict):  # pragma: no cover - bundled files are JSON objects
        raise ParseError(f"bundled JSON-LD context {name} is not a JSON object")
    return document


@lru_cache(maxsize=512)
def bundled_context(iri: str) -> dict[str, Any] | None:
    """The bundled JSON-LD context document for `iri` (JSON-LD 1.1 §3.1 context IRIs), or None.

    Accepts http and https, a trailing slash or `.jsonld` suffix (so both
    `https://www.w3.org/ns/activitystreams.jsonld` and `http://www.w3.org/ns/activitystreams`
    resolve), and any `https://<host>/schemas/litepub-0.1.jsonld` (Pleroma/Akkoma). The
    returned dict is shared between callers: do not mutate it.
    """
    name = bundled_file(iri) if isinstance(iri, str) else None
    return None if name is None else load_file(name)


def offline_document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld document loader (JSON-LD 1.1 API §9.4 LoadDocumentCallback) serving bundled contexts only.

    Pass it explicitly: `pyld.jsonld.compact(doc, ctx, {"documentLoader": offline_document_loader})`.
    Any URL without a bundled context raises `ParseError("unknown JSON-LD context: <url>")`;
    nothing is ever fetched from the network.
    """
    document = bundled_context(url) if isinstance(url, str) else None
    if document is None:
        shown = url[:200] if isinstance(url, str) else repr(url)[:200]
        raise ParseError(f"unknown JSON-LD context: {shown}")
    return {
        "contextUrl": None,
        "documentUrl": url,
        # pyld rewrites context lists in place while resolving them: hand it a copy.
        "document": copy.deepcopy(document),
        "contentType": "application/ld+json",
        # Lets pyld keep the resolved context in its shared cache: bundled files never change.
        "tag": "static",
    }
