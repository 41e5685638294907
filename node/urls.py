"""Every IRI this node mints, in one place, so routes and documents cannot disagree."""

import uuid
from dataclasses import dataclass

INSTANCE_ACTOR_USERNAME = "instance.actor"
# Names that would look like the node itself; `/users/{name}` has no other route to collide with.
RESERVED_USERNAMES = frozenset({INSTANCE_ACTOR_USERNAME, "actor", "instance", "root", "webmaster", "postmaster"})
KIND_PATHS = {"practice": "practices", "journey": "journeys", "outcome": "outcomes"}


@dataclass(frozen=True)
class Urls:
    """IRIs under one base URL (`https://host[:port]`, no trailing slash)."""

    base: str

    def actor(self, username: str) -> str:
        if username == INSTANCE_ACTOR_USERNAME:
            return f"{self.base}/actor"
        return f"{self.base}/users/{username}"

    def key_id(self, username: str) -> str:
        return f"{self.actor(username)}#main-key"

    def followers(self, username: str) -> str:
        return f"{self.actor(username)}/followers"

    @property
    def shared_inbox(self) -> str:
        return f"{self.base}/inbox"

    def object(self, kind: str, slug: str) -> str:
        return f"{self.base}/{KIND_PATHS[kind]}/{slug}"

    def tag(self, name: str) -> str:
        return f"{self.base}/tags/{name}"

    def new_activity(self) -> str:
        return f"{self.base}/activities/{uuid.uuid4()}"

    def activity(self, token: str) -> str:
        return f"{self.base}/activities/{token}"

    def note(self, token: str) -> str:
        """An organizer's reply (node/replying.py)."""
        return f"{self.base}/notes/{token}"


REMOTE_PAGES = "/remote/"  # + a peer's item's `remote_content.id`: its page here (node/web/remote_items.py)


def remote_page(content_id: int) -> str:
    """The path of this node's page for a peer's item it holds (`remote_content.id`)."""
    return f"{REMOTE_PAGES}{content_id}"
