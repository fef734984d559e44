"""Join the rows several upstream steps made from the same input."""

import warnings
from typing import TYPE_CHECKING, Any, List, Optional

from pydantic import model_validator

from distilabel.errors import DistilabelUserError
from distilabel.steps.base import Step, StepInput
from distilabel.steps.columns.combine import CombineOutputs
from distilabel.steps.columns.utils import group_columns

if TYPE_CHECKING:
    from distilabel.typing.steps import StepColumns, StepOutput


class GroupColumns(Step):
    """Gather a column from each upstream step into one list column.

    With ``columns=["generation"]`` and three upstream steps, each output row has
    ``grouped_generation = [generation of step 1, of step 2, of step 3]`` (an upstream
    row without the column adds nothing to the list). Other columns are copied, a later
    upstream step's value replacing an earlier one's; ``distilabel_metadata`` is merged,
    a key present in several rows keeping all their values in a list.

    Attributes:
        columns: the columns to group.
        output_columns: the names of the grouped columns; ``grouped_<column>`` by default.

    Input columns:
        - dynamic (``columns``): the columns to group.

    Output columns:
        - dynamic (``output_columns``, or ``grouped_<column>``): the grouped lists.

    Examples:
        >>> step = GroupColumns(columns=["generation", "model_name"])
        >>> next(step.process([{"generation": "a", "model_name": "m1"}], [{"generation": "b", "model_name": "m2"}]))
        [{'grouped_generation': ['a', 'b'], 'grouped_model_name': ['m1', 'm2']}]
    """

    columns: List[str]
    output_columns: Optional[List[str]] = None

    @model_validator(mode="after")
    def _one_name_per_column(self) -> "GroupColumns":
        if self.output_columns is not None and len(self.output_columns) != len(self.columns):
            raise DistilabelUserError(
                f"GroupColumns: output_columns has {len(self.output_columns)} names but"
                f" columns has {len(self.columns)}: give one output name per grouped column."
            )
        return self

    @property
    def inputs(self) -> "StepColumns":
        return self.columns

    @property
    def outputs(self) -> "StepColumns":
        if self.output_columns is not None:
            return self.output_columns
        return [f"grouped_{column}" for column in self.columns]

    def process(self, *inputs: StepInput) -> "StepOutput":
        yield group_columns(
            *inputs, group_columns=self.columns, output_group_columns=list(self.get_outputs())
        )


class CombineColumns(GroupColumns):
    """The former name of ``GroupColumns`` (deprecated: use ``GroupColumns``)."""

    def __init__(self, **data: Any) -> None:
        warnings.warn(
            "`CombineColumns` is deprecated: use `GroupColumns`, which does the same.",
            DeprecationWarning,
            stacklevel=2,
        )
        super().__init__(**data)


__all__ = ["CombineColumns", "CombineOutputs", "GroupColumns"]
