"""Themes as hashtags other servers keep whole.

Our themes are slugs (`food-sovereignty`). Mastodon drops what is not a letter, digit or `_` from a
hashtag's name (app/models/concerns/tag/naming.rb, `HASHTAG_INVALID_CHARS_RE`; app/lib/hashtag_normalizer.rb)
and, in text, ends a hashtag at the first hyphen (`HASHTAG_RE`): `#food-sovereignty` became the tag
`foodsovereignty`, shown `#foodsovereignty`, and the text linked `#food`. So we federate the words joined
in CamelCase (`#FoodSovereignty`): the tag Mastodon makes of it is the same, its display name keeps the
capitals (screen readers read the words), and nothing is cut. A theme is known by its key (case and
hyphens ignored), so `FoodSovereignty` from a peer is our `food-sovereignty`.
"""


def hashtag_name(theme: str) -> str:
    """The name we federate for a theme: `food-sovereignty` -> `FoodSovereignty`; a theme of one word
    stays as it is (`permaculture`)."""
    words = [w for w in theme.split("-") if w]
    if len(words) < 2:
        return "".join(words)
    return "".join(w[:1].upper() + w[1:] for w in words)


def theme_from_hashtag(name: str) -> str:
    """A received hashtag as a theme: `#FoodSovereignty` -> `food-sovereignty`, a hyphen where a capital
    follows a small letter or a digit, then lowercased. It undoes `hashtag_name` for a peer Maillage node
    (its cards read as ours do); any other spelling has the same key (`#iPhone` -> `i-phone`, still the
    theme `iphone`)."""
    out: list[str] = []
    for i, char in enumerate(name.strip().lstrip("#")):
        if i and char.isupper() and (out[-1].islower() or out[-1].isdigit()):
            out.append("-")
        out.append(char)
    return "".join(out).lower()


def theme_key(name: str) -> str:
    """What identifies a theme whatever its spelling: `#FoodSovereignty`, `foodsovereignty` and
    `food-sovereignty` are one theme. Stored names are lowercased already; SQL compares
    `replace(name, '-', '')` (THEME_KEY_SQL) with this."""
    return name.strip().lstrip("#").lower().replace("-", "")


THEME_KEY_SQL = "replace({}, '-', '')"  # theme_key of a stored (lowercased) name, as indexed by migration 0021
