"""Rebuilding nested dicts, lists and tuples with a function applied to what they hold."""

from typing import Any, Callable


def map_leaves(value: Any, leaf: Callable[[Any], Any], keys: Callable[[Any], Any] = lambda key: key) -> Any:
    """``value`` rebuilt with ``leaf`` applied to everything that is not a dict, list or tuple.

    Containers keep their type (a tuple stays a tuple); dict keys go through ``keys``.

    Args:
        value: any value; dicts, lists and tuples are walked into, at any depth.
        leaf: what to do with each value that is not one of those containers.
        keys: what to do with each dict key (unchanged by default).
    """
    if isinstance(value, dict):
        return {keys(key): map_leaves(item, leaf, keys) for key, item in value.items()}
    if isinstance(value, list):
        return [map_leaves(item, leaf, keys) for item in value]
    if isinstance(value, tuple):
        return tuple(map_leaves(item, leaf, keys) for item in value)
    return leaf(value)


__all__ = ["map_leaves"]
