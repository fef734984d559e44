"""Helpers on dicts (distilabel 1.5's ``distilabel.utils.dicts``)."""

import json
from itertools import chain
from typing import Any, Dict, List, TypeVar

_K = TypeVar("_K")


def group_dicts(*dicts: Dict[_K, Any], flatten: bool = False) -> Dict[_K, List[Any]]:
    """Gather the values of each key across ``dicts`` into a list, in order.

    Args:
        *dicts: the dicts to combine.
        flatten: the values are lists: concatenate them instead of nesting them.

    Examples:
        >>> group_dicts({"a": 1}, {"a": 2, "b": 3})
        {'a': [1, 2], 'b': [3]}
        >>> group_dicts({"a": [1]}, {"a": [2, 3]}, flatten=True)
        {'a': [1, 2, 3]}
    """
    grouped: Dict[_K, List[Any]] = {}
    for item in dicts:
        for key, value in item.items():
            grouped.setdefault(key, []).append(value)
    if flatten:
        return {key: list(chain.from_iterable(values)) for key, values in grouped.items()}
    return grouped


def flatten_dict(x: Dict[Any, Any]) -> Dict[Any, Any]:
    """``x`` with each value that is a dict written as a JSON string (e.g. for a flat table)."""
    return {key: json.dumps(value) if isinstance(value, dict) else value for key, value in x.items()}


def merge_dicts(*dict_lists: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Merge lists of dicts position by position: each key's values are concatenated into a list.

    Args:
        *dict_lists: lists of the same length; the dicts at one position must have the same keys.

    Raises:
        ValueError: the lists differ in length, or the dicts at a position differ in keys.

    Examples:
        >>> merge_dicts([{"a": 1}], [{"a": [2, 3]}])
        [{'a': [1, 2, 3]}]
    """
    if not dict_lists:
        return []
    length = len(dict_lists[0])
    if any(len(items) != length for items in dict_lists):
        raise ValueError("All input lists must have the same length")
    merged = []
    for position in range(length):
        keys = list(dict_lists[0][position])
        row: Dict[str, List[Any]] = {key: [] for key in keys}
        for items in dict_lists:
            if set(items[position]) != set(keys):
                raise ValueError(f"All dictionaries at position {position} must have the same keys")
            for key in keys:
                value = items[position][key]
                row[key].extend(value if isinstance(value, list) else [value])
        merged.append(row)
    return merged


__all__ = ["flatten_dict", "group_dicts", "merge_dicts"]
