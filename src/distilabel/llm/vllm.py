"""distilabel 0.x's ``vLLM``, generating through ``distilabel.models.llms.vLLM`` with the
``vllm.LLM`` engine the caller started."""

from typing import Any, ClassVar, Tuple

from pydantic import Field, PrivateAttr

from distilabel.llm.base import LLM
from distilabel.models.llms.base import LLM as _ModernBase
from distilabel.models.llms.vllm import vLLM as _ModernvLLM


class _GivenvLLM(_ModernvLLM):
    """The 1.x ``vLLM`` on an engine started by the caller."""

    _given: Any = PrivateAttr(default=None)

    def load(self) -> None:
        self._model = self._given
        self._tokenizer = self._given.get_tokenizer()
        _ModernBase.load(self)

    def unload(self) -> None:
        self._model = self._tokenizer = None  # the caller's engine keeps running
        _ModernBase.unload(self)


class vLLM(LLM):
    """A model served by a ``vllm.LLM`` engine started by the caller (needs a GPU), with
    distilabel 0.x's API.

    Prompts are sent as they are (give a format with ``prompt_format``, or use a task
    that formats its own prompts); a conversation (``prompt_format="openai"``) goes
    through the tokenizer's chat template instead.

    Attributes:
        vllm: the ``vllm.LLM`` engine.
        max_new_tokens: the most tokens each answer may have.
        presence_penalty: penalises tokens that already appeared.
        frequency_penalty: penalises tokens by how often they already appeared.
        temperature: the sampling temperature.
        top_p: nucleus sampling's cumulative probability.
        top_k: sample among the k most likely tokens; -1 for all.

    Examples:
        >>> from vllm import LLM
        >>> from distilabel.llm import vLLM
        >>> from distilabel.tasks import TextGenerationTask
        >>> llm = vLLM(vllm=LLM(model="argilla/notus-7b-v1"), task=TextGenerationTask(), prompt_format="notus")
    """

    vllm: Any = Field(description="The `vllm.LLM` engine.")
    max_new_tokens: int = Field(default=128, description="The most tokens each answer may have.")
    presence_penalty: float = Field(default=0.0, description="Penalises tokens that already appeared.")
    frequency_penalty: float = Field(default=0.0, description="Penalises tokens by how often they appeared.")
    temperature: float = Field(default=1.0, description="The sampling temperature.")
    top_p: float = Field(default=1.0, description="Nucleus sampling's cumulative probability.")
    top_k: int = Field(default=-1, description="Sample among the k most likely tokens; -1 for all.")

    _modern_equivalent: ClassVar[str] = (
        "distilabel.models.llms.vLLM(model=<model id or folder>) with distilabel.steps.tasks.TextGeneration"
    )
    _positional_args: ClassVar[Tuple[str, ...]] = ("vllm", "task")

    def _make_engine(self) -> _ModernvLLM:
        try:
            name = self.vllm.llm_engine.model_config.model
        except AttributeError:
            raise ValueError(f"vLLM needs a `vllm.LLM` engine as `vllm`; got {type(self.vllm).__name__}.") from None
        engine = _GivenvLLM(model=str(name))
        engine._given = self.vllm
        return engine


__all__ = ["vLLM"]
