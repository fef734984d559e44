"""Iteration helpers (distilabel 1.5's ``distilabel.utils.itertools``)."""

import sys
from itertools import islice, zip_longest
from typing import Any, Iterable, Iterator, Literal, Tuple, TypeVar

T = TypeVar("T")

if sys.version_info >= (3, 12):
    from itertools import batched
else:

    def batched(iterable: Iterable[T], n: int) -> Iterator[Tuple[T, ...]]:
        """Tuples of ``n`` items of ``iterable`` (the last may be shorter): ``itertools.batched`` before 3.12."""
        if n < 1:
            raise ValueError("n must be at least one")
        iterator = iter(iterable)
        while chunk := tuple(islice(iterator, n)):
            yield chunk


def grouper(
    iterable: Iterable[T],
    n: int,
    *,
    incomplete: Literal["fill", "strict", "ignore"] = "fill",
    fillvalue: Any = None,
) -> Iterable[Tuple[T, ...]]:
    """Tuples of exactly ``n`` items of ``iterable``.

    Args:
        iterable: the items.
        n: the size of each tuple.
        incomplete: what to do with a last, short group: ``"fill"`` it with
            ``fillvalue``, raise (``"strict"``), or drop it (``"ignore"``).
        fillvalue: the value that fills a short last group.

    Examples:
        >>> list(grouper("ABCDE", 2, fillvalue="x"))
        [('A', 'B'), ('C', 'D'), ('E', 'x')]
    """
    iterators = [iter(iterable)] * n
    if incomplete == "fill":
        return zip_longest(*iterators, fillvalue=fillvalue)
    if incomplete == "strict":
        return zip(*iterators, strict=True)
    if incomplete == "ignore":
        return zip(*iterators, strict=False)
    raise ValueError("Expected fill, strict, or ignore")


__all__ = ["batched", "grouper"]
