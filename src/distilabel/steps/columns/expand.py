"""Expand list columns into one row per element."""

import json
from typing import TYPE_CHECKING, Any, Dict, List, Union

from pydantic import field_validator

from distilabel.errors import DistilabelUserError
from distilabel.steps.base import DISTILABEL_METADATA_KEY, Step, StepInput

if TYPE_CHECKING:
    from distilabel.typing.steps import StepColumns, StepOutput


class ExpandColumns(Step):
    """Turn each row into one row per element of its list columns.

    Attributes:
        columns: the list columns to expand: a list, or a dict mapping each column
            to the name of the expanded column.
        encoded: columns (or ``True`` for all) holding JSON-encoded lists.
        split_statistics: divide token statistics in ``distilabel_metadata`` among
            the expanded rows.
    """

    columns: Union[Dict[str, str], List[str]]
    encoded: Union[bool, List[str]] = False
    split_statistics: bool = False

    @field_validator("columns")
    @classmethod
    def _as_dict(cls, value: Union[Dict[str, str], List[str]]) -> Dict[str, str]:
        if isinstance(value, list):
            return {column: column for column in value}
        return value

    @property
    def inputs(self) -> "StepColumns":
        return list(self.columns)

    @property
    def outputs(self) -> "StepColumns":
        return [self.columns[c] for c in self.columns]  # type: ignore[index]

    def _decode(self, column: str, value: Any) -> List[Any]:
        if self.encoded is True or (isinstance(self.encoded, list) and column in self.encoded):
            value = json.loads(value) if isinstance(value, str) else value
        if not isinstance(value, list):
            raise DistilabelUserError(f"ExpandColumns {self.name!r}: column {column!r} is not a list: {value!r}")
        return value

    def process(self, inputs: StepInput) -> "StepOutput":
        columns: Dict[str, str] = self.columns  # type: ignore[assignment]
        result = []
        for row in inputs:
            values = {column: self._decode(column, row.get(column)) for column in columns}
            size = max((len(v) for v in values.values()), default=0)
            for i in range(size):
                expanded = {k: v for k, v in row.items() if k not in columns}
                for column, target in columns.items():
                    expanded[target] = values[column][i] if i < len(values[column]) else None
                if self.split_statistics and DISTILABEL_METADATA_KEY in row:
                    expanded[DISTILABEL_METADATA_KEY] = _split_statistics(row[DISTILABEL_METADATA_KEY], size)
                result.append(expanded)
        yield result


def _split_statistics(metadata: Dict[str, Any], parts: int) -> Dict[str, Any]:
    out = dict(metadata)
    for key, value in metadata.items():
        if key.startswith("statistics_") and isinstance(value, dict):
            out[key] = {
                name: (count // parts if isinstance(count, int) else count) for name, count in value.items()
            }
    return out
