"""``UMAP``: reduce embeddings to a few dimensions with UMAP (umap-learn)."""

from typing import TYPE_CHECKING, Any, Optional

from pydantic import Field, PrivateAttr

from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.steps.base import GlobalStep, StepInput
from distilabel.utils.arrays import column_matrix
from distilabel.utils.imports import require

if TYPE_CHECKING:
    from distilabel.typing.steps import StepColumns, StepOutput


class UMAP(GlobalStep):
    """Project every row's ``embedding`` to ``n_components`` dimensions with UMAP.

    UMAP (Uniform Manifold Approximation and Projection, arXiv:1802.03426) is fitted
    on all the rows' embeddings at once; nearby embeddings stay nearby. Used before
    ``DBSCAN`` in ``TextClustering`` pipelines. Needs more rows than UMAP's
    neighbourhood (15 rows) to give a meaningful projection.

    Attributes:
        n_components: the dimensions to project to (2 for plots; up to ~100). Defaults to 2.
        metric: the distance between embeddings, any UMAP metric. Defaults to ``"euclidean"``.
        n_jobs: parallel jobs. Defaults to 8 (UMAP runs on one when ``random_state`` is set).
        random_state: a seed for a reproducible projection. Defaults to ``None``.

    Runtime parameters:
        - n_components
        - metric
        - n_jobs
        - random_state

    Input columns:
        - embedding (`List[float]`): the embedding to project.

    Output columns:
        - projection (`List[float]`): the embedding in ``n_components`` dimensions.

    Examples:
        >>> step = UMAP(n_components=2, random_state=0)
        >>> step.load()
        >>> rows = next(step.process([{"embedding": [float(i % 7), float(i % 3), 1.0]} for i in range(40)]))
        >>> len(rows[0]["projection"])
        2
    """

    n_components: Optional[RuntimeParameter[int]] = Field(
        default=2, description="The dimensions to project to."
    )
    metric: Optional[RuntimeParameter[str]] = Field(
        default="euclidean", description="The distance between embeddings (any UMAP metric)."
    )
    n_jobs: Optional[RuntimeParameter[int]] = Field(
        default=8, description="The number of parallel jobs."
    )
    random_state: Optional[RuntimeParameter[int]] = Field(
        default=None, description="A seed for a reproducible projection."
    )

    _umap: Any = PrivateAttr(default=None)

    @property
    def inputs(self) -> "StepColumns":
        return ["embedding"]

    @property
    def outputs(self) -> "StepColumns":
        return ["projection"]

    def load(self) -> None:
        super().load()
        umap = require("umap", "text-clustering", type(self).__name__)
        self._umap = umap.UMAP(
            n_components=self.n_components,
            metric=self.metric,
            n_jobs=self.n_jobs,
            random_state=self.random_state,
        )

    def unload(self) -> None:
        self._umap = None
        super().unload()

    def process(self, inputs: StepInput) -> "StepOutput":
        if self._umap is None:
            raise RuntimeError("UMAP is not loaded: call load() first.")
        if not inputs:
            yield inputs
            return
        embeddings = column_matrix(inputs, "embedding", "UMAP")
        self._logger.info("Fitting UMAP on %d embeddings", len(inputs))
        projections = self._umap.fit_transform(embeddings)
        for row, projection in zip(inputs, projections, strict=True):
            row["projection"] = [float(value) for value in projection]
        yield inputs
