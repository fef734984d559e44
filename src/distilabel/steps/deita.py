"""``DeitaFiltering``: keep the best-scored, mutually diverse rows within a data budget (DEITA)."""

from typing import TYPE_CHECKING, Any, Dict, List, Optional

from pydantic import Field

from distilabel.errors import DistilabelUserError
from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.steps.base import GlobalStep, StepInput
from distilabel.steps.column_property import column_property
from distilabel.utils.arrays import column_matrix

if TYPE_CHECKING:
    import numpy as np

    from distilabel.typing.steps import StepOutput

_CHUNK = 1024


class DeitaFiltering(GlobalStep):
    """Select up to ``data_budget`` rows by DEITA score, skipping rows too close to another row.

    The selection of "What Makes Good Data for Alignment?" (DEITA, arXiv:2312.15685):
    each row's DEITA score is its instruction complexity score times its response
    quality score (``ComplexityScorer`` and ``QualityScorer`` on the Evol variants);
    rows are ranked by that score, best first, and taken in that order as long as the
    cosine distance from the row to its nearest other row is at least
    ``diversity_threshold``, until ``data_budget`` rows are taken. The output holds
    only the selected rows, best first.

    When one of the two scores is missing the other one is the DEITA score (with a
    warning); with neither it is 0.

    Attributes:
        data_budget: how many rows to keep at most (required when the pipeline runs).
        diversity_threshold: the cosine distance to the nearest other row a row needs to
            be selected. Defaults to 0.9.
        normalize_embeddings: kept for compatibility with distilabel 1.5: the cosine
            distance does not depend on the embeddings' lengths, so it changes nothing.
            Defaults to ``True``.

    Runtime parameters:
        - data_budget
        - diversity_threshold
        - normalize_embeddings

    Input columns:
        - evol_instruction_score (`float`): the instruction's complexity score.
        - evol_response_score (`float`): the response's quality score.
        - embedding (`List[float]`): an embedding of the instruction-response pair.

    Output columns:
        - deita_score (`float`): the product of the two scores.
        - nearest_neighbor_distance (`float`): the cosine distance to the nearest other row
          (``None`` for a single row, which has no neighbour).

    Examples:
        >>> step = DeitaFiltering(data_budget=1, diversity_threshold=0.5)
        >>> step.load()
        >>> rows = [
        ...     {"evol_instruction_score": 2.0, "evol_response_score": 3.0, "embedding": [1.0, 0.0]},
        ...     {"evol_instruction_score": 4.0, "evol_response_score": 2.0, "embedding": [0.0, 1.0]},
        ... ]
        >>> [r["deita_score"] for r in next(step.process(rows))]
        [8.0]
    """

    data_budget: RuntimeParameter[int] = Field(
        default=None, description="How many rows to keep at most."
    )
    diversity_threshold: RuntimeParameter[float] = Field(
        default=0.9,
        description="The cosine distance to the nearest other row a row needs to be selected.",
    )
    normalize_embeddings: RuntimeParameter[bool] = Field(
        default=True,
        description="Kept for compatibility: the cosine distance does not depend on it.",
    )

    inputs = column_property(["evol_instruction_score", "evol_response_score", "embedding"])
    outputs = column_property(["deita_score", "nearest_neighbor_distance"])

    def _deita_score(self, row: Dict[str, Any]) -> float:
        instruction = row.get("evol_instruction_score")
        response = row.get("evol_response_score")
        if instruction is not None and response is not None:
            return instruction * response
        if instruction is not None or response is not None:
            missing = "response" if response is None else "instruction"
            self._logger.warning(
                "A row has no %s score: its DEITA score is the other score alone.", missing
            )
            return instruction if instruction is not None else response  # type: ignore[return-value]
        self._logger.warning(
            "A row has neither an instruction nor a response score: its DEITA score is 0."
        )
        return 0.0

    def _unit_vectors(self, inputs: StepInput) -> "np.ndarray":
        import numpy as np

        vectors = column_matrix(inputs, "embedding", "DeitaFiltering")
        if vectors.ndim != 2:
            raise DistilabelUserError(
                "DeitaFiltering: every row needs an `embedding` of the same width."
            )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        # A zero vector has no direction: it stays zero, at similarity 0 to everything.
        return vectors / np.where(norms == 0, 1.0, norms)

    def _nearest_distances(self, inputs: StepInput) -> List[Optional[float]]:
        import numpy as np

        if len(inputs) < 2:
            return [None] * len(inputs)
        units = self._unit_vectors(inputs)
        distances: List[Optional[float]] = []
        for start in range(0, len(units), _CHUNK):
            similarity = units[start : start + _CHUNK] @ units.T
            rows = np.arange(similarity.shape[0])
            similarity[rows, rows + start] = -np.inf  # a row is not its own neighbour
            distances.extend(float(1.0 - s) for s in similarity.max(axis=1))
        return distances

    def process(self, inputs: StepInput) -> "StepOutput":
        if self.data_budget is None:
            raise DistilabelUserError(
                f"DeitaFiltering {self.name!r} needs `data_budget`: how many rows to keep"
                f" (e.g. Pipeline.run(parameters={{{self.name!r}: {{'data_budget': 500}}}}))."
            )
        for row, distance in zip(inputs, self._nearest_distances(inputs), strict=True):
            row["deita_score"] = self._deita_score(row)
            row["nearest_neighbor_distance"] = distance
        ranked = sorted(inputs, key=lambda row: row["deita_score"], reverse=True)
        selected = []
        for row in ranked:
            if len(selected) >= self.data_budget:
                break
            distance = row["nearest_neighbor_distance"]
            if distance is None or distance >= self.diversity_threshold:
                selected.append(row)
        yield selected
