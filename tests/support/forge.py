"""What a forger sends: HTTP signatures that cover only the headers it chose (the real signer always
covers `(request-target) host date digest`), made with the peer's genuine key."""

import base64
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from protocol.keys import load_private_key
from protocol.sig.cavage import digest_header
from protocol.sig.common import format_http_date
from tests.support.peer import AS2, Peer


def sign_only(peer: Peer, name: str, url: str, body: bytes, covered: list[str], *, now: datetime,
              algorithm: str = "rsa-sha256") -> dict[str, str]:
    """POST headers for `body` signed by `name` with a signature covering exactly `covered`."""
    parts = urlsplit(url)
    headers = {"Content-Type": AS2, "Host": parts.netloc, "Date": format_http_date(now),
               "Digest": digest_header(body)}
    lower = {k.lower(): v for k, v in headers.items()}
    lines = [f"(request-target): post {parts.path}" if h == "(request-target)" else f"{h}: {lower.get(h, '')}"
             for h in covered]
    key: Any = load_private_key(peer.keys[name])
    signature = key.sign("\n".join(lines).encode(), padding.PKCS1v15(), hashes.SHA256())
    headers["Signature"] = (f'keyId="{peer.actor_iri(name)}#main-key",algorithm="{algorithm}",'
                            f'headers="{" ".join(covered)}",signature="{base64.b64encode(signature).decode()}"')
    return headers
