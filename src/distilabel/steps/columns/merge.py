"""Merge several columns of a row into one list column."""

from typing import TYPE_CHECKING, List, Optional

from distilabel.steps.base import Step, StepInput
from distilabel.steps.columns.utils import merge_columns

if TYPE_CHECKING:
    from distilabel.typing.steps import StepColumns, StepOutput


class MergeColumns(Step):
    """Put the values of ``columns`` in one list column (list values are flattened in).

    Attributes:
        columns: the columns to merge (removed from the row).
        output_column: the name of the merged column; ``merged_column`` by default.
    """

    columns: List[str]
    output_column: Optional[str] = None

    @property
    def inputs(self) -> "StepColumns":
        return self.columns

    @property
    def outputs(self) -> "StepColumns":
        return [self.output_column or "merged_column"]

    def process(self, inputs: StepInput) -> "StepOutput":
        name = self.output_column or "merged_column"
        yield [merge_columns(row, self.columns, new_column=name) for row in inputs]
