"""Embeddings from the last hidden state of an LLM (e.g. a local transformers model)."""

from typing import TYPE_CHECKING, Any, ClassVar, Dict, List

from pydantic import SerializeAsAny

from distilabel.models.llms.base import LLM
from distilabel.steps.base import StepInput
from distilabel.steps.embeddings.embedding_generation import TextEmbeddingStep

if TYPE_CHECKING:
    from distilabel.typing import ChatType


class GenerateEmbeddings(TextEmbeddingStep):
    """Embed a text (or conversation) as the LLM's last hidden state at the last token.

    Attributes:
        llm: an LLM that exposes hidden states (``get_last_hidden_states``).

    Input columns:
        - text (str | List[Dict[str, str]]): the text or conversation to embed.

    Output columns:
        - embedding (List[float]): the hidden state of the last token.
        - model_name (str): the model that produced it.
    """

    llm: SerializeAsAny[LLM]

    _model_field: ClassVar[str] = "llm"

    def format_input(self, input: Dict[str, Any]) -> "ChatType":
        text = input["text"]
        if isinstance(text, list):
            return text  # type: ignore[return-value]
        return [{"role": "user", "content": str(text)}]

    def _vectors(self, inputs: StepInput) -> List[List[float]]:
        formatted: List[Any] = [self.format_input(row) for row in inputs]
        hidden_states = self.llm.get_last_hidden_states(formatted)
        return [[float(x) for x in state[-1]] for state in hidden_states]
