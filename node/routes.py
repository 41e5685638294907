"""The route table: every URL this node answers, in one place."""

from aiohttp import web

from .assets import asset_dir
from .web import actors, content, discovery, feeds, images, inbox, items, ops, peers, remote_items, search, site, social
from .web.desk_routes import setup_desk_routes


def setup_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/.well-known/webfinger", discovery.get_webfinger)
    r.add_get("/.well-known/host-meta", discovery.get_host_meta)
    r.add_get("/.well-known/nodeinfo", discovery.get_nodeinfo_links)
    r.add_get("/nodeinfo/2.1", discovery.get_nodeinfo)
    r.add_get("/", site.get_home)
    r.add_get("/healthz", content.get_healthz)
    r.add_get("/readyz", ops.get_readyz)
    r.add_get("/readyz/request/{tail:.*}", ops.get_request_echo)
    r.add_get("/actor", actors.get_instance_actor)
    r.add_post("/actor/inbox", inbox.post_shared_inbox)
    r.add_get("/actor/outbox", actors.get_outbox)
    r.add_get("/actor/followers", actors.get_followers)
    r.add_get("/actor/following", actors.get_following)
    r.add_post("/inbox", inbox.post_shared_inbox)
    r.add_get("/users/{username}", actors.get_actor_page)
    r.add_post("/users/{username}/inbox", inbox.post_inbox)
    r.add_get("/users/{username}/outbox", actors.get_outbox)
    r.add_get("/users/{username}/followers", actors.get_followers)
    r.add_get("/users/{username}/following", actors.get_following)
    r.add_get("/practices", site.get_library)
    r.add_get("/journeys", site.get_calendar)
    r.add_get("/outcomes", site.get_outcomes)
    r.add_get("/feed.atom", feeds.get_atom)
    r.add_get("/{kind:practices|journeys|outcomes}.atom", feeds.get_atom)
    r.add_get("/journeys.ics", feeds.get_journeys_ics)
    r.add_get("/journeys/{slug:[a-z0-9][a-z0-9-]*}.ics", feeds.get_journey_ics)
    r.add_get("/journeys/{slug}/rsvp", items.get_rsvp)
    r.add_get("/{kind:practices|journeys|outcomes}/{slug}/replies", items.get_replies)
    r.add_get("/{kind:practices|journeys|outcomes}/{slug}/{which:likes|shares}", social.get_reactions)
    r.add_get("/{kind:practices|journeys|outcomes}/{slug}", items.get_object)
    r.add_get("/{kind:practices|journeys|outcomes}/{slug}/images/{key:[0-9a-f]{32}}", images.get_item_image)
    r.add_get("/programmes/{slug}", items.get_programme)
    r.add_get("/activities/{token}", content.get_activity)
    r.add_get("/tags/{name}", content.get_tag)
    r.add_get("/peers", peers.get_peers)
    r.add_get("/remote/{id:[0-9]{1,18}}", remote_items.get_remote_item)
    r.add_get("/remote/{id:[0-9]{1,18}}.ics", feeds.get_remote_journey_ics)
    r.add_get("/remote/{id:[0-9]{1,18}}/media/{n:[0-9]{1,3}}", remote_items.get_remote_media)
    r.add_get("/remote/{id:[0-9]{1,18}}/images/{key:[0-9a-f]{32}}", images.get_remote_image)
    r.add_get("/comments/{id:[0-9]{1,18}}/images/{key:[0-9a-f]{32}}", images.get_comment_image)
    r.add_get("/search", search.get_search)
    r.add_get("/notes/{token}", social.get_note)
    setup_desk_routes(r)  # /login, /desk, /admin, /media
    r.add_static("/static", asset_dir("static"))
