"""Messages for names that do not exist: list the valid ones and the closest match."""

import difflib
from typing import Iterable, Optional

from distilabel.errors import DistilabelUserError


def closest_name(name: str, valid: Iterable[str]) -> Optional[str]:
    """The valid name a typo most likely meant, or ``None`` when nothing is close."""
    matches = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.5)
    return matches[0] if matches else None


def unknown_name_error(what: str, name: str, valid: Iterable[str], where: str = "") -> DistilabelUserError:
    """Build the error for an unknown ``what`` called ``name``.

    Args:
        what: what kind of name it is, e.g. "generation kwarg".
        name: the name that was given.
        valid: the names that would have been accepted.
        where: the component it was given to, e.g. "OpenAILLM".
    """
    valid = sorted(valid)
    suffix = f" for {where}" if where else ""
    message = f"Unknown {what} {name!r}{suffix}."
    suggestion = closest_name(name, valid)
    if suggestion is not None:
        message += f" Did you mean {suggestion!r}?"
    message += f" Valid names: {', '.join(valid) if valid else '(none)'}."
    return DistilabelUserError(message)
