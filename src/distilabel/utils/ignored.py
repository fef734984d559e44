"""Warnings for parameters that are accepted (for distilabel 1.5 code) but change nothing here.

Each says what happens instead, once per process and parameter: a script that
sets one learns it at once, and a loop that runs a pipeline a thousand times is
told once.
"""

import threading
import warnings
from typing import Set

_WARNED: Set[str] = set()
_LOCK = threading.Lock()


class IgnoredParameterWarning(UserWarning):
    """A parameter was given that this implementation accepts but does not use."""


def warn_ignored(parameter: str, instead: str, stacklevel: int = 3) -> bool:
    """Warn, once per process, that ``parameter`` is ignored, and say what happens instead.

    Args:
        parameter: the parameter as the user wrote it, e.g. ``"Pipeline.run(use_fs_to_pass_data=True)"``.
        instead: what happens instead, e.g. ``"rows pass between steps in memory"``.
        stacklevel: passed to ``warnings.warn`` (the default points at the caller's caller).

    Returns:
        Whether the warning was issued now (``False`` when it was issued before).
    """
    with _LOCK:
        if parameter in _WARNED:
            return False
        _WARNED.add(parameter)
    warnings.warn(
        f"{parameter} is ignored: {instead}.", IgnoredParameterWarning, stacklevel=stacklevel
    )
    return True


def reset_ignored_warnings() -> None:
    """Forget which warnings were issued (for tests)."""
    with _LOCK:
        _WARNED.clear()


__all__ = ["IgnoredParameterWarning", "reset_ignored_warnings", "warn_ignored"]
