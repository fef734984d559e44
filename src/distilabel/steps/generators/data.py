"""Generator steps over data already in memory."""

from typing import TYPE_CHECKING, Any, Dict, List, Optional

from pydantic import Field

from distilabel.errors import DistilabelUserError
from distilabel.steps.base import GeneratorStep, iter_batches

if TYPE_CHECKING:
    from distilabel.typing.pipeline import InputDataset
    from distilabel.typing.steps import GeneratorStepOutput, StepColumns


class LoadDataFromDicts(GeneratorStep):
    """Yield the rows of a list of dicts.

    Attributes:
        data: the rows; every row should have the same keys.

    Output columns:
        - the keys of the rows.
    """

    data: List[Dict[str, Any]] = Field(default_factory=list, exclude=False)

    @property
    def outputs(self) -> "StepColumns":
        return list(self.data[0].keys()) if self.data else []

    @property
    def total_rows(self) -> Optional[int]:
        return len(self.data)

    def process(self, offset: int = 0) -> "GeneratorStepOutput":
        for batch, last in iter_batches(self.data, self.batch_size, offset):
            # Copies, so steps changing rows in place never change ``data``.
            yield [dict(row) for row in batch], last


def make_generator_step(dataset: "InputDataset", batch_size: int = 50, **kwargs: Any) -> GeneratorStep:
    """A generator step yielding ``dataset`` (a list of dicts, a ``datasets.Dataset`` or a DataFrame)."""
    if isinstance(dataset, list):
        return LoadDataFromDicts(data=dataset, batch_size=batch_size, **kwargs)
    try:
        from datasets import Dataset
    except ImportError:  # pragma: no cover - datasets is a dependency
        Dataset = None  # type: ignore[assignment]
    if Dataset is not None and isinstance(dataset, Dataset):
        return LoadDataFromDicts(data=dataset.to_list(), batch_size=batch_size, **kwargs)
    to_dict = getattr(dataset, "to_dict", None)
    if to_dict is not None:
        return LoadDataFromDicts(data=to_dict(orient="records"), batch_size=batch_size, **kwargs)
    raise DistilabelUserError(
        f"Cannot make rows out of a {type(dataset).__name__}: pass a list of dicts, a datasets.Dataset"
        " or a pandas.DataFrame."
    )
