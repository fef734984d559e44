"""Merge the rows several upstream steps made from the same input."""

from typing import TYPE_CHECKING, Any, Dict, List, Optional

from distilabel.errors import DistilabelUserError
from distilabel.steps.base import DISTILABEL_METADATA_KEY, Step, StepInput

if TYPE_CHECKING:
    from distilabel.typing.steps import StepColumns, StepOutput


def _merge_metadata(rows: List[Dict[str, Any]]) -> Dict[str, Any]:
    merged: Dict[str, Any] = {}
    for row in rows:
        merged.update(row.get(DISTILABEL_METADATA_KEY) or {})
    return merged


class GroupColumns(Step):
    """Group a column from each upstream step into one list column.

    For ``columns=["generation"]`` and three upstream steps, each output row has
    ``merged_generation = [gen_of_step_1, gen_of_step_2, gen_of_step_3]``; the other
    columns come from the first upstream row.

    Attributes:
        columns: the columns to group.
        output_columns: the names of the grouped columns; ``merged_<column>`` by default.
    """

    columns: List[str]
    output_columns: Optional[List[str]] = None

    def model_post_init(self, context: Any) -> None:
        super().model_post_init(context)
        if self.output_columns is not None and len(self.output_columns) != len(self.columns):
            raise DistilabelUserError(
                f"GroupColumns {self.name!r}: output_columns has {len(self.output_columns)} names but"
                f" columns has {len(self.columns)}."
            )

    @property
    def inputs(self) -> "StepColumns":
        return self.columns

    @property
    def outputs(self) -> "StepColumns":
        return self.output_columns or [f"merged_{column}" for column in self.columns]

    def process(self, *inputs: StepInput) -> "StepOutput":
        names = list(self.get_outputs())
        result = []
        for rows in zip(*inputs, strict=False):
            row = {k: v for k, v in rows[0].items() if k not in self.columns}
            for column, name in zip(self.columns, names, strict=False):
                row[name] = [r.get(column) for r in rows]
            if any(DISTILABEL_METADATA_KEY in r for r in rows):
                row[DISTILABEL_METADATA_KEY] = _merge_metadata(list(rows))
            result.append(row)
        yield result


class CombineOutputs(Step):
    """Merge the rows several upstream steps made from the same input into one row.

    Later upstream steps win on columns present in several; ``distilabel_metadata``
    is merged key by key.
    """

    def process(self, *inputs: StepInput) -> "StepOutput":
        result = []
        for rows in zip(*inputs, strict=False):
            row: Dict[str, Any] = {}
            for part in rows:
                row.update(part)
            if any(DISTILABEL_METADATA_KEY in r for r in rows):
                row[DISTILABEL_METADATA_KEY] = _merge_metadata(list(rows))
            result.append(row)
        yield result


CombineColumns = GroupColumns
