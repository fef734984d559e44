"""Text that can always be encoded: lone UTF-16 surrogates replaced.

A model cut at ``max_tokens`` in the middle of an emoji can return half of a
surrogate pair (``"\\ud83d"``). Python holds it in a ``str``, but no UTF-8 encoder
(files, SQLite, Arrow) accepts it, so one such answer would stop a whole run.
Where text leaves the process it goes through ``clean_text``/``clean_value``: a
pair split in two code points is joined back, a lone half becomes U+FFFD (the
replacement character), everything else is left as it is.
"""

import re
from typing import Any

from distilabel.utils.nested import map_leaves

_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT_CHARACTER = "\ufffd"


def has_lone_surrogates(text: str) -> bool:
    """Whether ``text`` holds a surrogate code point (it cannot be encoded to UTF-8)."""
    return _SURROGATE.search(text) is not None


def clean_text(text: str) -> str:
    """``text`` with surrogate pairs joined and lone surrogates replaced by U+FFFD."""
    if not has_lone_surrogates(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def clean_value(value: Any) -> Any:
    """``value`` (strings, and dicts, lists and tuples of them) with every string cleaned."""
    return map_leaves(value, _clean_leaf, keys=_clean_leaf)


def _clean_leaf(value: Any) -> Any:
    return clean_text(value) if isinstance(value, str) else value


__all__ = ["REPLACEMENT_CHARACTER", "clean_text", "clean_value", "has_lone_surrogates"]
