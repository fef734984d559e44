"""``EmbeddingGeneration``: add an embedding of each row's ``text`` with an ``Embeddings`` model."""

from typing import TYPE_CHECKING

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


class EmbeddingGeneration(TextEmbeddingColumns, Step):
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

    def load(self) -> None:
        super().load()
        self.embeddings.load()

    def unload(self) -> None:
        self.embeddings.unload()
        super().unload()

    def process(self, inputs: StepInput) -> "StepOutput":  # type: ignore[override]
        """Embed a batch of rows in one call to the model."""
        vectors = self.embeddings.encode(inputs=[row["text"] for row in inputs])
        for row, vector in zip(inputs, vectors, strict=False):
            row["embedding"] = vector
            row["model_name"] = self.embeddings.model_name
        yield inputs
