"""The base of the clustering steps that fit a scikit-learn-style estimator on every row at once."""

from abc import abstractmethod
from typing import TYPE_CHECKING, Any

from pydantic import PrivateAttr

from distilabel.steps.base import GlobalStep, StepInput

if TYPE_CHECKING:
    from distilabel.typing.steps import StepOutput


class EstimatorStep(GlobalStep):
    """A global step that makes an estimator in ``load()`` and fits it on all the rows.

    Subclasses implement ``_make_estimator()`` (import the library there) and
    ``_fit(rows)``, which fits ``self._estimator`` and writes the step's columns into
    the rows. An empty input passes through untouched.
    """

    _estimator: Any = PrivateAttr(default=None)

    def load(self) -> None:
        super().load()
        self._estimator = self._make_estimator()

    def unload(self) -> None:
        self._estimator = None
        super().unload()

    def process(self, inputs: StepInput) -> "StepOutput":
        if self._estimator is None:
            raise RuntimeError(f"{type(self).__name__} is not loaded: call load() first.")
        if inputs:
            self._fit(inputs)
        yield inputs

    @abstractmethod
    def _make_estimator(self) -> Any:
        """The unfitted estimator, built from the step's fields."""

    @abstractmethod
    def _fit(self, rows: StepInput) -> None:
        """Fit the estimator on ``rows`` and write the results into them."""
