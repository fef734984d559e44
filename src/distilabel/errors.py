"""Errors raised for mistakes a user can fix: each message says what was wrong and what to do."""

from typing import Optional


class DistilabelError(Exception):
    """Base of the errors distilabel raises for user mistakes, with an optional pointer to the docs."""

    def __init__(self, message: str, *, page: Optional[str] = None) -> None:
        self.message = message
        self.page = page
        super().__init__(message if page is None else f"{message}\n\nFor further information visit '{page}'")


class DistilabelUserError(DistilabelError, ValueError):
    """A value given by the user is wrong: a parameter, a column, a file."""


class DistilabelTypeError(DistilabelError, TypeError):
    """A value given by the user has the wrong type."""


class DistilabelNotImplementedError(DistilabelError, NotImplementedError):
    """The feature asked for is not available for this component."""


__all__ = [
    "DistilabelError",
    "DistilabelNotImplementedError",
    "DistilabelTypeError",
    "DistilabelUserError",
]
