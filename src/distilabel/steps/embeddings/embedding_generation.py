"""``EmbeddingGeneration``: add an embedding of each row's ``text`` with an ``Embeddings`` model."""

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar, List

from pydantic import SerializeAsAny

from distilabel.models.embeddings.base import Embeddings
from distilabel.steps.base import Step, StepInput
from distilabel.steps.column_property import column_property

if TYPE_CHECKING:
    from distilabel.typing.steps import StepOutput


class TextEmbeddingColumns:
    """The columns of a step that embeds each row's ``text``: out come ``embedding`` and ``model_name``."""

    inputs = column_property(["text"])
    outputs = column_property(["embedding", "model_name"])


class TextEmbeddingStep(TextEmbeddingColumns, Step, ABC):
    """A step that embeds each row's ``text`` with a model it holds, loaded and unloaded with it.

    Subclasses name the field holding the model (``_model_field``) and compute a batch's
    vectors (``_vectors``); the model's ``model_name`` goes into every row.
    """

    _model_field: ClassVar[str]

    @property
    def _model(self) -> Any:
        return getattr(self, self._model_field)

    def load(self) -> None:
        super().load()
        self._model.load()

    def unload(self) -> None:
        self._model.unload()
        super().unload()

    @abstractmethod
    def _vectors(self, inputs: StepInput) -> List[List[float]]:
        """One vector per row of ``inputs``."""

    def process(self, inputs: StepInput) -> "StepOutput":  # type: ignore[override]
        """Embed a batch of rows in one call to the model."""
        vectors = self._vectors(inputs)
        for row, vector in zip(inputs, vectors, strict=False):
            row["embedding"] = vector
            row["model_name"] = self._model.model_name
        yield inputs


class EmbeddingGeneration(TextEmbeddingStep):
    """Embed the ``text`` column of each row.

    Attributes:
        embeddings: the embedding model, e.g. ``SentenceTransformerEmbeddings()``.

    Input columns:
        - text (str): the text to embed.

    Output columns:
        - embedding (List[float]): the embedding of the text.
        - model_name (str): the model that produced it.

    Examples:
        >>> from distilabel.models.embeddings import SentenceTransformerEmbeddings
        >>> step = EmbeddingGeneration(embeddings=SentenceTransformerEmbeddings())
        >>> step.load()
        >>> next(step.process([{"text": "Hello"}]))  # [{'text': 'Hello', 'embedding': [...], ...}]
    """

    embeddings: SerializeAsAny[Embeddings]

    _model_field: ClassVar[str] = "embeddings"

    def _vectors(self, inputs: StepInput) -> List[List[float]]:
        return self.embeddings.encode(inputs=[row["text"] for row in inputs])
