"""Read the ``Args:`` section of Google-style docstrings.

The ``Args:`` of an LLM's ``generate`` / ``agenerate`` document its generation kwargs,
so these descriptions are what users see for ``generation_kwargs``.
"""

import inspect
import re
from typing import Callable, Dict, Optional

_SECTION = re.compile(r"^(\w[\w ]*):\s*$")
_ARG = re.compile(r"^(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")


def parse_args_section(doc: Optional[str]) -> Dict[str, str]:
    """Map each argument in a Google-style ``Args:`` section to its description."""
    if not doc:
        return {}
    lines = inspect.cleandoc(doc).splitlines()
    descriptions: Dict[str, str] = {}
    in_args = False
    arg_indent: Optional[int] = None
    current: Optional[str] = None
    for line in lines:
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if not in_args:
            in_args = stripped in ("Args:", "Arguments:", "Parameters:")
            continue
        if stripped and indent == 0 and _SECTION.match(stripped):
            break
        if not stripped:
            continue
        if arg_indent is None:
            arg_indent = indent
        match = _ARG.match(stripped) if indent == arg_indent else None
        if match:
            current = match.group(1).lstrip("*")
            descriptions[current] = match.group(2).strip()
        elif current is not None:
            descriptions[current] = f"{descriptions[current]} {stripped}".strip()
    return descriptions


def describe_arguments(function: Callable) -> Dict[str, str]:
    return parse_args_section(inspect.getdoc(function))
