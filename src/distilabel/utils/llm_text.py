"""Reading the parts of a model's free-text answer with a regular expression."""

import re
from typing import Dict, Optional


def named_groups(pattern: "re.Pattern[str]", output: Optional[str]) -> Dict[str, Optional[str]]:
    """The named groups of ``pattern``'s first match in ``output``, stripped, in pattern order.

    Every group is ``None`` when ``output`` is ``None`` (a failed generation) or does not match.
    """
    match = pattern.search(output) if output is not None else None
    if match is None:
        return dict.fromkeys(pattern.groupindex)
    return {name: (value.strip() if value is not None else None) for name, value in match.groupdict().items()}


__all__ = ["named_groups"]
