"""Helpers on lists (distilabel 1.5's ``distilabel.utils.lists``)."""

from typing import List


def flatten_responses(responses: List[List[str]]) -> List[str]:
    """The last response of each list: one answer per input when an LLM gave several.

    Examples:
        >>> flatten_responses([["a", "b"], ["c"]])
        ['b', 'c']
    """
    return [response[-1] for response in responses]


__all__ = ["flatten_responses"]
