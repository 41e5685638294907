"""Tests for protocol.nodeinfo: NodeInfo 2.1 (FEP-f1d5) and the instance actor link (FEP-2677)."""

import re

from protocol.nodeinfo import (
    APPLICATION_ACTOR_REL,
    NODEINFO_21_SCHEMA,
    NodeStats,
    build_nodeinfo,
    build_nodeinfo_links,
)

STATS = NodeStats(users_total=12, users_active_month=5, users_active_halfyear=9, local_posts=340)


def test_nodeinfo_links_exact_document() -> None:
    assert build_nodeinfo_links("https://node.example", "https://node.example/actors/node.example") == {
        "links": [
            {"rel": "http://nodeinfo.diaspora.software/ns/schema/2.1", "href": "https://node.example/nodeinfo/2.1"},
            {"rel": "https://www.w3.org/ns/activitystreams#Application",
             "href": "https://node.example/actors/node.example"},
        ]
    }


def test_fep_2677_application_actor_rel() -> None:
    """FEP-2677: the instance actor is linked with the AS2 `Application` type IRI as rel."""
    assert APPLICATION_ACTOR_REL == "https://www.w3.org/ns/activitystreams#Application"
    links = build_nodeinfo_links("http://127.0.0.1:8080", "http://127.0.0.1:8080/actor")["links"]
    assert [link["href"] for link in links if link["rel"] == APPLICATION_ACTOR_REL] == ["http://127.0.0.1:8080/actor"]
    assert [link["href"] for link in links if link["rel"] == NODEINFO_21_SCHEMA] == [
        "http://127.0.0.1:8080/nodeinfo/2.1"
    ]


def test_nodeinfo_exact_document() -> None:
    doc = build_nodeinfo(
        version="0.1.0", open_registrations=False, stats=STATS, metadata={"nodeName": "Réseau test"}
    )
    assert doc == {
        "version": "2.1",
        "software": {"name": "maillage", "version": "0.1.0"},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0"]},
        "openRegistrations": False,
        "usage": {
            "users": {"total": 12, "activeMonth": 5, "activeHalfyear": 9},
            "localPosts": 340,
        },
        "metadata": {"nodeName": "Réseau test"},
    }


def test_nodeinfo_follows_the_2_1_schema() -> None:
    """The constraints of http://nodeinfo.diaspora.software/ns/schema/2.1 that apply to our document."""
    doc = build_nodeinfo(version="1.2.3-dev", open_registrations=True, stats=STATS, metadata={})
    assert set(doc) == {"version", "software", "protocols", "services", "openRegistrations", "usage", "metadata"}
    assert doc["version"] == "2.1"
    assert re.fullmatch(r"[a-z0-9-]+", doc["software"]["name"])
    assert isinstance(doc["software"]["version"], str)
    assert doc["protocols"] and set(doc["protocols"]) <= {
        "activitypub", "buddycloud", "dfrn", "diaspora", "libertree", "ostatus", "pumpio", "tent", "xmpp", "zot",
    }
    assert set(doc["services"]["inbound"]) <= {
        "atom1.0", "gnusocial", "imap", "pnut", "pop3", "pumpio", "rss2.0", "twitter",
    }
    assert set(doc["services"]["outbound"]) <= {
        "atom1.0", "blogger", "buddycloud", "diaspora", "dreamwidth", "drupal", "facebook", "friendica",
        "gnusocial", "google", "insanejournal", "libertree", "linkedin", "livejournal", "mediagoblin", "myspace",
        "pinterest", "pnut", "posterous", "pumpio", "redmatrix", "rss2.0", "smtp", "tent", "tumblr", "twitter",
        "wordpress", "xmpp",
    }
    assert doc["openRegistrations"] is True
    users = doc["usage"]["users"]
    assert all(isinstance(users[k], int) and users[k] >= 0 for k in ("total", "activeMonth", "activeHalfyear"))
    assert isinstance(doc["usage"]["localPosts"], int)
    assert isinstance(doc["metadata"], dict)


def test_nodeinfo_metadata_is_passed_through() -> None:
    metadata = {"nodeName": "Réseau", "nodeDescription": "ESS", "languages": ["fr", "en"]}
    assert build_nodeinfo(version="0", open_registrations=False, stats=STATS, metadata=metadata)["metadata"] == metadata
