"""Types used when building and running pipelines."""

from typing import TYPE_CHECKING, Any, Dict, List, Union

from typing_extensions import TypedDict

if TYPE_CHECKING:
    import pandas as pd
    from datasets import Dataset

InputDataset = Union["Dataset", "pd.DataFrame", List[Dict[str, Any]]]
"""Data accepted by ``Pipeline.run(dataset=...)``."""

PipelineRuntimeParametersInfo = Dict[str, Union[List[Dict[str, Any]], Dict[str, Any]]]
"""Step names mapped to the description of their runtime parameters."""


class StepProgress(TypedDict):
    """Counters of one step while a pipeline runs."""

    rows_in: int
    rows_out: int
    failed: int
    in_flight: int
    input_tokens: int
    output_tokens: int


__all__ = ["InputDataset", "PipelineRuntimeParametersInfo", "StepProgress"]
