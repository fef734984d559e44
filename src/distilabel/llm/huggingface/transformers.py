"""distilabel 0.x's ``TransformersLLM``, generating through ``distilabel.models.llms.TransformersLLM``
with the model and tokenizer the caller loaded."""

from typing import Any, ClassVar, Dict, Tuple

from pydantic import Field, PrivateAttr

from distilabel.llm.base import LLM
from distilabel.models.llms.base import LLM as _ModernBase
from distilabel.models.llms.huggingface.transformers import (
    TransformersLLM as _ModernTransformersLLM,
)
from distilabel.utils.ignored import warn_ignored


class _GivenTransformersLLM(_ModernTransformersLLM):
    """The 1.x ``TransformersLLM`` on a model and tokenizer loaded by the caller."""

    _given_model: Any = PrivateAttr(default=None)
    _given_tokenizer: Any = PrivateAttr(default=None)

    def load(self) -> None:
        import torch

        tokenizer = self._given_tokenizer
        # Batched generation pads on the left, so every prompt ends where its answer starts.
        tokenizer.padding_side = "left"
        if tokenizer.pad_token is None:
            tokenizer.pad_token = tokenizer.eos_token
        model = self._given_model
        if torch.cuda.is_available() and model.device.type == "cpu":
            model.to("cuda")
        model.eval()
        self._tokenizer, self._model = tokenizer, model
        _ModernBase.load(self)

    def unload(self) -> None:
        self._model = self._tokenizer = None  # the caller's objects, left as they are
        _ModernBase.unload(self)


class TransformersLLM(LLM):
    """A Hugging Face causal LM and its tokenizer, loaded by the caller, with distilabel 0.x's API.

    Prompts are sent as they are (give a format with ``prompt_format``, e.g.
    ``"zephyr"``, or use a task that formats its own prompts); a conversation
    (``prompt_format="openai"``) goes through the tokenizer's chat template instead.
    The model moves to the GPU when there is one.

    Attributes:
        model: the loaded ``transformers`` model (e.g. from ``AutoModelForCausalLM``).
        tokenizer: its tokenizer.
        max_new_tokens: the most tokens each answer may have.
        do_sample: sample; ``False`` (the default) decodes greedily.
        temperature: the sampling temperature (with ``do_sample=True``).
        top_k: sample among the k most likely tokens (with ``do_sample=True``).
        top_p: nucleus sampling's cumulative probability (with ``do_sample=True``).
        typical_p: accepted for 0.x code; not applied (a warning says so) unless 1.0.

    Examples:
        >>> from transformers import AutoModelForCausalLM, AutoTokenizer
        >>> from distilabel.llm import TransformersLLM
        >>> from distilabel.tasks import TextGenerationTask
        >>> llm = TransformersLLM(
        ...     model=AutoModelForCausalLM.from_pretrained("HuggingFaceTB/SmolLM2-135M-Instruct"),
        ...     tokenizer=AutoTokenizer.from_pretrained("HuggingFaceTB/SmolLM2-135M-Instruct"),
        ...     task=TextGenerationTask(),
        ...     prompt_format="chatml",
        ... )
    """

    model: Any = Field(description="The loaded transformers model.")
    tokenizer: Any = Field(description="The model's tokenizer.")
    max_new_tokens: int = Field(default=128, description="The most tokens each answer may have.")
    do_sample: bool = Field(default=False, description="Sample instead of decoding greedily.")
    temperature: float = Field(default=1.0, description="The sampling temperature.")
    top_k: int = Field(default=50, description="Sample among the k most likely tokens.")
    top_p: float = Field(default=1.0, description="Nucleus sampling's cumulative probability.")
    typical_p: float = Field(default=1.0, description="Typical decoding mass (not applied).")

    _modern_equivalent: ClassVar[str] = (
        "distilabel.models.llms.TransformersLLM(model=<model id or folder>) with distilabel.steps.tasks.TextGeneration"
    )
    _positional_args: ClassVar[Tuple[str, ...]] = ("model", "tokenizer", "task")

    def _make_engine(self) -> _ModernTransformersLLM:
        name = getattr(getattr(self.model, "config", None), "name_or_path", None)
        if not callable(getattr(self.model, "generate", None)) or not callable(self.tokenizer):
            raise ValueError(
                "TransformersLLM needs a loaded transformers model (`model=AutoModelForCausalLM.from_pretrained(...)`)"
                f" and its tokenizer; got model={type(self.model).__name__}, tokenizer={type(self.tokenizer).__name__}."
            )
        if self.typical_p != 1.0:
            warn_ignored(
                f"TransformersLLM(typical_p={self.typical_p})",
                "distilabel.models.llms.TransformersLLM, which generates here, has no typical decoding",
            )
        engine = _GivenTransformersLLM(model=name or type(self.model).__name__)
        engine._given_model, engine._given_tokenizer = self.model, self.tokenizer
        return engine

    def _generation_kwargs(self) -> Dict[str, Any]:
        # 0.x applied no repetition penalty; 1.x's default is 1.1.
        return {**super()._generation_kwargs(), "repetition_penalty": 1.0}


__all__ = ["TransformersLLM"]
