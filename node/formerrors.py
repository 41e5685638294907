"""Errors a form shows next to one of its fields, in the reader's language.

A message is an English message id with `%(name)s` placeholders (the same convention as the
templates' `_()`), translated when the page is rendered. `_` below only marks the ids so that the
catalog tools and the completeness test find them."""

from collections.abc import Callable


def _(message: str) -> str:
    """Marks a message id for extraction; translation happens in the handler that shows it."""
    return message


class FieldError(Exception):
    """`field` is the form field's name ("" for the form as a whole)."""

    def __init__(self, field: str, message: str, **values: object) -> None:
        super().__init__(message % values if values else message)
        self.field = field
        self.message = message
        self.values = values

    def text(self, gettext: Callable[..., str]) -> str:
        return gettext(self.message, **self.values)
