"""Other servers' images, served from this node's cache (node/remote_media.py) at the address of the
stored object whose page shows them (node/page_images.py): a peer's item, one of ours, a comment. An
address names the object and the image's key, never a URL: only an image the object, while shown, names
is fetched."""

from aiohttp import web

from .. import remote_media
from ..appkeys import CONFIG, DB, FETCHER, URLS
from ..comments import shown_texts
from ..content import find_object, load_publication
from ..page_images import named
from ..remote_content import find_remote
from .items import PATH_KINDS
from .pages import parse_details


async def serve(request: web.Request, url: str | None) -> web.StreamResponse:
    """The image at `url` from the cache (fetched and kept on first use); 404 when `url` is None."""
    if url is None:
        raise web.HTTPNotFound(text="Not found")
    try:
        path, media_type = await remote_media.image(
            request.app[FETCHER], remote_media.cache_dir(request.app[CONFIG].data_dir), url)
    except remote_media.RemoteMediaError as exc:
        raise (web.HTTPNotFound if exc.status == 404 else web.HTTPBadGateway)(text=exc.reason) from None
    return web.FileResponse(path, headers={
        "Content-Type": media_type, "Cache-Control": "public, max-age=86400",
        "Content-Security-Policy": "default-src 'none'; sandbox"})


async def get_remote_image(request: web.Request) -> web.StreamResponse:
    """`/remote/{id}/images/{key}`: an image in the text of a peer's item (its page: node/web/remote_items.py)."""
    item = await find_remote(request.app[DB], int(request.match_info["id"]))
    if item is None or item.deleted_at:
        raise web.HTTPNotFound(text="Not found")
    return await serve(request, named(request.match_info["key"], request.app[URLS].base,
                                      [t.content_html for t in item.translations],
                                      parse_details(item.kind, item.fields, item.default_lang)))


async def get_item_image(request: web.Request) -> web.StreamResponse:
    """`/{kind}/{slug}/images/{key}`: an image one of our items names at another server's address."""
    db, urls = request.app[DB], request.app[URLS]
    stored = await find_object(db, PATH_KINDS[request.match_info["kind"]], request.match_info["slug"])
    if stored is None or stored.deleted_at:
        raise web.HTTPNotFound(text="Not found")
    pub = await load_publication(db, urls, stored, request.app[CONFIG].network)
    return await serve(request, named(request.match_info["key"], urls.base,
                                      [t.content_html for t in pub.translations],
                                      parse_details(stored.kind, pub.extra, pub.default_lang)))


async def get_comment_image(request: web.Request) -> web.StreamResponse:
    """`/comments/{id}/images/{key}`: an image in a shown comment (approved, not deleted)."""
    texts = await shown_texts(request.app[DB], int(request.match_info["id"]))
    return await serve(request, named(request.match_info["key"], request.app[URLS].base, texts))
