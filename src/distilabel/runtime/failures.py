"""Whether a failed row would fail again: permanent failures and transient ones.

A row that failed keeps its reason in ``distilabel_metadata["error_<step>"]`` and,
next to it, ``distilabel_metadata["error_<step>_permanent"]``: ``True`` when sending
it again would fail the same way, ``False`` when it may well succeed.

- Permanent: the provider refused the request (an HTTP 4xx other than 408, 409, 425
  and 429: a bad request, a prompt too long, an unknown model...), the model refused
  to answer or its answer was withheld by a content filter, or the task could not
  build a prompt from the row (bad input).
- Transient: rate limits (429), server errors (5xx), timeouts and lost connections
  (after their retries), and answers that arrived but were empty or did not follow
  the structured output (a new sample may).

A plain rerun sends the transient failures again and keeps the permanent ones as they
are; ``Pipeline.run(retry_failed=True)`` (``distilabel pipeline run --retry-failed``)
sends every failed row again.
"""

import re
from typing import Any, Optional

from distilabel.runtime.retries import RETRYABLE_STATUSES

PERMANENT_SUFFIX = "_permanent"

_HTTP_STATUS = re.compile(r"\(HTTP (\d{3})\)")
# Reasons the shared code writes for failures that would happen again.
_PERMANENT_PREFIXES = ("format_input failed", "the model refused")
_CONTENT_FILTER = "content_filter"


class FailureReason(str):
    """A row's failure reason (a plain ``str`` everywhere) that knows whether it is permanent."""

    permanent: bool

    def __new__(cls, reason: str, permanent: bool) -> "FailureReason":
        value = super().__new__(cls, reason)
        value.permanent = permanent
        return value

    def __reduce__(self) -> Any:
        return (FailureReason, (str(self), self.permanent))


def is_permanent(reason: Any) -> bool:
    """Whether a failure ``reason`` (as stored in a row) would happen again if the row were sent again."""
    if reason is None:
        return False
    if isinstance(reason, list):
        failed = [item for item in reason if item is not None]
        return bool(failed) and all(is_permanent(item) for item in failed)
    known = getattr(reason, "permanent", None)
    if isinstance(known, bool):
        return known
    text = str(reason)
    if text.startswith(_PERMANENT_PREFIXES) or _CONTENT_FILTER in text:
        return True
    match = _HTTP_STATUS.search(text)
    if match is not None:
        status = int(match.group(1))
        return 400 <= status < 500 and status not in RETRYABLE_STATUSES
    return False


def permanent_flag(error: Any) -> Any:
    """The value stored beside a row's ``error_<step>``: a bool, or one per generation for a list."""
    if isinstance(error, list):
        return [None if item is None else is_permanent(item) for item in error]
    return is_permanent(error)


def row_failure(metadata: Any, step: str) -> Optional[bool]:
    """How a stored row of ``step`` failed: ``None`` if it did not, else whether permanently.

    Reads the flag the row was written with, or classifies the reason of a row written
    before the flag existed.
    """
    if isinstance(metadata, list):  # group_generations: one metadata dict per generation
        flags = [row_failure(item, step) for item in metadata]
        failed = [flag for flag in flags if flag is not None]
        return None if not failed else all(failed)
    if not isinstance(metadata, dict):
        return None
    key = f"error_{step}"
    if key not in metadata:
        return None
    error = metadata[key]
    if isinstance(error, list) and not any(item is not None for item in error):
        return None
    flag = metadata.get(key + PERMANENT_SUFFIX)
    if isinstance(flag, bool):
        return flag
    if isinstance(flag, list) and any(item is not None for item in flag):
        return all(item for item in flag if item is not None)
    return is_permanent(error)


__all__ = ["PERMANENT_SUFFIX", "FailureReason", "is_permanent", "permanent_flag", "row_failure"]
