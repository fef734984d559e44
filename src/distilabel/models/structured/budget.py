"""Fit structured output into the token budget.

A constrained model that is cut off by ``max_new_tokens`` in the middle of a string
or a ``.*`` leaves text that fails the schema or regex. Capping the free-text parts
so the whole answer fits lets the grammar close it in time. Every token is at least
one character, so a grammar whose strings have at most ``max_new_tokens`` characters
always finishes; for JSON the caps are an estimate (numbers and escapes vary).
"""

import copy
import json
from typing import Any, Dict, List, Optional

# Characters an unbounded number may take in the estimate.
_NUMBER_CHARS = 20
# Caps below this make the text useless; the schema is then left unbounded.
_MIN_STRING_CAP = 8


def cap_json_schema(schema: Dict[str, Any], max_chars: Optional[int]) -> Dict[str, Any]:
    """A copy of ``schema`` whose unbounded strings get a ``maxLength`` that fits ``max_chars``.

    Only object properties are capped; arrays, references and recursive schemas are
    left as they are (their size cannot be bounded this simply).
    """
    if max_chars is None or _has_unbounded_structure(schema):
        return schema
    strings: List[Dict[str, Any]] = []
    fixed = _skeleton_chars(schema, strings)
    if not strings:
        return schema
    cap = (max_chars - fixed) // len(strings)
    if cap < _MIN_STRING_CAP:
        return schema
    capped = copy.deepcopy(schema)
    for node in _string_nodes(capped):
        node["maxLength"] = cap
    return capped


def _has_unbounded_structure(schema: Any) -> bool:
    text = json.dumps(schema)
    return '"$ref"' in text or '"items"' in text or '"additionalProperties": {' in text


def _skeleton_chars(node: Any, strings: List[Dict[str, Any]]) -> int:
    """Characters of the answer outside unbounded strings, counting those strings."""
    if not isinstance(node, dict):
        return 0
    if "enum" in node or "const" in node:
        options = node.get("enum", [node.get("const")])
        return max(len(json.dumps(option)) for option in options) if options else 0
    for key in ("anyOf", "oneOf"):
        if key in node:
            return max(_skeleton_chars(option, []) for option in node[key]) + _NUMBER_CHARS
    kind = node.get("type")
    if kind == "object":
        total = 2
        for name, sub in (node.get("properties") or {}).items():
            total += len(json.dumps(name)) + 4 + _skeleton_chars(sub, strings)
        return total
    if kind == "string":
        if "maxLength" in node or "pattern" in node or "format" in node:
            return 2 + int(node.get("maxLength", _NUMBER_CHARS))
        strings.append(node)
        return 2
    if kind == "boolean":
        return 5
    if kind == "null":
        return 4
    return _NUMBER_CHARS


def _string_nodes(node: Any) -> List[Dict[str, Any]]:
    found: List[Dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("type") == "object":
            for sub in (node.get("properties") or {}).values():
                found.extend(_string_nodes(sub))
        elif (
            node.get("type") == "string"
            and not {"maxLength", "pattern", "format", "enum", "const"} & node.keys()
        ):
            found.append(node)
    return found
