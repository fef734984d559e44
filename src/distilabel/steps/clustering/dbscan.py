"""``DBSCAN``: cluster projected embeddings by density (scikit-learn)."""

from typing import Any, Optional

from pydantic import Field

from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.steps.base import StepInput
from distilabel.steps.clustering.base import EstimatorStep
from distilabel.steps.column_property import column_property
from distilabel.utils.arrays import column_matrix
from distilabel.utils.imports import require


class DBSCAN(EstimatorStep):
    """Cluster every row's ``projection`` with DBSCAN (density-based clustering).

    DBSCAN grows clusters from core points: points with at least ``min_samples``
    points (themselves included) within ``eps``. Points in no cluster are noise,
    labelled -1. It suits clusters of similar density, such as the output of ``UMAP``.

    Attributes:
        eps: the distance within which two points are neighbours; the parameter to
            tune for the data and metric. Defaults to 0.3.
        min_samples: the neighbours (itself included) a point needs to be a core
            point; higher values find denser clusters. Defaults to 30.
        metric: the distance, any metric of ``sklearn.metrics.pairwise_distances``.
            Defaults to ``"euclidean"``.
        n_jobs: parallel jobs. Defaults to 8.

    Runtime parameters:
        - eps
        - min_samples
        - metric
        - n_jobs

    Input columns:
        - projection (`List[float]`): the point to cluster, usually ``UMAP``'s output.

    Output columns:
        - cluster_label (`int`): the cluster of the row; -1 for noise.

    Examples:
        >>> step = DBSCAN(eps=0.5, min_samples=2)
        >>> step.load()
        >>> rows = [{"projection": p} for p in ([0, 0], [0, 0.1], [5, 5], [5, 5.1], [20, 20])]
        >>> [r["cluster_label"] for r in next(step.process(rows))]
        [0, 0, 1, 1, -1]
    """

    eps: Optional[RuntimeParameter[float]] = Field(
        default=0.3, description="The distance within which two points are neighbours."
    )
    min_samples: Optional[RuntimeParameter[int]] = Field(
        default=30, description="The neighbours (itself included) a point needs to be a core point."
    )
    metric: Optional[RuntimeParameter[str]] = Field(
        default="euclidean", description="The distance (any sklearn pairwise_distances metric)."
    )
    n_jobs: Optional[RuntimeParameter[int]] = Field(
        default=8, description="The number of parallel jobs."
    )

    inputs = column_property(["projection"])
    outputs = column_property(["cluster_label"])

    def _make_estimator(self) -> Any:
        cluster = require("sklearn.cluster", "text-clustering", type(self).__name__)
        return cluster.DBSCAN(eps=self.eps, min_samples=self.min_samples, metric=self.metric, n_jobs=self.n_jobs)

    def _fit(self, rows: StepInput) -> None:
        points = column_matrix(rows, "projection", "DBSCAN")
        labels = self._estimator.fit(points).labels_
        for row, label in zip(rows, labels, strict=True):
            row["cluster_label"] = int(label)
        self._logger.info("DBSCAN found %d clusters", len(set(labels) - {-1}))
