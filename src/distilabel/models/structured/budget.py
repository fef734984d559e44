"""Fit structured output into the token budget.

A constrained model that is cut off by ``max_new_tokens`` in the middle of a string
or a ``.*`` leaves text that fails the schema or regex. Capping the free-text parts
so the whole answer fits lets the grammar close it in time. Every token is at least
one character, so a grammar whose strings have at most ``max_new_tokens`` characters
always finishes. For JSON the fixed parts (braces, quotes, property names) are
counted at two characters a token, which BPE tokenizers beat on such text; a free
string is counted at one character a token, its worst case.

Every cap keeps the answer valid for the user's schema: a capped answer is one of
the answers the schema allows.
"""

import copy
import json
from typing import Any, Dict, List, Optional, Tuple

# Tokens an unbounded number may take in the estimate (a digit can be a token).
_NUMBER_TOKENS = 20
# When the budget is tight, unbounded integers are kept to this many digits.
TIGHT_INTEGER_MAXIMUM = 999_999
TIGHT_INTEGER_DIGITS = 6
_TIGHT_INTEGER_TOKENS = TIGHT_INTEGER_DIGITS + 1
# Fixed JSON text (punctuation and property names) per token, conservatively.
_FIXED_CHARS_PER_TOKEN = 2
# Caps below this make the text useless; the schema is then left unbounded.
_MIN_STRING_CAP = 8


def cap_json_schema(schema: Dict[str, Any], max_tokens: Optional[int]) -> Dict[str, Any]:
    """A copy of ``schema`` whose unbounded strings get a ``maxLength`` that fits ``max_tokens``.

    When strings would get less than ``_MIN_STRING_CAP`` characters, unbounded
    integers are first limited to six digits, which frees room for the strings.
    Only object properties are capped; arrays, references and recursive schemas are
    left as they are (their size cannot be bounded this simply).
    """
    if max_tokens is None or _has_unbounded_structure(schema):
        return schema
    for tight in (False, True):
        strings: List[Dict[str, Any]] = []
        integers: List[Dict[str, Any]] = []
        fixed_chars, number_tokens = _skeleton(schema, strings, integers, tight)
        if not strings:
            return schema
        cap = (max_tokens - -(-fixed_chars // _FIXED_CHARS_PER_TOKEN) - number_tokens) // len(strings)
        if cap >= _MIN_STRING_CAP:
            return _with_caps(schema, cap, tight)
    return schema


def _with_caps(schema: Dict[str, Any], cap: int, tight: bool) -> Dict[str, Any]:
    capped = copy.deepcopy(schema)
    strings: List[Dict[str, Any]] = []
    integers: List[Dict[str, Any]] = []
    _skeleton(capped, strings, integers, tight)
    for node in strings:
        node["maxLength"] = cap
    if tight:
        for node in integers:
            node["minimum"] = -TIGHT_INTEGER_MAXIMUM
            node["maximum"] = TIGHT_INTEGER_MAXIMUM
    return capped


def integers_all_tight(schema: Any) -> bool:
    """Whether every integer in ``schema`` got the tight six-digit bound (and there is one)."""
    found = [node for node in _nodes(schema) if node.get("type") == "integer"]
    return bool(found) and all(node.get("maximum") == TIGHT_INTEGER_MAXIMUM for node in found)


def _nodes(node: Any) -> List[Dict[str, Any]]:
    if isinstance(node, dict):
        return [node, *(n for value in node.values() for n in _nodes(value))]
    if isinstance(node, list):
        return [n for value in node for n in _nodes(value)]
    return []


def _has_unbounded_structure(schema: Any) -> bool:
    text = json.dumps(schema)
    return '"$ref"' in text or '"items"' in text or '"additionalProperties": {' in text


def _skeleton(
    node: Any, strings: List[Dict[str, Any]], integers: List[Dict[str, Any]], tight: bool
) -> Tuple[int, int]:
    """Fixed characters and number tokens of the answer, collecting unbounded strings and integers."""
    if not isinstance(node, dict):
        return 0, 0
    if "enum" in node or "const" in node:
        options = node.get("enum", [node.get("const")])
        return (max(len(json.dumps(option)) for option in options) if options else 0), 0
    for key in ("anyOf", "oneOf"):
        if key in node:
            fixed = max(_skeleton(option, [], [], tight)[0] for option in node[key])
            return fixed, _NUMBER_TOKENS
    kind = node.get("type")
    if kind == "object":
        fixed, numbers = 2, 0
        for name, sub in (node.get("properties") or {}).items():
            sub_fixed, sub_numbers = _skeleton(sub, strings, integers, tight)
            fixed += len(json.dumps(name)) + 4 + sub_fixed
            numbers += sub_numbers
        return fixed, numbers
    if kind == "string":
        if "maxLength" in node or "pattern" in node or "format" in node:
            return 2 + int(node.get("maxLength", _NUMBER_TOKENS)), 0
        strings.append(node)
        return 2, 0
    if kind == "boolean":
        return 5, 0
    if kind == "null":
        return 4, 0
    if kind == "integer" and tight and "maximum" not in node and "minimum" not in node:
        integers.append(node)
        return 0, _TIGHT_INTEGER_TOKENS
    return 0, _NUMBER_TOKENS
