"""What ``distilabel pipeline info`` shows of each step: the values it is configured with.

The values come from the step's dump, so secrets are already left out or redacted
(``**********``); empty values are skipped, and long ones shortened.
"""

from typing import Any, Dict, List

from distilabel.utils.serialization import TYPE_INFO_KEY

_MAX_VALUE_CHARS = 120
_SKIPPED_KEYS = frozenset({"runtime_parameters_info", TYPE_INFO_KEY, "name"})


def _short(value: Any) -> str:
    if isinstance(value, list) and len(value) > 3 and all(isinstance(item, dict) for item in value):
        return f"[{len(value)} items]"  # e.g. the rows of LoadDataFromDicts
    text = repr(value) if not isinstance(value, str) else value
    text = text.replace("\n", "\\n")
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 1] + "…"


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, (dict, list, tuple, str)) and not value)


def describe_values(dump: Dict[str, Any], indent: int) -> List[str]:
    """Lines ``key: value`` for a component's dump; nested components (an LLM) get their own block."""
    pad = " " * indent
    lines = []
    for key, value in dump.items():
        if key in _SKIPPED_KEYS or _is_empty(value):
            continue
        if isinstance(value, dict) and isinstance(value.get(TYPE_INFO_KEY), dict):
            lines.append(f"{pad}{key} ({value[TYPE_INFO_KEY].get('name', '?')}):")
            lines.extend(describe_values(value, indent + 2))
        elif isinstance(value, dict) and key == "generation_kwargs":
            lines.append(f"{pad}{key}:")
            lines.extend(f"{pad}  {name}: {_short(item)}" for name, item in value.items())
        elif isinstance(value, dict) and key == "resources":
            set_values = {name: item for name, item in value.items() if name != TYPE_INFO_KEY and item is not None}
            if set_values != {"replicas": 1}:
                lines.append(f"{pad}{key}: {_short(set_values)}")
        else:
            lines.append(f"{pad}{key}: {_short(value)}")
    return lines


__all__ = ["describe_values"]
