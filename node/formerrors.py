"""Errors a form shows next to one of its fields, in the reader's language.

A message is an English message id with `%(name)s` placeholders (the same convention as the
templates' `_()`), translated when the page is rendered. `_` and `ngettext` below only mark the ids so
that the catalog tools and the completeness test find them.

`Message` is such a message with its values, for errors raised far from any page (node/drafts.py, which
the CLI shares with the desk): `str()` is the English the CLI prints, `text(lang)` the same message in a
page's language. Its values say how to show themselves: `Key` a front matter key (as typed by the CLI,
as the form's label on a page), `Term` a word with a label, `Typed` what the user typed (the CLI shows
its repr, a page quotes it), a tuple a list; numbers are written as the language writes them."""

from collections.abc import Callable
from dataclasses import dataclass

from babel.numbers import format_decimal

from .i18n import babel_locale, plural_translator, translator


def _(message: str) -> str:
    """Marks a message id for extraction; translation happens in the handler that shows it."""
    return message


@dataclass(frozen=True)
class Plural:
    singular: str
    plural: str
    n: int


def ngettext(singular: str, plural: str, n: int) -> Plural:
    """Marks a plural message id for extraction; `n` chooses the form and is `%(num)s`."""
    return Plural(singular, plural, n)


@dataclass(frozen=True)
class Key:
    """A front matter key named by a message (`summary`, `stakeholders[0].url`): the CLI shows it as
    typed, in quotes unless `quoted` is false; a page shows its form field's label (`key_label`)."""

    path: str
    quoted: bool = True

    def __str__(self) -> str:
        return f"'{self.path}'" if self.quoted else self.path


@dataclass(frozen=True)
class Term:
    """A word the CLI shows as is (`external`) and a page as `label`, a message id (quoted)."""

    text: str
    label: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Typed:
    """A value the user typed: the CLI shows its repr (`'Paris'`), a page the value in quotes."""

    value: object

    def __str__(self) -> str:
        return repr(self.value)


Gettext = Callable[..., str]
KeyLabel = Callable[[str, Gettext], str]


def quote(gettext: Gettext, text: str) -> str:
    """`text` between the quotation marks of the reader's language."""
    return gettext("“%(text)s”", text=text)


def _english(value: object) -> object:
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return value


class Message:
    """A message id (or a `Plural`) and its values; `str()` in English, `text(lang)` in `lang`."""

    def __init__(self, message: str | Plural, **values: object) -> None:
        self.message = message
        self.values = values

    def __str__(self) -> str:
        values = {k: _english(v) for k, v in self.values.items()}
        if isinstance(self.message, Plural):
            m = self.message
            return (m.singular if m.n == 1 else m.plural) % {"num": m.n, **values}
        return self.message % values if values else self.message

    def __repr__(self) -> str:
        return f"Message({str(self)!r})"

    def keys(self) -> list[Key]:
        """The front matter keys the message names, in order."""
        found: list[Key] = []
        for value in self.values.values():
            found.extend(v for v in (value if isinstance(value, tuple | list) else (value,)) if isinstance(v, Key))
        return found

    def text(self, lang: str, key_label: KeyLabel | None = None) -> str:
        """The message in `lang`; `key_label(path, gettext)` names a key (default: the key, quoted)."""
        gettext = translator(lang)

        def show(value: object) -> str:
            if isinstance(value, Key):
                return key_label(value.path, gettext) if key_label else quote(gettext, value.path)
            if isinstance(value, Term):
                return quote(gettext, gettext(value.label))
            if isinstance(value, Typed):
                return quote(gettext, str(value.value))
            if isinstance(value, tuple | list):
                return ", ".join(show(v) for v in value)
            if isinstance(value, int) and not isinstance(value, bool):
                return format_decimal(value, locale=babel_locale(lang))
            return str(value)

        values = {k: show(v) for k, v in self.values.items()}
        if isinstance(self.message, Plural):
            m = self.message
            return plural_translator(lang)(m.singular, m.plural, m.n, num=show(m.n), **values)
        return gettext(self.message, **values)


class FieldError(Exception):
    """`field` is the form field's name ("" for the form as a whole); `status` the form's answer."""

    status = 400

    def __init__(self, field: str, message: str, **values: object) -> None:
        super().__init__(message % values if values else message)
        self.field = field
        self.message = message
        self.values = values

    def text(self, gettext: Callable[..., str]) -> str:
        return gettext(self.message, **self.values)
