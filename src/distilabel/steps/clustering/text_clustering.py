"""``TextClustering``: a label for each cluster of texts, from a sample of the cluster."""

import json
import numbers
import random
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence

from pydantic import Field, PositiveInt, PrivateAttr

from distilabel.errors import DistilabelUserError
from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.steps.base import DISTILABEL_METADATA_KEY, StepInput
from distilabel.steps.column_property import column_property
from distilabel.steps.tasks.base import GlobalTask
from distilabel.steps.tasks.text_classification import TextClassification
from distilabel.utils.imports import require

if TYPE_CHECKING:
    from distilabel.typing.steps import StepOutput

UNCLUSTERED = -1
"""The ``cluster_label`` of a text that belongs to no cluster (DBSCAN's noise)."""

FIGURE_FILENAME = "figure_clustering.png"
_CLUSTER_KEY = "__cluster_label"
# Which texts represent a cluster is drawn with a fixed seed: a rerun sends the same
# prompts, so the response cache answers them.
_SAMPLING_SEED = 0


class TextClustering(TextClassification, GlobalTask):
    """Label each cluster of texts, then give every text the label of its cluster.

    The texts arrive already clustered, usually by ``UMAP`` (``projection``) and
    ``DBSCAN`` (``cluster_label``). For each cluster, up to ``samples_per_cluster``
    texts are drawn as its examples and sent to the LLM in one prompt, which names
    the label (or ``n`` labels) the cluster shares. Everything ``TextClassification``
    offers applies: ``n``, ``context``, ``available_labels``, ``default_label``,
    ``query_title``, structured output. As a global step it sees every row at once;
    ``input_batch_size`` is how many cluster prompts go to the LLM per batch.

    Attributes:
        savefig: draw the projections coloured by cluster, with each cluster's label,
            and save the figure as ``figure_clustering.png`` (needs ``matplotlib``:
            ``pip install 'distilabel[text-clustering]'``). In a pipeline it is written
            to ``<cache_dir>/<pipeline name>/artifacts/<step name>/``. Defaults to ``True``.
        samples_per_cluster: how many texts of a cluster the LLM sees. Defaults to 10.

    Input columns:
        - text (`str`): the text.
        - projection (`List[float]`): the text's point in the reduced space (the first
            two coordinates are drawn in the figure).
        - cluster_label (`int`): the text's cluster; -1 means no cluster.

    Output columns:
        - summary_label (`str`): the cluster's label(s), JSON-encoded (``'"Sports"'``, or
            ``'["Sports", "Health"]'`` with ``n > 1``); texts with no cluster get
            ``default_label``. ``None`` when the LLM's answer for the cluster did not parse
            (its raw answer is in ``distilabel_metadata``).
        - model_name (`str`): the model that named the clusters.

    References:
        - [text-clustering](https://github.com/huggingface/text-clustering)

    Examples:
        ```python
        from distilabel.models.llms import OpenAILLM
        from distilabel.pipeline import Pipeline
        from distilabel.steps import DBSCAN, UMAP, LoadDataFromDicts, TextClustering
        from distilabel.steps.tasks import GenerateEmbeddings

        with Pipeline(name="text-clustering") as pipeline:
            load = LoadDataFromDicts(data=[{"text": t} for t in texts])
            embed = GenerateEmbeddings(embeddings=embeddings)
            umap = UMAP(n_components=2, metric="cosine")
            dbscan = DBSCAN(eps=0.3, min_samples=30)
            clustering = TextClustering(
                llm=OpenAILLM(model="gpt-4o-mini"),
                n=3,
                query_title="Examples of Personas",
                samples_per_cluster=10,
                context="Name the themes the following personas share.",
            )
            load >> embed >> umap >> dbscan >> clustering
        ```
    """

    savefig: Optional[RuntimeParameter[bool]] = Field(
        default=True,
        description="Whether to generate and save a figure with the clustering of the texts.",
    )
    samples_per_cluster: PositiveInt = Field(
        default=10,
        description="The number of examples to use in the LLM as a sample of the cluster.",
    )

    _figure_path: Optional[Path] = PrivateAttr(default=None)

    inputs = column_property(["text", "projection", "cluster_label"])
    outputs = column_property(["summary_label", "model_name"])

    def load(self) -> None:
        super().load()
        if self.savefig:
            require("matplotlib", "text-clustering", f"{type(self).__name__} with savefig=True")

    def process(self, inputs: StepInput) -> "StepOutput":  # type: ignore[override]
        """Label every cluster with the LLM and write its label on each of its texts."""
        members = _cluster_members(inputs)
        prompts = self._cluster_prompts(inputs, members)
        labels: Dict[int, Any] = {UNCLUSTERED: self.default_label}
        answers: Dict[int, Dict[str, Any]] = {}
        for start in range(0, len(prompts), self.input_batch_size):
            batch = prompts[start : start + self.input_batch_size]
            for row in next(super().process(batch)):
                labels[row[_CLUSTER_KEY]] = row["labels"]
                answers[row[_CLUSTER_KEY]] = row.get(DISTILABEL_METADATA_KEY) or {}
        model_name = self.llm.model_name
        for row in inputs:
            cluster = row["cluster_label"]
            row["summary_label"] = _summary(labels.get(cluster))
            row["model_name"] = model_name
            if cluster in answers:
                row[DISTILABEL_METADATA_KEY] = {
                    **(row.get(DISTILABEL_METADATA_KEY) or {}),
                    **self._cluster_metadata(answers[cluster]),
                }
        if self.savefig:
            self._save_figure(inputs, members, labels)
        yield inputs

    def _cluster_prompts(
        self, inputs: StepInput, members: Dict[int, List[int]]
    ) -> List[Dict[str, Any]]:
        """One classification row per cluster: a sample of its texts as numbered examples."""
        rng = random.Random(_SAMPLING_SEED)
        prompts = []
        for cluster in sorted(c for c in members if c != UNCLUSTERED):
            indices = members[cluster]
            sample = sorted(rng.sample(indices, min(self.samples_per_cluster, len(indices))))
            text = "\n\n".join(
                f"Example {i}:\n{inputs[j]['text']}" for i, j in enumerate(sample, start=1)
            )
            prompts.append({"text": text, _CLUSTER_KEY: cluster})
        return prompts

    def _cluster_metadata(self, metadata: Dict[str, Any]) -> Dict[str, Any]:
        # The cluster's answer (and its error) is kept on each of its rows; its prompt
        # and token counts are not, as they would repeat on every row of the cluster.
        keys = (f"raw_output_{self.name}", f"error_{self.name}")
        return {key: metadata[key] for key in keys if key in metadata}

    # --- the figure -----------------------------------------------------------------------

    def _save_figure(
        self, inputs: StepInput, members: Dict[int, List[int]], labels: Dict[int, Any]
    ) -> None:
        if self.pipeline is None:
            self._logger.warning(
                "TextClustering %r is not part of a pipeline, so its figure has no folder to go to: not saved.",
                self.name,
            )
            return
        folder = self.pipeline.cache_root / "artifacts" / str(self.name)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / FIGURE_FILENAME
        points = [_point(row) for row in inputs]
        draw_clusters(points, [row["cluster_label"] for row in inputs], members, labels, path)
        self._figure_path = path
        self._logger.info("Saved the figure of the clusters to %s", path)

    @property
    def figure_path(self) -> Optional[Path]:
        """Where the last ``process`` saved its figure (``None`` before, or without a pipeline)."""
        return self._figure_path


def _cluster_members(inputs: StepInput) -> Dict[int, List[int]]:
    members: Dict[int, List[int]] = {}
    for i, row in enumerate(inputs):
        cluster = row.get("cluster_label")
        if isinstance(cluster, bool) or not isinstance(cluster, numbers.Integral):
            raise DistilabelUserError(
                f"TextClustering: 'cluster_label' must be an integer (-1 for no cluster), got {cluster!r} in row {i}."
            )
        row["cluster_label"] = int(cluster)
        members.setdefault(int(cluster), []).append(i)
    return members


def _summary(labels: Any) -> Optional[str]:
    """The JSON text of a cluster's labels, ``None`` when the LLM's answer did not parse."""
    if labels is None or (isinstance(labels, list) and any(label is None for label in labels)):
        return None
    return json.dumps(labels)


def _point(row: Dict[str, Any]) -> Sequence[float]:
    projection = row.get("projection")
    if (
        not isinstance(projection, (list, tuple))
        or len(projection) < 2
        or not all(isinstance(v, numbers.Real) for v in projection[:2])
    ):
        raise DistilabelUserError(
            "TextClustering with savefig=True needs 'projection' to be a list of at least two numbers,"
            f" got {str(projection)[:100]!r}. Use UMAP(n_components=2) or set savefig=False."
        )
    return float(projection[0]), float(projection[1])


def draw_clusters(
    points: List[Sequence[float]],
    clusters: List[int],
    members: Dict[int, List[int]],
    labels: Dict[int, Any],
    path: Path,
) -> None:
    """Save a scatter plot of ``points`` coloured by cluster, each cluster's label at its centre."""
    # The Figure API, not pyplot: no global state, so it is safe in a worker thread.
    from matplotlib import colormaps
    from matplotlib.figure import Figure

    figure = Figure(figsize=(12, 8), dpi=300)
    axes = figure.subplots()
    named = sorted(c for c in members if c != UNCLUSTERED)
    palette = colormaps["Spectral"]
    colour = {c: palette(i / max(len(named) - 1, 1)) for i, c in enumerate(named)}
    colour[UNCLUSTERED] = (0.0, 0.0, 0.0, 0.0)
    axes.scatter(
        [p[0] for p in points],
        [p[1] for p in points],
        c=[colour[c] for c in clusters],
        s=0.75,
        alpha=0.8,
        linewidths=0.4,
    )
    for cluster in named:
        xs = [points[i][0] for i in members[cluster]]
        ys = [points[i][1] for i in members[cluster]]
        text = axes.text(
            sum(xs) / len(xs),
            sum(ys) / len(ys),
            str(labels.get(cluster)),
            horizontalalignment="center",
            verticalalignment="center",
            fontsize=4,
        )
        text.set_bbox(
            {"facecolor": "white", "alpha": 0.9, "linewidth": 0, "boxstyle": "square,pad=0.1"}
        )
    axes.set_axis_off()
    figure.savefig(path)


__all__ = ["FIGURE_FILENAME", "UNCLUSTERED", "TextClustering", "draw_clusters"]
