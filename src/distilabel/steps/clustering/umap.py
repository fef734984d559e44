"""``UMAP``: reduce embeddings to a few dimensions with UMAP (umap-learn)."""

from typing import Any, Optional

from pydantic import Field

from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.steps.base import StepInput
from distilabel.steps.clustering.base import EstimatorStep
from distilabel.steps.column_property import column_property
from distilabel.utils.arrays import column_matrix
from distilabel.utils.imports import require


class UMAP(EstimatorStep):
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

    inputs = column_property(["embedding"])
    outputs = column_property(["projection"])

    def _make_estimator(self) -> Any:
        umap = require("umap", "text-clustering", type(self).__name__)
        return umap.UMAP(
            n_components=self.n_components,
            metric=self.metric,
            n_jobs=self.n_jobs,
            random_state=self.random_state,
        )

    def _fit(self, rows: StepInput) -> None:
        embeddings = column_matrix(rows, "embedding", "UMAP")
        self._logger.info("Fitting UMAP on %d embeddings", len(rows))
        projections = self._estimator.fit_transform(embeddings)
        for row, projection in zip(rows, projections, strict=True):
            row["projection"] = [float(value) for value in projection]
