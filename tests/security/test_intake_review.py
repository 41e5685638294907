"""Issue 16's intake, reviewed: holes left after the first round, each reproduced as the reviewer did.

- Keys: invented keyIds (new fragments, queries, actors on the victim's host) were each fetched: 300
  GETs to the victim for 300 POSTs. A key fetch is now counted per owner and per host when it starts,
  and an actor document fetched less than a minute ago is read again instead of fetched.
"""

import asyncio

import pytest
from aiohttp.test_utils import TestClient

from node import clock
from tests.support.node import activity, post_signed
from tests.support.peer import Peer, fixed_key

PRACTICE = "http://node.test/practices/x"


async def test_invented_keyids_on_one_host_send_a_few_gets_not_one_each(client: TestClient, peer: Peer) -> None:
    """The reviewer's 300 keyIds naming the victim (new fragments, queries, actors): 300 GETs before."""
    alice = peer.actor_iri("alice")
    key_ids = [*(f"{alice}#k{i}" for i in range(100)), *(f"{alice}?x={i}#main-key" for i in range(100)),
               *(f"{peer.base}/users/u{i}#main-key" for i in range(100))]

    async def forged(key_id: str) -> int:
        resp = await post_signed(client, peer, "alice", "/inbox", body=b"{}", key_id=key_id)
        return resp.status

    assert set(await asyncio.gather(*(forged(k) for k in key_ids))) == {401}
    assert sum(peer.get_counts.values()) <= 10, peer.get_counts  # HOST_KEY_FETCHES


async def test_a_rotated_key_is_picked_up_once_the_cached_one_is_a_minute_old(
        client: TestClient, peer: Peer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Within a minute of fetching alice, a failing signature reads the same document again (no GET);
    a minute later one refetch finds her new key."""
    like = activity(peer, "alice", "Like", PRACTICE)
    assert (await post_signed(client, peer, "alice", "/inbox", like)).status == 202
    wrong = activity(peer, "alice", "Like", PRACTICE)
    assert (await post_signed(client, peer, "alice", "/inbox", wrong, key="other-rsa-2048")).status == 401
    assert peer.get_counts == {"/users/alice": 1}
    later = clock.timestamp() + 61
    monkeypatch.setattr(clock, "timestamp", lambda: later)
    peer.keys["alice"] = fixed_key("other-rsa-2048")
    rotated = activity(peer, "alice", "Like", PRACTICE)
    assert (await post_signed(client, peer, "alice", "/inbox", rotated)).status == 202
    assert peer.get_counts == {"/users/alice": 2}
