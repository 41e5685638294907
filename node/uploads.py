"""Reading a form that carries a file without losing what was typed when the file is too large.

aiohttp's `request.post()` refuses a whole body over `client_max_size` with a bare 413: a phone photo
of 12 MB sent with its description lost the description. Here the multipart body is read part by part:
text fields are kept (at most MAX_TEXT_BYTES in all), a file keeps its first `max_file + 1` bytes (enough
for the handler to say "larger than 5 MB" beside the file field, the other fields refilled) and the
rest is read and dropped. The work stays bounded: past MAX_DRAINED bytes in all, reading stops with 413."""

import tempfile
from typing import IO, Any

from aiohttp import BodyPartReader, hdrs, web
from multidict import MultiDict, MultiDictProxy

FORM: web.RequestKey[MultiDictProxy[Any]] = web.RequestKey("maillage_form")
MAX_TEXT_BYTES = 1_048_576  # the text fields of a form, as the app's client_max_size for other forms
MAX_DRAINED = 64 * 1_048_576  # a whole upload request, the dropped part of a too-large file included
CHUNK = 65_536


def _too_large() -> web.HTTPRequestEntityTooLarge:
    return web.HTTPRequestEntityTooLarge(max_size=MAX_DRAINED, actual_size=MAX_DRAINED + 1)


async def read_form(request: web.Request, max_file: int) -> MultiDictProxy[Any]:
    """The form's fields, files as web.FileField holding at most `max_file + 1` bytes."""
    if request.content_type != "multipart/form-data":
        return await request.clone(client_max_size=MAX_TEXT_BYTES).post()
    out: MultiDict[Any] = MultiDict()
    opened: list[IO[bytes]] = []
    total = text = 0
    reader = await request.multipart()
    try:
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or not part.name:
                raise web.HTTPBadRequest(text="Unexpected part in the form.")
            kept = None
            if part.filename is not None:
                kept = tempfile.TemporaryFile()  # noqa: SIM115 (closed with the request: node/auth.py)
                opened.append(kept)
            data, size = bytearray(), 0
            while chunk := await part.read_chunk(CHUNK):
                total += len(chunk)
                if total > MAX_DRAINED:
                    raise _too_large()
                if kept is None:
                    text += len(chunk)
                    if text > MAX_TEXT_BYTES:
                        raise _too_large()
                    data.extend(chunk)
                elif size <= max_file:  # past the limit: read and dropped
                    kept.write(chunk[:max_file + 1 - size])
                    size += min(len(chunk), max_file + 1 - size)
            if kept is None:
                out.add(part.name, data.decode(part.get_charset("utf-8"), errors="replace"))
            else:
                kept.seek(0)
                out.add(part.name, web.FileField(
                    name=part.name, filename=part.filename or "", file=kept,
                    content_type=part.headers.get(hdrs.CONTENT_TYPE, "application/octet-stream"),
                    headers=part.headers))
    except BaseException:
        for file in opened:
            file.close()
        raise
    return MultiDictProxy(out)
