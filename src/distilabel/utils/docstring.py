"""Read the ``Args:`` section of Google-style docstrings.

The ``Args:`` of an LLM's ``generate`` / ``agenerate`` document its generation kwargs,
so these descriptions are what users see for ``generation_kwargs``.
"""

import inspect
import re
from typing import Callable, Dict, List, Optional, Tuple

from typing_extensions import TypedDict

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


# --- distilabel 1.5's parse_google_docstring --------------------------------------------------------------

_SECTIONS = {
    "Args": "args",
    "Returns": "returns",
    "Raises": "raises",
    "Attributes": "attributes",
    "Runtime parameters": "runtime_parameters",
    "Input columns": "input_columns",
    "Output columns": "output_columns",
    "Categories": "categories",
    "Icon": "icon",
    "References": "references",
    "Examples": "examples",
    "Note": "note",
    "Citations": "citations",
}
_HEADER = re.compile(rf"^({'|'.join(_SECTIONS)}):\s*$")
_COLUMN = re.compile(r"^-\s*(\w+)\s*\(([^)]*)\):\s*(.*)$")
_DASHED_NAME = re.compile(r"^-\s*`?(\w+)`?:\s*(.*)$")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")
_EXAMPLE = re.compile(r"^(.+?):\s*\n\s*```python\n(.*?)\n\s*```", re.DOTALL | re.MULTILINE)
_FENCED = re.compile(r"```(.*?)```", re.DOTALL)


class Docstring(TypedDict):
    """The sections of a component's Google-style docstring (``parse_google_docstring``)."""

    short_description: str
    description: str
    attributes: Dict[str, str]
    args: Dict[str, str]
    returns: str
    raises: Dict[str, str]
    runtime_parameters: Dict[str, str]
    input_columns: Dict[str, Tuple[str, str]]
    output_columns: Dict[str, Tuple[str, str]]
    categories: List[str]
    icon: str
    references: Dict[str, str]
    examples: Dict[str, str]
    note: str
    citations: List[str]


def _dashed_items(lines: List[str]) -> List[str]:
    """Join the lines of ``- item`` entries, continuation lines included."""
    items: List[str] = []
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("-"):
            items.append(stripped)
        elif stripped and items:
            items[-1] = f"{items[-1]} {stripped}"
    return items


def parse_google_docstring(func: Callable) -> Docstring:
    """The sections of ``func``'s docstring, as distilabel 1.5's components gallery reads them.

    Besides Google style's ``Args:``, ``Returns:``, ``Raises:`` and ``Attributes:``, it
    reads distilabel's ``Runtime parameters:``, ``Input columns:`` / ``Output columns:``
    (``- name (type): description``), ``Categories:``, ``Icon:``, ``References:``
    (``- [name](url)``), ``Examples:`` (a title, then a fenced Python block), ``Note:``
    and ``Citations:`` (fenced blocks).
    """
    result: Docstring = {
        "short_description": "", "description": "", "attributes": {}, "args": {}, "returns": "", "raises": {},
        "runtime_parameters": {}, "input_columns": {}, "output_columns": {}, "categories": [], "icon": "",
        "references": {}, "examples": {}, "note": "", "citations": [],
    }  # fmt: skip
    doc = inspect.cleandoc(func.__doc__ or "")
    if not doc:
        return result
    lines = doc.splitlines()
    result["short_description"] = lines[0].strip()
    sections: Dict[str, List[str]] = {"description": []}
    current = "description"
    for line in lines[1:]:
        match = _HEADER.match(line)
        if match:
            current = _SECTIONS[match.group(1)]
            sections[current] = []
        else:
            sections[current].append(line)
    for key, body in sections.items():
        text = inspect.cleandoc("\n".join(body))
        if key in ("description", "returns", "note"):
            result[key] = text  # type: ignore[literal-required]
        elif key in ("args", "raises", "attributes"):
            result[key] = parse_args_section("Args:\n" + "\n".join(body))  # type: ignore[literal-required]
        elif key == "runtime_parameters":
            found = [_DASHED_NAME.match(item) for item in _dashed_items(body)]
            result[key] = {m.group(1): m.group(2).strip() for m in found if m}
        elif key in ("input_columns", "output_columns"):
            found = [_COLUMN.match(item) for item in _dashed_items(body)]
            result[key] = {m.group(1): (m.group(2).strip(), m.group(3).strip()) for m in found if m}  # type: ignore[literal-required]
        elif key == "categories":
            result[key] = [item.lstrip("-").strip() for item in _dashed_items(body)]
        elif key == "icon":
            icon = re.search(r"`([^`]+)`", text)
            result[key] = icon.group(1) if icon else text
        elif key == "references":
            result[key] = {name.replace("`", ""): url for name, url in _LINK.findall(text)}
        elif key == "examples":
            result[key] = {title.strip(): inspect.cleandoc(code) for title, code in _EXAMPLE.findall(text)}
        elif key == "citations":
            result[key] = [inspect.cleandoc(block) for block in _FENCED.findall(text)]
    return result


def remove_leading_whitespaces(text: str, num_spaces: int = 8) -> str:
    """``text`` with up to ``num_spaces`` leading spaces removed from each line that has them all."""
    prefix = " " * num_spaces
    return "\n".join(line[num_spaces:] if line.startswith(prefix) else line for line in text.split("\n"))
