"""`maillage export`: every practice, journey and outcome this node publishes, in every language, as the
Markdown files with front matter that `maillage publish` reads, so that a network can keep its
write-ups in a readable form, edit them elsewhere, or publish them again on another node.

Files are numbered in publishing order, the original language before its translations (an outcome
after the journey it reports on): `for f in OUT/*.md` publishes them back in an order that works. Each
file is checked to parse as `maillage publish` would parse it before anything is written, and the
folder appears whole or not at all (written beside it, then renamed). Attachments keep their
addresses on this node; what others wrote (comments, peers' items) is theirs and is not exported."""

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .content import StoredObject, all_objects
from .db import Database
from .drafts import DraftError, parse_markdown
from .web.desk_forms import FIELDS, form_attachments, stored_form, to_mapping


class ExportError(Exception):
    """The export cannot be written; the message says why."""


@dataclass(frozen=True)
class Exported:
    path: Path
    author: str  # the organizer to publish it as (`--as`)


def _kept(value: Any) -> bool:
    return value not in ("", None, [], {})


async def markdown_of(db: Database, stored: StoredObject, lang: str) -> str:
    """One language of one item as the Markdown file `maillage publish` reads."""
    form = await stored_form(db, stored, lang, own_texts_only=True)
    meta, body = to_mapping(stored.kind, {k: v for k, v in form.items() if k in FIELDS[stored.kind]},
                            form_attachments(form, []))
    meta = {k: v for k, v in meta.items() if _kept(v) or k in ("type", "slug", "lang", "title", "summary")}
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=100)
    return f"---\n{front}---\n{body.strip()}\n"


async def rendered(db: Database, *, default_lang: str) -> list[tuple[str, str, str]]:
    """(file name, Markdown, author) of every item in every language, numbered in publishing order; each
    checked to parse as `maillage publish` parses it."""
    files: list[tuple[str, str, str]] = []
    for stored in await all_objects(db):
        langs = [r["lang"] for r in await db.fetch_all(
            "SELECT lang FROM translations WHERE object_id = ? ORDER BY lang != ?, lang",
            (stored.id, stored.default_lang))]
        for lang in langs:
            text = await markdown_of(db, stored, lang)
            try:
                parse_markdown(text, default_lang=default_lang)
            except DraftError as exc:
                raise ExportError(f"{stored.kind} {stored.slug} ({lang}) would not publish again: {exc}") from exc
            files.append((f"{len(files) + 1:04d}-{stored.kind}-{stored.slug}.{lang}.md", text, stored.author))
    return files


def write_folder(folder: Path, files: list[tuple[str, str, str]]) -> list[Exported]:
    """Write the files into `folder` (which must not exist, or be empty), whole or not at all."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ExportError(f"{folder} exists and is not an empty folder: choose a new one")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        for name, text, _author in files:
            (staging / name).write_text(text, encoding="utf-8")
        staging.chmod(0o755)  # mkdtemp makes it private; an export is meant to be read
        if folder.exists():
            folder.rmdir()  # empty, checked above
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return [Exported(folder / name, author) for name, _text, author in files]
