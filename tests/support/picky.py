"""A loopback server that checks the node's HTTP signatures in both schemes (draft-cavage and RFC 9421)
with the key it was given, and accepts only some schemes: the other side of double knocking, for POSTs
(tests/node/test_rfc9421.py) and GETs (tests/node/test_fetch_knock.py)."""

from dataclasses import dataclass, field

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from node import clock
from node.signing import DRAFT_CAVAGE, RFC9421
from protocol.errors import SignatureError
from protocol.sig import rfc9421
from protocol.sig.cavage import parse_signature_header, verify_request


@dataclass
class PickyRemote:
    """`accepts`: the schemes answered with success, the others with `refusal`; `attempts` records
    (scheme, status) per request. A request whose signature does not verify fails the test."""

    accepts: set[str]
    public_key_pem: str
    refusal: int = 401
    attempts: list[tuple[str, int]] = field(default_factory=list)
    server: TestServer | None = None

    @property
    def host(self) -> str:
        assert self.server is not None
        return f"127.0.0.1:{self.server.port}"

    def verified_scheme(self, request: web.Request, body: bytes | None) -> str:
        """The request's signature scheme, once its signature is checked."""
        scheme = RFC9421 if "Signature-Input" in request.headers else DRAFT_CAVAGE
        try:
            if scheme == RFC9421:
                sig = rfc9421.parse_signature_headers(request.headers["Signature-Input"],
                                                          request.headers["Signature"])
                rfc9421.verify_request(method=request.method, target_uris=[str(request.url)],
                                           headers=request.headers, body=body, signature=sig,
                                           public_key_pem=self.public_key_pem, now=clock.now())
            else:
                params = parse_signature_header(request.headers["Signature"])
                verify_request(method=request.method, path=request.path_qs, headers=request.headers, body=body,
                               params=params, public_key_pem=self.public_key_pem, now=clock.now())
        except SignatureError as exc:
            pytest.fail(f"the node sent an invalid {scheme} signature: {exc.reason}")
        return scheme

    def answer(self, scheme: str, success: int) -> int:
        """The status for a request signed with `scheme` (recorded in `attempts`)."""
        status = success if scheme in self.accepts else self.refusal
        self.attempts.append((scheme, status))
        return status

    async def start(self, app: web.Application) -> None:
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
