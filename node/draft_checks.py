"""Reading one value of a submission's front matter (text, URL, list, place...) and refusing it with a
message that names its key (node/formerrors.py); `Checks` runs the checks of a whole submission and keeps
every refusal, so that node/drafts.py refuses a draft with all its problems at once."""

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from protocol.langmap import canonical_lang_tag, is_lang_tag
from protocol.places import Address, Place

from .formerrors import Key, Message, Plural, _, ngettext
from .render import markdown_to_html

MAX_TEXT, MAX_ITEMS = 20_000, 50


class DraftError(Exception):
    """The submission is invalid; the message names the key and the problem. `str()` is the English the
    CLI prints; `message.text(lang, ...)` the same message in a page's language (node/formerrors.py);
    `about` the front matter key it is about ("" when none), for a form to show it beside that field."""

    def __init__(self, message: str | Plural, /, *, about: str | None = None, **values: object) -> None:
        self.message = Message(message, **values)
        keys = self.message.keys()
        self.about = about if about is not None else (keys[0].path if keys else "")
        self.problems: tuple[DraftError, ...] = (self,)  # every refusal of the submission, this one first
        super().__init__(str(self.message))

    def __str__(self) -> str:
        return "\n".join(str(p.args[0]) for p in self.problems)

    @classmethod
    def of(cls, problems: Sequence["DraftError"]) -> "DraftError":
        """One refusal carrying `problems` (the first gives `message` and `about`)."""
        first = problems[0]
        first.problems = tuple(problems)
        return first


T = TypeVar("T")


class Checks:
    """Runs checks that do not depend on each other and keeps every refusal: `run` answers None for a
    refused part, and `done` raises them all together."""

    def __init__(self) -> None:
        self.problems: list[DraftError] = []

    def run(self, check: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return check(*args, **kwargs)
        except DraftError as exc:
            self.problems.extend(exc.problems)
            return None

    def each(self, meta: Mapping[str, Any], key: str, check: Callable[[int, Any], T]) -> list[T]:
        """`check(i, item)` for each item of the list `meta[key]`: the items it accepts."""
        items = self.run(read_list, meta, key) or []
        return [found for i, item in enumerate(items) if (found := self.run(check, i, item)) is not None]

    def add(self, problem: DraftError) -> None:
        self.problems.append(problem)

    def done(self) -> None:
        if self.problems:
            raise DraftError.of(self.problems)



def read_text(meta: Mapping[str, Any], key: str, limit: int, *, required: bool = False, where: str = "") -> str:
    """`meta[key]` as text; `where` is the path of `meta` in the front matter (`stakeholders[0].`)."""
    value = meta.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise DraftError(_("%(key)s is required"), key=Key(f"{where}{key}"))
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise DraftError(_("%(key)s must be text"), key=Key(f"{where}{key}"))
    text = str(value).strip()
    if len(text) > limit:
        raise DraftError(ngettext("%(key)s is longer than %(num)s character",
                                  "%(key)s is longer than %(num)s characters", limit), key=Key(f"{where}{key}"))
    return text


def read_url(value: Any, key: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+", value):
        raise DraftError(_("%(key)s must be an http(s) URL"), key=Key(key))
    return value.strip()


def read_list(meta: Mapping[str, Any], key: str) -> list[Any]:
    value = meta.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise DraftError(_("%(key)s must be a list"), key=Key(key))
    if len(value) > MAX_ITEMS:
        raise DraftError(ngettext("%(key)s has more than %(num)s entry", "%(key)s has more than %(num)s entries",
                                  MAX_ITEMS), key=Key(key))
    return value


def read_localized(value: Any, key: str, lang: str, limit: int = 1000) -> dict[str, str]:
    """A short text in the draft's language, or a mapping of several languages ({fr: ..., en: ...})."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        out = {}
        for tag, text in value.items():
            if not isinstance(tag, str) or not is_lang_tag(tag) or not isinstance(text, str):
                raise DraftError(_("%(key)s must map language tags to text"), key=Key(key))
            if text.strip():  # an empty text is no text: `alt: ""` must not pass for an alt text
                out[canonical_lang_tag(tag)] = text.strip()[:limit]
        return out
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        text = str(value).strip()[:limit]
        return {lang: text} if text else {}
    raise DraftError(_("%(key)s must be text"), key=Key(key))


def read_markdown(meta: Mapping[str, Any], key: str, lang: str) -> dict[str, str]:
    text = read_text(meta, key, MAX_TEXT)
    return {lang: markdown_to_html(text)} if text else {}


def read_place(value: Any, key: str) -> Place | None:
    if value is None:
        return None
    if isinstance(value, str):
        return Place(name=value.strip()[:300]) if value.strip() else None
    if not isinstance(value, Mapping):
        raise DraftError(_("%(key)s must be a place name or a mapping with name, street, locality..."), key=Key(key))
    name = read_text(value, "name", 300, where=f"{key}.") or read_text(value, "locality", 200, where=f"{key}.")
    if not name:
        raise DraftError(_("%(key)s is required"), key=Key(f"{key}.name"))
    lat, lon = value.get("latitude"), value.get("longitude")
    if (lat is None) != (lon is None):  # `about`: the form field to show it beside
        raise DraftError(_("%(key)s needs both latitude and longitude, or neither"), key=Key(key),
                         about=f"{key}.{'longitude' if lon is None else 'latitude'}")
    if lat is not None:
        for part, number, bound in (("latitude", lat, 90), ("longitude", lon, 180)):
            if isinstance(number, bool) or not isinstance(number, int | float) or not -bound <= number <= bound:
                raise DraftError(_("%(key)s latitude must be within ±90 and longitude within ±180"), key=Key(key),
                                 about=f"{key}.{part}")
    parts = [read_text(value, k, 200, where=f"{key}.") or None
             for k in ("street", "postal_code", "locality", "region", "country")]
    return Place(name=name, address=Address(*parts) if any(parts) else None,
                 latitude=float(lat) if lat is not None else None, longitude=float(lon) if lon is not None else None)

