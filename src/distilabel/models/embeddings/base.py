"""The base class of embedding models: ``encode(texts) -> vectors``."""

import logging
from abc import ABC, abstractmethod
from typing import List, Union

from pydantic import ConfigDict, PrivateAttr

from distilabel.mixins.runtime_parameters import RuntimeParametersMixin
from distilabel.utils.serialization import _Serializable


class Embeddings(RuntimeParametersMixin, _Serializable, ABC):
    """Base class of embedding models.

    Subclasses implement ``model_name``, ``load()`` (create the model, importing the
    SDK there) and ``encode()``.
    """

    model_config = ConfigDict(
        arbitrary_types_allowed=True,
        protected_namespaces=(),
        validate_default=True,
        validate_assignment=True,
        extra="forbid",
    )

    _logger: logging.Logger = PrivateAttr(default_factory=lambda: logging.getLogger("distilabel.embeddings"))

    def load(self) -> None:
        """Load the model. Call it once before ``encode``."""
        self._logger = logging.getLogger(f"distilabel.embeddings.{self.model_name}")

    def unload(self) -> None:
        """Release what ``load()`` acquired."""

    @property
    @abstractmethod
    def model_name(self) -> str:
        """The name of the model."""

    @abstractmethod
    def encode(self, inputs: List[str]) -> List[List[Union[int, float]]]:
        """One embedding vector per input text."""
