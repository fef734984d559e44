"""``CombineOutputs``: one row from the rows several upstream steps made of the same input.

Its module path is distilabel 1.5's (``distilabel.steps.columns.combine``), which
dumps record in ``type_info``; ``distilabel.steps.columns.group`` re-exports it.
"""

from typing import TYPE_CHECKING, Any, Dict

from distilabel.steps.base import DISTILABEL_METADATA_KEY, Step, StepInput
from distilabel.steps.columns.utils import merge_distilabel_metadata

if TYPE_CHECKING:
    from distilabel.typing.steps import StepOutput


class CombineOutputs(Step):
    """Merge the rows several upstream steps made from the same input into one row.

    Every column of every upstream row is kept, a later upstream step's value replacing
    an earlier one's. ``distilabel_metadata`` is merged key by key: a key present in
    several rows keeps all their values, as a list in upstream order.

    Input columns:
        - dynamic: the columns of the upstream steps.

    Output columns:
        - dynamic: the union of the upstream columns, and ``distilabel_metadata``.

    Examples:
        >>> step = CombineOutputs()
        >>> next(step.process([{"a": 1, "distilabel_metadata": {"k": 1}}], [{"b": 2, "distilabel_metadata": {"k": 2}}]))
        [{'a': 1, 'b': 2, 'distilabel_metadata': {'k': [1, 2]}}]
    """

    def process(self, *inputs: StepInput) -> "StepOutput":
        result = []
        for rows in zip(*inputs, strict=False):
            row: Dict[str, Any] = {}
            for part in rows:
                row.update((k, v) for k, v in part.items() if k != DISTILABEL_METADATA_KEY)
            row[DISTILABEL_METADATA_KEY] = merge_distilabel_metadata(*rows)
            result.append(row)
        yield result


__all__ = ["CombineOutputs"]
