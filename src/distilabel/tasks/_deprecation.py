"""The one DeprecationWarning every 0.x class gives, pointing at the user's line."""

import sys
import warnings
from pathlib import Path
from typing import Tuple

import pydantic

# Frames inside these folders (and dataclass-generated ``__init__`` code) are ours,
# not the user's: the warning skips them to point at the line that made the object.
_INTERNAL_PREFIXES: Tuple[str, ...] = (
    str(Path(__file__).resolve().parents[1]),  # the distilabel package
    str(Path(pydantic.__file__).resolve().parent),
)
_INTERNAL_FILES = frozenset({"<string>", str(Path(__import__("dataclasses").__file__).resolve())})


def user_stacklevel() -> int:
    """For ``warnings.warn`` called by our caller: the first frame outside distilabel, pydantic, dataclasses."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None:
        filename = frame.f_code.co_filename
        internal = filename in _INTERNAL_FILES or str(Path(filename).resolve()).startswith(_INTERNAL_PREFIXES)
        if not internal:
            return level
        frame = frame.f_back
        level += 1
    return level


def warn_legacy(name: str, instead: str) -> None:
    """Warn that ``name`` is distilabel 0.x's API and say what replaces it in 1.x.

    Args:
        name: the 0.x class, e.g. ``"distilabel.llm.OpenAILLM"``.
        instead: its 1.x equivalent, e.g. ``"distilabel.models.llms.OpenAILLM"``.
    """
    warnings.warn(
        f"{name} is distilabel 0.x's API, kept so that 0.x code still runs; in distilabel 1.x use {instead}"
        " (see docs/legacy_0x.md).",
        DeprecationWarning,
        stacklevel=user_stacklevel(),
    )


def warn_user(message: str) -> None:
    """A ``UserWarning`` about how 0.x code uses an object, pointing at the user's line."""
    warnings.warn(message, UserWarning, stacklevel=user_stacklevel())


__all__ = ["user_stacklevel", "warn_legacy", "warn_user"]
