"""Types used when building and running pipelines."""

from typing import TYPE_CHECKING, Any, Dict, List, Literal, TypeVar, Union

from typing_extensions import TypedDict

if TYPE_CHECKING:
    import pandas as pd
    from datasets import Dataset

    from distilabel.steps.base import GeneratorStep, GlobalStep, Step

InputDataset = Union["Dataset", "pd.DataFrame", List[Dict[str, Any]]]
"""Data accepted by ``Pipeline.run(dataset=...)``."""

PipelineRuntimeParametersInfo = Dict[str, Union[List[Dict[str, Any]], Dict[str, Any]]]
"""Step names mapped to the description of their runtime parameters."""

DownstreamConnectable = Union["Step", "GlobalStep"]
"""The steps that can receive rows from another step (``a >> b``: ``b``)."""

UpstreamConnectableSteps = TypeVar("UpstreamConnectableSteps", bound=Union["Step", "GlobalStep", "GeneratorStep"])
"""A step that can send rows to another (``a >> b``: ``a``)."""

DownstreamConnectableSteps = TypeVar("DownstreamConnectableSteps", bound=DownstreamConnectable, covariant=True)
"""A step that can receive rows from another (``a >> b``: ``b``)."""

LoadGroups = Union[List[List[Any]], Literal["sequential_step_execution"]]
"""``Pipeline.run(load_groups=...)``: lists of steps (or step names) to load together,
or ``"sequential_step_execution"`` for one step at a time (see ``get_load_stages``)."""


class StepLoadStatus(TypedDict):
    """Whether a step was loaded, unloaded, or failed to load."""

    name: str
    status: Literal["loaded", "unloaded", "load_failed"]


class StepProgress(TypedDict):
    """Counters of one step while a pipeline runs."""

    rows_in: int
    rows_out: int
    failed: int
    in_flight: int
    input_tokens: int
    output_tokens: int


__all__ = [
    "DownstreamConnectable",
    "DownstreamConnectableSteps",
    "InputDataset",
    "LoadGroups",
    "PipelineRuntimeParametersInfo",
    "StepLoadStatus",
    "StepProgress",
    "UpstreamConnectableSteps",
]
