"""Row helpers shared by the column steps: grouping rows of several upstream steps, merging metadata."""

from typing import Any, Dict, List, Optional, Sequence, Union

from distilabel.errors import DistilabelUserError
from distilabel.steps.base import DISTILABEL_METADATA_KEY


def merge_distilabel_metadata(*rows: Dict[str, Any]) -> Union[Dict[str, Any], List[Dict[str, Any]]]:
    """Merge the ``distilabel_metadata`` of several rows into one.

    A key found in one row keeps its value; a key found in several rows becomes the
    list of their values, in row order, so no step's metadata is lost. Rows whose
    metadata is a list (one dict per generation) are concatenated instead.

    Args:
        *rows: the rows whose metadata to merge; rows without metadata are skipped.

    Returns:
        The merged metadata: a dict, or a list when any row held a list.
    """
    values: Dict[str, List[Any]] = {}
    per_generation: Optional[List[Dict[str, Any]]] = None
    for row in rows:
        metadata = row.get(DISTILABEL_METADATA_KEY)
        if isinstance(metadata, list):
            per_generation = [*(per_generation or []), *metadata]
        elif isinstance(metadata, dict):
            for key, value in metadata.items():
                values.setdefault(key, []).append(value)
    if per_generation is not None:
        return per_generation
    return {key: found[0] if len(found) == 1 else found for key, found in values.items()}


def group_columns(
    *inputs: Sequence[Dict[str, Any]],
    group_columns: List[str],
    output_group_columns: Optional[List[str]] = None,
) -> List[Dict[str, Any]]:
    """Join the i-th rows of each list of ``inputs`` into one row.

    Each column of ``group_columns`` becomes a list of the values the rows have for it
    (rows without the column add nothing), named by ``output_group_columns``
    (``grouped_<column>`` by default). Other columns are copied, a later row's value
    replacing an earlier one's; ``distilabel_metadata`` is merged with
    ``merge_distilabel_metadata``.

    Args:
        *inputs: one list of rows per upstream step, aligned by position.
        group_columns: the columns to gather into lists.
        output_group_columns: the names of the gathered columns.

    Returns:
        One row per position.
    """
    if output_group_columns is None:
        output_group_columns = [f"grouped_{column}" for column in group_columns]
    if len(output_group_columns) != len(group_columns):
        raise DistilabelUserError(
            f"output_columns has {len(output_group_columns)} names but columns has {len(group_columns)}:"
            " give one output name per grouped column."
        )
    renamed = dict(zip(group_columns, output_group_columns, strict=True))
    result = []
    for rows in zip(*inputs, strict=False):
        combined: Dict[str, Any] = {}
        for row in rows:
            for key, value in row.items():
                if key == DISTILABEL_METADATA_KEY:
                    continue
                if key in renamed:
                    combined.setdefault(renamed[key], []).append(value)
                else:
                    combined[key] = value
        if any(DISTILABEL_METADATA_KEY in row for row in rows):
            combined[DISTILABEL_METADATA_KEY] = merge_distilabel_metadata(*rows)
        result.append(combined)
    return result


def merge_columns(
    row: Dict[str, Any], columns: List[str], new_column: str = "combined_key"
) -> Dict[str, Any]:
    """A copy of ``row`` with ``columns`` removed and their values in one list column.

    List values are spliced in; other values are appended as they are.

    Args:
        row: the row.
        columns: the columns to merge (a missing one counts as ``None``).
        new_column: the name of the merged column.
    """
    result = dict(row)
    merged: List[Any] = []
    for column in columns:
        value = result.pop(column, None)
        merged.extend(value if isinstance(value, list) else [value])
    result[new_column] = merged
    return result
