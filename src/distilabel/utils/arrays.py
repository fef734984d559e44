"""Rows' vectors as one numpy matrix, for the steps that fit a model on a whole batch."""

from typing import TYPE_CHECKING, Any, Dict, List

from distilabel.errors import DistilabelUserError

if TYPE_CHECKING:
    import numpy as np


def column_matrix(rows: List[Dict[str, Any]], column: str, owner: str) -> "np.ndarray":
    """The vectors in ``rows[i][column]``, one per matrix row, as ``float64``.

    Args:
        rows: the rows, each with a list of numbers in ``column``.
        column: the column holding the vectors.
        owner: who asks (a step's name), named in the error.

    Raises:
        DistilabelUserError: a row has no ``column``, a value is not numeric, or the
            vectors differ in width.
    """
    import numpy as np

    try:
        return np.array([row[column] for row in rows], dtype="float64")
    except (KeyError, TypeError, ValueError) as error:
        article = "an" if column[:1].lower() in "aeiou" else "a"
        raise DistilabelUserError(
            f"{owner}: every row needs {article} `{column}` of the same width ({error})."
        ) from error


__all__ = ["column_matrix"]
