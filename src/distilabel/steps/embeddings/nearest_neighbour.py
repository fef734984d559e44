"""``FaissNearestNeighbour``: the k nearest rows of each row, by embedding, with a ``faiss`` index."""

from typing import TYPE_CHECKING, Any, List, Optional, Tuple, Union

from pydantic import Field

from distilabel.errors import DistilabelUserError
from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.steps.base import GlobalStep, StepInput
from distilabel.steps.column_property import column_property
from distilabel.utils.imports import require

if TYPE_CHECKING:
    import numpy as np

    from distilabel.typing.steps import StepOutput

_EXTRA = "faiss-cpu"


class FaissNearestNeighbour(GlobalStep):
    """Find, for every row, the ``k`` rows whose ``embedding`` is nearest, with a ``faiss`` index.

    All rows' embeddings go into one index (exact by default; any index the faiss
    ``string_factory`` describes otherwise), then every row is searched for its
    ``k + 1`` nearest entries and the row itself is left out. The scores are what the
    index measures: squared L2 distances by default (smaller is nearer), or inner
    products with ``metric_type=faiss.METRIC_INNER_PRODUCT`` (larger is nearer; the
    cosine similarity on normalized embeddings, which ``EmbeddingDedup`` expects).

    Attributes:
        device: the CUDA device id(s) to build the index on; a negative id uses all
            GPUs. Needs a GPU build of faiss. Defaults to ``None`` (CPU).
        string_factory: a faiss index factory string, e.g. ``"IVF300_HNSW32,Flat"``;
            ``None`` builds an exact (flat) index.
        metric_type: the faiss metric, e.g. ``faiss.METRIC_INNER_PRODUCT``; ``None``
            is L2.
        k: how many neighbours to return per row. Defaults to 1.
        search_batch_size: how many rows to search at a time. Defaults to 50.
        train_size: how many embeddings train an index that needs training (e.g.
            IVF); ``None`` trains on all of them.

    Input columns:
        - embedding (`List[Union[float, int]]`): the row's embedding.

    Output columns:
        - nn_indices (`List[int]`): the positions (in this step's input) of the ``k``
          nearest rows, nearest first.
        - nn_scores (`List[float]`): their scores (distances or similarities).

    Examples:
        >>> step = FaissNearestNeighbour(k=1)
        >>> step.load()
        >>> rows = [{"embedding": [0.0, 0.0]}, {"embedding": [0.0, 1.0]}, {"embedding": [5.0, 5.0]}]
        >>> [r["nn_indices"] for r in next(step.process(rows))]
        [[1], [0], [1]]
    """

    device: Optional[RuntimeParameter[Union[int, List[int]]]] = Field(
        default=None,
        description="The CUDA device id(s) for the index; a negative id uses all GPUs.",
    )
    string_factory: Optional[RuntimeParameter[str]] = Field(
        default=None, description="A faiss index factory string; None builds an exact (flat) index."
    )
    metric_type: Optional[RuntimeParameter[int]] = Field(
        default=None, description="The faiss metric, e.g. faiss.METRIC_INNER_PRODUCT; None is L2."
    )
    k: Optional[RuntimeParameter[int]] = Field(
        default=1, description="How many neighbours to return per row."
    )
    search_batch_size: Optional[RuntimeParameter[int]] = Field(
        default=50, description="How many rows to search at a time."
    )
    train_size: Optional[RuntimeParameter[int]] = Field(
        default=None,
        description="How many embeddings train an index that needs training; None: all.",
    )

    inputs = column_property(["embedding"])
    outputs = column_property(["nn_indices", "nn_scores"])

    def load(self) -> None:
        super().load()
        require("faiss", _EXTRA, type(self).__name__)

    def _vectors(self, inputs: StepInput) -> "np.ndarray":
        import numpy as np

        widths = {
            len(row["embedding"]) if row.get("embedding") is not None else 0 for row in inputs
        }
        if len(widths) != 1 or 0 in widths:
            raise DistilabelUserError(
                f"FaissNearestNeighbour: every row needs an embedding of the same width; found widths {sorted(widths)}."
            )
        return np.ascontiguousarray(np.array([row["embedding"] for row in inputs], dtype="float32"))

    def _build_index(self, vectors: "np.ndarray") -> Any:
        faiss = require("faiss", _EXTRA, type(self).__name__)
        width = vectors.shape[1]
        metric = faiss.METRIC_L2 if self.metric_type is None else self.metric_type
        if self.string_factory is None:
            index = faiss.IndexFlat(width, metric)
        else:
            index = faiss.index_factory(width, self.string_factory, metric)
        if self.device is not None:
            index = self._to_gpu(faiss, index)
        if not index.is_trained:
            train = vectors if self.train_size is None else vectors[: self.train_size]
            self._logger.info("Training the faiss index on %d embeddings", len(train))
            index.train(train)
        index.add(vectors)
        return index

    def _to_gpu(self, faiss: Any, index: Any) -> Any:
        if not hasattr(faiss, "StandardGpuResources"):
            raise DistilabelUserError(
                "FaissNearestNeighbour: `device` needs a GPU build of faiss (faiss-gpu); faiss-cpu builds"
                " the index on the CPU: leave `device` unset."
            )
        devices = self.device if isinstance(self.device, list) else [self.device]
        if len(devices) == 1 and devices[0] is not None and devices[0] < 0:
            return faiss.index_cpu_to_all_gpus(index)
        if len(devices) == 1:
            return faiss.index_cpu_to_gpu(faiss.StandardGpuResources(), devices[0], index)
        return faiss.index_cpu_to_gpus_list(index, gpus=devices)

    def _search(
        self, index: Any, vectors: "np.ndarray"
    ) -> Tuple[List[List[int]], List[List[float]]]:
        k = int(self.k or 1)
        size = int(self.search_batch_size or 50)
        all_indices: List[List[int]] = []
        all_scores: List[List[float]] = []
        for start in range(0, len(vectors), size):
            scores, indices = index.search(vectors[start : start + size], k + 1)
            for offset, (row_indices, row_scores) in enumerate(zip(indices, scores, strict=True)):
                found = [
                    (int(i), float(s))
                    for i, s in zip(row_indices, row_scores, strict=True)
                    if i >= 0
                ]
                me = start + offset
                # The row itself is usually its own nearest entry; leave it out wherever
                # it ranks (approximate indexes and duplicates can rank another row first).
                others = [pair for pair in found if pair[0] != me][:k]
                all_indices.append([i for i, _ in others])
                all_scores.append([s for _, s in others])
        return all_indices, all_scores

    def process(self, inputs: StepInput) -> "StepOutput":
        if not inputs:
            yield inputs
            return
        vectors = self._vectors(inputs)
        index = self._build_index(vectors)
        indices, scores = self._search(index, vectors)
        for row, row_indices, row_scores in zip(inputs, indices, scores, strict=True):
            row["nn_indices"] = row_indices
            row["nn_scores"] = row_scores
        yield inputs
