"""distilabel 0.x's ``LlamaCppLLM``, generating through ``distilabel.models.llms.LlamaCppLLM``
with the ``llama_cpp.Llama`` the caller loaded."""

from typing import Any, ClassVar, Dict, Tuple

from pydantic import Field, PrivateAttr

from distilabel.llm.base import LLM
from distilabel.models.llms.base import LLM as _ModernBase
from distilabel.models.llms.llamacpp import LlamaCppLLM as _ModernLlamaCppLLM

# The 1.x engine's "draw a random seed" value, its default.
_RANDOM_SEED = _ModernLlamaCppLLM.model_fields["seed"].default


class _GivenLlamaCppLLM(_ModernLlamaCppLLM):
    """The 1.x ``LlamaCppLLM`` on a ``Llama`` loaded by the caller, who keeps owning it."""

    _given: Any = PrivateAttr(default=None)

    def load(self) -> None:
        self._model = self._given
        _ModernBase.load(self)

    def unload(self) -> None:
        self._model = None  # not closed: the caller made it and may use it elsewhere
        _ModernBase.unload(self)


class LlamaCppLLM(LLM):
    """A GGUF model loaded with ``llama_cpp.Llama``, with distilabel 0.x's API.

    Prompts are sent as they are to llama.cpp's completion API (give a format with
    ``prompt_format``, or use a task that formats its own prompts such as
    ``Llama2TextGenerationTask``); a conversation (``prompt_format="openai"``) goes
    through the GGUF's own chat template instead.

    Attributes:
        model: the loaded ``llama_cpp.Llama``; it stays the caller's (never closed here).
        max_new_tokens: the most tokens each answer may have.
        temperature: the sampling temperature.
        top_p: nucleus sampling: keep the tokens within this cumulative probability.
        top_k: sample among the k most likely tokens.
        repeat_penalty: above 1 discourages repeating tokens.
        seed: the sampling seed; the i-th answer to an input uses ``seed + i``.
            ``-1`` draws a new seed each time.

    Examples:
        >>> from llama_cpp import Llama
        >>> from distilabel.llm import LlamaCppLLM
        >>> from distilabel.tasks import Llama2TextGenerationTask
        >>> llm = LlamaCppLLM(model=Llama(model_path="model.gguf"), task=Llama2TextGenerationTask())
        >>> llm.generate([{"input": "What is the capital of Spain?"}])[0][0]["parsed_output"]
    """

    model: Any = Field(description="The loaded `llama_cpp.Llama`.")
    max_new_tokens: int = Field(default=128, description="The most tokens each answer may have.")
    temperature: float = Field(default=0.8, description="The sampling temperature.")
    top_p: float = Field(default=0.95, description="Nucleus sampling's cumulative probability.")
    top_k: int = Field(default=40, description="Sample among the k most likely tokens.")
    repeat_penalty: float = Field(default=1.1, description="Above 1 discourages repeating tokens.")
    seed: int = Field(default=1337, description="The sampling seed; -1 draws a new one each time.")

    _modern_equivalent: ClassVar[str] = (
        "distilabel.models.llms.LlamaCppLLM(model_path=...) with distilabel.steps.tasks.TextGeneration"
    )
    _positional_args: ClassVar[Tuple[str, ...]] = ("model", "task")

    def _make_engine(self) -> _ModernLlamaCppLLM:
        model_path = getattr(self.model, "model_path", None)
        if not isinstance(model_path, str):
            raise ValueError(
                f"LlamaCppLLM needs a loaded `llama_cpp.Llama` as `model`; got {type(self.model).__name__}."
            )
        engine = _GivenLlamaCppLLM(model_path=model_path, seed=self.seed if self.seed >= 0 else _RANDOM_SEED)
        engine._given = self.model
        return engine

    def _generation_kwargs(self) -> Dict[str, Any]:
        # llama.cpp's own sampling parameters, which 1.x takes as extra kwargs.
        extra = {"top_k": self.top_k, "repeat_penalty": self.repeat_penalty}
        return {**super()._generation_kwargs(), "extra_generation_kwargs": extra}


__all__ = ["LlamaCppLLM"]
