"""Keep only some columns, in a given order."""

from typing import TYPE_CHECKING, List

from distilabel.steps.base import Step, StepInput

if TYPE_CHECKING:
    from distilabel.typing.steps import StepColumns, StepOutput


class KeepColumns(Step):
    """Keep ``columns`` (in that order) and drop every other column.

    Attributes:
        columns: the columns to keep.
    """

    columns: List[str]
    _replaces_columns = True

    @property
    def inputs(self) -> "StepColumns":
        return self.columns

    @property
    def outputs(self) -> "StepColumns":
        return self.columns

    def process(self, inputs: StepInput) -> "StepOutput":
        columns = self.columns
        yield [{column: row[column] for column in columns if column in row} for row in inputs]
