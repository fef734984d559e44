"""The base class of embedding models: ``encode(texts) -> vectors``."""

import logging
from abc import ABC, abstractmethod
from typing import Any, List, Union

from pydantic import PrivateAttr

from distilabel.mixins.runtime_parameters import RuntimeParametersMixin
from distilabel.models.loading import ensure_loaded
from distilabel.models.mixins.cuda_device_placement import CudaDevicePlacementMixin
from distilabel.utils.serialization import COMPONENT_CONFIG, _Serializable


class Embeddings(RuntimeParametersMixin, _Serializable, ABC):
    """Base class of embedding models.

    Subclasses implement ``model_name``, ``load()`` (create the model, importing the
    SDK there) and ``encode()``.
    """

    model_config = COMPONENT_CONFIG

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


class LocalEmbeddings(Embeddings, CudaDevicePlacementMixin):
    """Base class of embedding models run in this process, on the devices ``cuda_devices`` picks.

    Subclasses implement ``model_name``, ``_load_model()`` (import the library there and
    return the loaded model) and ``_encode()``; ``_close_model()`` where the model holds
    resources that its garbage collection would not free.
    """

    _model: Any = PrivateAttr(default=None)

    def load(self) -> None:
        """Place the model on its devices and load it."""
        CudaDevicePlacementMixin.load(self)
        self._model = self._load_model()
        super().load()

    def unload(self) -> None:
        model, self._model = self._model, None
        if model is not None:
            self._close_model(model)
        CudaDevicePlacementMixin.unload(self)
        super().unload()

    def encode(self, inputs: List[str]) -> List[List[Union[int, float]]]:
        """One embedding per text.

        Args:
            inputs: the texts to embed.
        """
        ensure_loaded(self)
        return self._encode(inputs)

    @abstractmethod
    def _load_model(self) -> Any:
        """The loaded model (``load()`` keeps it as ``self._model``)."""

    @abstractmethod
    def _encode(self, inputs: List[str]) -> List[List[Union[int, float]]]:
        """``encode`` once the model is loaded."""

    def _close_model(self, model: Any) -> None:
        """Release what the model holds; nothing by default."""
