"""NodeInfo 2.1 (FEP-f1d5) with the application-actor link of FEP-2677."""

from dataclasses import dataclass
from typing import Any

NODEINFO_21_SCHEMA = "http://nodeinfo.diaspora.software/ns/schema/2.1"
APPLICATION_ACTOR_REL = "https://www.w3.org/ns/activitystreams#Application"


@dataclass(frozen=True)
class NodeStats:
    """Counts a node publishes about itself."""

    users_total: int
    users_active_month: int
    users_active_halfyear: int
    local_posts: int


def build_nodeinfo_links(base_url: str, instance_actor_iri: str) -> dict[str, Any]:
    """`/.well-known/nodeinfo`: the 2.1 document, and the instance actor (FEP-2677)."""
    return {
        "links": [
            {"rel": NODEINFO_21_SCHEMA, "href": f"{base_url}/nodeinfo/2.1"},
            {"rel": APPLICATION_ACTOR_REL, "href": instance_actor_iri},
        ]
    }


def build_nodeinfo(
    *, version: str, open_registrations: bool, stats: NodeStats, metadata: dict[str, Any]
) -> dict[str, Any]:
    """The NodeInfo 2.1 document (FEP-f1d5); software name is lowercase as the schema requires."""
    return {
        "version": "2.1",
        "software": {"name": "maillage", "version": version},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0"]},
        "openRegistrations": open_registrations,
        "usage": {
            "users": {
                "total": stats.users_total,
                "activeMonth": stats.users_active_month,
                "activeHalfyear": stats.users_active_halfyear,
            },
            "localPosts": stats.local_posts,
        },
        "metadata": metadata,
    }
