"""Embeddings from the last hidden state of an LLM (e.g. a local transformers model)."""

from typing import TYPE_CHECKING, Any, Dict, List

from pydantic import SerializeAsAny

from distilabel.models.llms.base import LLM
from distilabel.steps.base import Step, StepInput
from distilabel.steps.embeddings.embedding_generation import TextEmbeddingColumns

if TYPE_CHECKING:
    from distilabel.typing import ChatType
    from distilabel.typing.steps import StepOutput


class GenerateEmbeddings(TextEmbeddingColumns, Step):
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

    def load(self) -> None:
        super().load()
        self.llm.load()

    def unload(self) -> None:
        self.llm.unload()

    def format_input(self, input: Dict[str, Any]) -> "ChatType":
        text = input["text"]
        if isinstance(text, list):
            return text  # type: ignore[return-value]
        return [{"role": "user", "content": str(text)}]

    def process(self, inputs: StepInput) -> "StepOutput":
        formatted: List[Any] = [self.format_input(row) for row in inputs]
        hidden_states = self.llm.get_last_hidden_states(formatted)
        for row, state in zip(inputs, hidden_states, strict=False):
            row["embedding"] = [float(x) for x in state[-1]]
            row["model_name"] = self.llm.model_name
        yield inputs
