"""``EmbeddingDedup``: flag near-duplicates from the nearest neighbours of each row's embedding."""

from typing import TYPE_CHECKING, Dict, List, Set

from pydantic import Field

from distilabel.errors import DistilabelUserError
from distilabel.steps.base import GlobalStep, StepInput
from distilabel.steps.column_property import column_property

if TYPE_CHECKING:
    from distilabel.typing.steps import StepOutput


class EmbeddingDedup(GlobalStep):
    """Flag rows that are near-duplicates of an earlier row, from their nearest-neighbour scores.

    Reads the ``nn_indices`` / ``nn_scores`` that ``FaissNearestNeighbour`` writes (the
    indices are row positions in this step's input). Two rows are duplicates when one
    lists the other with a score above ``threshold``; the scores are similarities,
    so build the neighbours with an inner-product index on normalized embeddings
    (cosine similarity), e.g. ``FaissNearestNeighbour(metric_type=faiss.METRIC_INNER_PRODUCT)``.

    In each group of duplicates the first row (in input order) is kept: a row is
    flagged ``False`` when it duplicates an earlier row that was kept. (distilabel 1.5
    flagged every member of a duplicate pair, the first included, so a duplicated
    text disappeared entirely.)

    Attributes:
        threshold: the score above which two rows are duplicates. Defaults to 0.9.

    Input columns:
        - nn_indices (`List[int]`): the positions of the row's nearest neighbours.
        - nn_scores (`List[float]`): their scores (similarities).

    Output columns:
        - keep_row_after_embedding_filtering (`bool`): ``False`` for a duplicate of an earlier row.

    Examples:
        >>> step = EmbeddingDedup(threshold=0.9)
        >>> rows = [
        ...     {"nn_indices": [1], "nn_scores": [0.95]},
        ...     {"nn_indices": [0], "nn_scores": [0.95]},
        ...     {"nn_indices": [0], "nn_scores": [0.20]},
        ... ]
        >>> [r["keep_row_after_embedding_filtering"] for r in next(step.process(rows))]
        [True, False, True]
    """

    threshold: float = Field(
        default=0.9, description="The score above which two rows are duplicates."
    )

    inputs = column_property(["nn_scores", "nn_indices"])
    outputs = column_property(["keep_row_after_embedding_filtering"])

    def _duplicate_pairs(self, inputs: StepInput) -> Dict[int, Set[int]]:
        # Neighbour lists are cut at k, so A may list B while B does not list A: the
        # relation is made symmetric before choosing which row of a pair to keep.
        pairs: Dict[int, Set[int]] = {}
        for i, row in enumerate(inputs):
            indices: List[int] = row.get("nn_indices") or []
            scores: List[float] = row.get("nn_scores") or []
            if len(indices) != len(scores):
                raise DistilabelUserError(
                    f"EmbeddingDedup: row {i} has {len(indices)} nn_indices but {len(scores)} nn_scores."
                )
            for j, score in zip(indices, scores, strict=True):
                j = int(j)
                if j == i or j < 0 or score is None or not score > self.threshold:
                    continue
                if j >= len(inputs):
                    raise DistilabelUserError(
                        f"EmbeddingDedup: row {i} names neighbour {j}, but there are {len(inputs)} rows;"
                        " nn_indices must be positions in this step's input (FaissNearestNeighbour's output)."
                    )
                pairs.setdefault(i, set()).add(j)
                pairs.setdefault(j, set()).add(i)
        return pairs

    def process(self, inputs: StepInput) -> "StepOutput":
        pairs = self._duplicate_pairs(inputs)
        kept: Set[int] = set()
        for i, row in enumerate(inputs):
            keep = not any(j < i and j in kept for j in pairs.get(i, ()))
            row["keep_row_after_embedding_filtering"] = keep
            if keep:
                kept.add(i)
        yield inputs
