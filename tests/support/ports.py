"""Ports for the servers a test starts on loopback."""

import random
import socket
from pathlib import Path


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A port free on 127.0.0.1 a moment ago, below the ephemeral range: the source port of some outgoing
    connection cannot take it before the node binds it (or binds it again after a restart). Never the same
    port twice in one test process: a proxy's public port and its node's port, picked one after the
    other and bound later, must differ (once they did not, and the doctor talked to the node directly)."""
    high = _ephemeral_low()
    rng = random.SystemRandom()
    for _ in range(100 if high > 21000 else 0):
        port = rng.randrange(20000, high)
        if port not in _HANDED_OUT and _bindable(port):
            _HANDED_OUT.add(port)
            return port
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port
    raise RuntimeError("no free port on 127.0.0.1 that this test process has not handed out already")


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
