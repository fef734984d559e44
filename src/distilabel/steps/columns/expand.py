"""Expand list columns into one row per element."""

import json
from typing import TYPE_CHECKING, Any, Dict, List, Union

from pydantic import field_validator, model_validator

from distilabel.errors import DistilabelUserError
from distilabel.steps.base import DISTILABEL_METADATA_KEY, Step, StepInput

if TYPE_CHECKING:
    from distilabel.typing.steps import StepColumns, StepOutput

_TOKEN_COUNTS = ("input_tokens", "output_tokens")


class ExpandColumns(Step):
    """Turn each row into one row per element of its list columns.

    The i-th output row of an input row holds the i-th element of every expanded
    column (``None`` where a list is shorter than the longest) and a copy of the other
    columns. When a column is expanded under a new name, the original list column is
    kept as it was.

    Attributes:
        columns: the list columns to expand: a list, or a dict mapping each column
            to the name of the expanded column.
        encoded: ``True`` when every column in ``columns`` holds a JSON-encoded list,
            or the list of those that do (a subset of ``columns``).
        split_statistics: divide the token counts of each ``statistics_<step>`` entry of
            ``distilabel_metadata`` by the number of rows a row expands into (the
            first expanded column's length), so adding them up afterwards does not
            count an LLM call's tokens once per expanded row.

    Input columns:
        - dynamic (``columns``): the list columns.

    Output columns:
        - dynamic (the values of ``columns``): one element per row.

    Examples:
        >>> step = ExpandColumns(columns={"generations": "generation"})
        >>> next(step.process([{"generations": ["a", "b"]}]))
        [{'generations': ['a', 'b'], 'generation': 'a'}, {'generations': ['a', 'b'], 'generation': 'b'}]
    """

    columns: Union[Dict[str, str], List[str]]
    encoded: Union[bool, List[str]] = False
    split_statistics: bool = False

    @field_validator("columns")
    @classmethod
    def _as_dict(cls, value: Union[Dict[str, str], List[str]]) -> Dict[str, str]:
        if isinstance(value, list):
            return {column: column for column in value}
        return {column: new or column for column, new in value.items()}

    @model_validator(mode="after")
    def _encoded_are_expanded(self) -> "ExpandColumns":
        if isinstance(self.encoded, list):
            unknown = [c for c in self.encoded if c not in self.columns]
            if unknown:
                raise DistilabelUserError(
                    f"ExpandColumns: encoded names {unknown}, which are not among the columns to expand"
                    f" {list(self.columns)}: `encoded` must be a subset of `columns`."
                )
        return self

    @property
    def inputs(self) -> "StepColumns":
        return list(self.columns)

    @property
    def outputs(self) -> "StepColumns":
        return list(self.columns.values())  # type: ignore[union-attr]

    def _is_encoded(self, column: str) -> bool:
        return self.encoded is True or (isinstance(self.encoded, list) and column in self.encoded)

    def _values(self, row: Dict[str, Any], column: str) -> List[Any]:
        value = row.get(column)
        if self._is_encoded(column) and isinstance(value, str):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as error:
                raise DistilabelUserError(
                    f"ExpandColumns {self.name!r}: column {column!r} is marked as encoded but is not JSON: {value[:200]!r}"
                ) from error
        if not isinstance(value, list):
            raise DistilabelUserError(
                f"ExpandColumns {self.name!r}: column {column!r} is not a list, and only lists can be expanded: {value!r:.200}"
            )
        return value

    def process(self, inputs: StepInput) -> "StepOutput":
        columns: Dict[str, str] = self.columns  # type: ignore[assignment]
        result = []
        for row in inputs:
            values = {column: self._values(row, column) for column in columns}
            size = max(len(v) for v in values.values()) if values else 0
            base = dict(row)
            for column in columns:
                if self._is_encoded(column):
                    base[column] = values[column]
            metadata = base.get(DISTILABEL_METADATA_KEY)
            if self.split_statistics and isinstance(metadata, dict) and values:
                base[DISTILABEL_METADATA_KEY] = split_token_statistics(
                    metadata, len(next(iter(values.values())))
                )
            for i in range(size):
                expanded = dict(base)
                if isinstance(metadata, dict):
                    # Each row gets its own metadata dict: later steps add keys to it in place.
                    expanded[DISTILABEL_METADATA_KEY] = dict(base[DISTILABEL_METADATA_KEY])
                for column, target in columns.items():
                    expanded[target] = values[column][i] if i < len(values[column]) else None
                result.append(expanded)
        yield result


def split_token_statistics(metadata: Dict[str, Any], parts: int) -> Dict[str, Any]:
    """``metadata`` with the token counts of its ``statistics_*`` entries divided by ``parts``.

    Counts may be integers or lists of integers (one per generation); the division is
    integer division, as token counts are whole numbers.
    """
    if parts <= 1:
        return dict(metadata)

    def divide(count: Any) -> Any:
        if isinstance(count, bool):
            return count
        if isinstance(count, int):
            return count // parts
        if isinstance(count, list):
            return [divide(c) for c in count]
        return count

    out = dict(metadata)
    for key, value in metadata.items():
        if key.startswith("statistics_") and isinstance(value, dict):
            out[key] = {
                name: divide(count) if name in _TOKEN_COUNTS else count
                for name, count in value.items()
            }
    return out
