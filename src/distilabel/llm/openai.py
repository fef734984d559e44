"""distilabel 0.x's ``OpenAILLM``, generating through ``distilabel.models.llms.OpenAILLM``."""

from typing import Any, ClassVar, Dict, Optional, Tuple

from pydantic import Field, SecretStr

from distilabel.llm.base import LLM
from distilabel.models.llms.openai import OpenAILLM as _ModernOpenAILLM


class OpenAILLM(LLM):
    """OpenAI's chat models (or any OpenAI-compatible server), with distilabel 0.x's API.

    The API key is ``openai_api_key``, else the ``OPENAI_API_KEY`` environment variable;
    the server is ``OPENAI_BASE_URL`` when set (or the base URL of ``client``), else
    OpenAI's. Prompts default to the ``"openai"`` format (a conversation); a prompt
    string goes to the completions API.

    Attributes:
        model: the model, e.g. ``"gpt-3.5-turbo"``.
        client: an ``openai.OpenAI`` client whose API key and base URL to use.
        openai_api_key: the API key.
        max_new_tokens: the most tokens each answer may have.
        frequency_penalty: penalises tokens by how often they already appeared.
        presence_penalty: penalises tokens that already appeared.
        temperature: the sampling temperature.
        top_p: nucleus sampling: keep the tokens within this cumulative probability.

    Examples:
        >>> from distilabel.llm import OpenAILLM
        >>> from distilabel.tasks import OpenAITextGenerationTask
        >>> llm = OpenAILLM(model="gpt-3.5-turbo", task=OpenAITextGenerationTask(), num_threads=2)
        >>> futures = llm.generate([{"input": "What is OpenAI?"}])
        >>> futures[0].result()[0][0]["parsed_output"]["generations"]
    """

    model: str = Field(default="gpt-3.5-turbo", description="The model to generate with.")
    client: Optional[Any] = Field(default=None, description="An `openai.OpenAI` client to take the key and URL from.")
    openai_api_key: Optional[SecretStr] = Field(default=None, description="The OpenAI API key.")
    max_new_tokens: int = Field(default=128, description="The most tokens each answer may have.")
    frequency_penalty: float = Field(default=0.0, description="Penalises tokens by how often they appeared.")
    presence_penalty: float = Field(default=0.0, description="Penalises tokens that already appeared.")
    temperature: float = Field(default=1.0, description="The sampling temperature.")
    top_p: float = Field(default=1.0, description="Nucleus sampling's cumulative probability.")

    _modern_equivalent: ClassVar[str] = "distilabel.models.llms.OpenAILLM with distilabel.steps.tasks.TextGeneration"
    _default_format: ClassVar[str] = "openai"
    _positional_args: ClassVar[Tuple[str, ...]] = ("task", "model", "client", "openai_api_key")

    def _make_engine(self) -> _ModernOpenAILLM:
        fields: Dict[str, Any] = {"model": self.model}
        if self.client is not None:
            fields["base_url"] = str(self.client.base_url)
            if getattr(self.client, "api_key", None):
                fields["api_key"] = self.client.api_key
        if self.openai_api_key is not None:
            fields["api_key"] = self.openai_api_key
        return _ModernOpenAILLM(**fields)


__all__ = ["OpenAILLM"]
