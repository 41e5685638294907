"""One small hierarchy of errors for the protocol layer.

Each carries a human-readable `reason` that the node returns verbatim in its JSON
error bodies, so a remote admin can see why their request was refused.
"""


class ProtocolError(Exception):
    """Base class of every error raised by `protocol`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SignatureError(ProtocolError):
    """An HTTP signature is missing, malformed, stale or does not verify."""


class ParseError(ProtocolError):
    """A JSON document is not a usable ActivityStreams object or activity."""


class ValidationError(ProtocolError):
    """A well-formed activity breaks a federation rule (spoofing, wrong host...)."""
