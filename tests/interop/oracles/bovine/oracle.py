"""bovine's HTTP Signature code as an oracle for tests/interop/test_signature_oracles.py.

Runs in its own venv (requirements.txt): reads {"cases": [...]} as JSON on stdin, writes one result
per case as a JSON list on stdout. Cases:
  {"op": "verify", "method", "url", "headers", "body" (base64 or null), "publicKeyPem", "owner"}
      -> {"ok": bool, "owner": str|null, "detail": bovine's log lines}
      bovine.crypto.build_validate_http_signature_raw (SignatureChecker.validate_signature), which
      checks the Digest or Content-Digest, the Date window and the draft-cavage or RFC 9421 signature.
  {"op": "sign", "method", "url", "body" (base64 or null), "privateKeyPem", "keyId", "digestPrefix"}
      -> {"headers": {...}}
      what bovine.clients.signed_http_methods.signed_get / signed_post send, without the network.
"""

import asyncio
import base64
import json
import logging
import sys
from typing import Any

from bovine.clients.utils import host_target_from_url
from bovine.crypto import build_validate_http_signature_raw
from bovine.crypto.helper import content_digest_sha256
from bovine.crypto.http_signature import build_signature
from bovine.crypto.types import CryptographicIdentifier, CryptographicSecret
from bovine.utils import get_gmt_now


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.name}: {record.getMessage()}"[:500])


async def verify(case: dict[str, Any]) -> dict[str, Any]:
    body = base64.b64decode(case["body"]) if case.get("body") is not None else b""

    async def key_retriever(key_id: str) -> CryptographicIdentifier:
        return CryptographicIdentifier.from_pem(case["publicKeyPem"], case["owner"])

    async def get_body() -> bytes:
        return body

    collect = _Collect()
    logging.getLogger("bovine").addHandler(collect)
    try:
        validate = build_validate_http_signature_raw(key_retriever)
        headers = {k.lower(): v for k, v in case["headers"].items()}
        owner = await validate(case["method"], case["url"], headers, get_body)
    except Exception as exc:  # report, do not crash: the test shows the reason
        return {"ok": False, "owner": None, "detail": collect.lines + [f"{type(exc).__name__}: {exc}"]}
    finally:
        logging.getLogger("bovine").removeHandler(collect)
    return {"ok": owner is not None, "owner": owner, "detail": collect.lines}


def sign(case: dict[str, Any]) -> dict[str, Any]:
    secret = CryptographicSecret.from_pem(case["keyId"], case["privateKeyPem"])
    host, target = host_target_from_url(case["url"])
    method = case["method"].lower()
    helper = build_signature(host, method, target).with_field("date", get_gmt_now())
    if case.get("body") is None:
        helper = helper.with_field("accept", "application/activity+json")
    else:
        digest = content_digest_sha256(base64.b64decode(case["body"]), prefix=case.get("digestPrefix", "sha-256"))
        name, value = digest.split("=", 1)
        helper = helper.with_field("digest", f"{name}={value}").with_field("content-type", "application/activity+json")
    return {"headers": {**helper.headers, "signature": helper.sign_for_http_draft(secret)}}


async def main() -> None:
    cases = json.load(sys.stdin)["cases"]
    results = []
    for case in cases:
        results.append(await verify(case) if case["op"] == "verify" else sign(case))
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    asyncio.run(main())
