"""MlxLLM: local generation with Apple's MLX framework (``mlx-lm``), on Apple silicon only."""

import platform
import sys
import threading
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Dict, List, Optional

from pydantic import Field, PrivateAttr

from distilabel.errors import DistilabelUserError
from distilabel.models.llms.base import LLM
from distilabel.models.llms.chat_templates import TokenizerChatTemplateMixin
from distilabel.models.llms.outputs import (
    describe_error,
    failed_output,
    finalize_output,
    prepare_output,
)
from distilabel.models.loading import ensure_loaded
from distilabel.models.mixins.magpie import MagpieChatTemplateMixin
from distilabel.utils.imports import require

if TYPE_CHECKING:
    from distilabel.typing import FormattedInput, GenerateOutput

_EXTRA = "mlx"


def on_apple_silicon() -> bool:
    """Whether this is macOS on an Apple (arm64) chip, the only hardware MLX runs on."""
    return sys.platform == "darwin" and platform.machine() == "arm64"


class MlxLLM(LLM, MagpieChatTemplateMixin, TokenizerChatTemplateMixin):
    """A causal language model run by Apple's MLX framework through ``mlx-lm``.

    MLX runs on Apple silicon only: on any other machine the class imports and
    serializes, and ``load()`` fails saying so. A structured output that comes with an
    input is checked, not enforced: a generation that does not follow the schema or
    regex becomes ``None`` with the reason in its row's metadata.

    Attributes:
        path_or_hf_repo: a local model folder or a Hugging Face Hub repo id (MLX format).
        tokenizer_config: keyword arguments for the tokenizer.
        mlx_model_config: keyword arguments for the model's configuration.
        adapter_path: a folder of LoRA adapter weights to apply.
        use_magpie_template: end prompts with the Magpie pre-query template.
        magpie_pre_query_template: the pre-query template (``"llama3"``, ``"qwen2"`` or the text).

    Examples:
        ```python
        from distilabel.models.llms import MlxLLM

        llm = MlxLLM(path_or_hf_repo="mlx-community/Meta-Llama-3.1-8B-Instruct-4bit")
        llm.load()
        llm.generate_outputs([[{"role": "user", "content": "Hello!"}]], max_tokens=64)
        ```
    """

    path_or_hf_repo: str = Field(description="A local model folder or a Hugging Face Hub repo id.")
    tokenizer_config: Dict[str, Any] = Field(default_factory=dict, description="Keyword arguments for the tokenizer.")
    mlx_model_config: Dict[str, Any] = Field(
        default_factory=dict, description="Keyword arguments for the model's configuration."
    )
    adapter_path: Optional[str] = Field(default=None, description="A folder of LoRA adapter weights.")

    _model: Any = PrivateAttr(default=None)
    _tokenizer: Any = PrivateAttr(default=None)
    _mlx_generate: Optional[Callable[..., str]] = PrivateAttr(default=None)
    _make_sampler: Optional[Callable[..., Any]] = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    # A base model's tokenizer has no chat template: its prompt is the turns' text.
    _join_without_template: ClassVar[bool] = True
    # ``generate`` goes through its inputs one by one: the progress display moves per input.
    _generates_one_input_at_a_time: ClassVar[bool] = True

    @property
    def model_name(self) -> str:
        """The model folder or repo id."""
        return self.path_or_hf_repo

    def load(self) -> None:
        """Load the model and tokenizer with ``mlx_lm.load`` (Apple silicon only)."""
        if not on_apple_silicon():
            raise DistilabelUserError(
                "MlxLLM needs Apple silicon: MLX runs only on macOS with an Apple M-series chip, and this"
                f" machine is {sys.platform} on {platform.machine() or 'an unknown processor'}. Use"
                " TransformersLLM or LlamaCppLLM here instead."
            )
        require("mlx", _EXTRA, type(self).__name__)
        mlx_lm = require("mlx_lm", _EXTRA, type(self).__name__)
        sample_utils = require("mlx_lm.sample_utils", _EXTRA, type(self).__name__)
        self._model, self._tokenizer = mlx_lm.load(
            self.path_or_hf_repo,
            tokenizer_config=self.tokenizer_config,
            model_config=self.mlx_model_config,
            adapter_path=self.adapter_path,
        )
        if getattr(self._tokenizer, "pad_token", None) is None:
            self._tokenizer.pad_token = self._tokenizer.eos_token
        self._mlx_generate = mlx_lm.generate
        self._make_sampler = sample_utils.make_sampler
        super().load()

    def unload(self) -> None:
        self._model = self._tokenizer = self._mlx_generate = self._make_sampler = None
        super().unload()

    def generate(  # type: ignore[override]
        self,
        inputs: List["FormattedInput"],
        num_generations: int = 1,
        max_tokens: int = 256,
        logits_processors: Optional[List[Callable]] = None,
        max_kv_size: Optional[int] = None,
        prompt_cache: Optional[Any] = None,
        prefill_step_size: int = 512,
        kv_bits: Optional[int] = None,
        kv_group_size: int = 64,
        quantized_kv_start: int = 0,
        prompt_progress_callback: Optional[Callable[[int, int], None]] = None,
        temp: float = 0.0,
        top_p: float = 0.0,
        min_p: float = 0.0,
        min_tokens_to_keep: int = 1,
        top_k: int = -1,
    ) -> List["GenerateOutput"]:
        """Generate ``num_generations`` completions for each input.

        Args:
            inputs: conversations, raw prompt strings, or (conversation, structured output) pairs.
            num_generations: how many completions to generate for each input.
            max_tokens: the most tokens each completion may have.
            logits_processors: ``mlx-lm`` logits processors to apply while sampling.
            max_kv_size: the most entries the key-value cache keeps.
            prompt_cache: a prompt cache to reuse between calls.
            prefill_step_size: how many prompt tokens are processed per step.
            kv_bits: quantise the key-value cache to this many bits.
            kv_group_size: the group size of key-value cache quantisation.
            quantized_kv_start: the step from which the key-value cache is quantised.
            prompt_progress_callback: called with (processed, total) prompt tokens.
            temp: the sampling temperature; 0 decodes greedily.
            top_p: nucleus sampling: keep the smallest set of tokens whose probability adds up
                to this; 0 turns it off.
            min_p: drop tokens less likely than this fraction of the most likely one; 0 turns it off.
            min_tokens_to_keep: the fewest tokens ``min_p`` may leave.
            top_k: sample only among the k most likely tokens; -1 turns it off.
        """
        ensure_loaded(self)
        sampler = self._make_sampler(  # type: ignore[misc]
            temp=temp, top_p=top_p, min_p=min_p, min_tokens_to_keep=min_tokens_to_keep, top_k=top_k
        )
        options = {
            "max_tokens": max_tokens,
            "sampler": sampler,
            "logits_processors": logits_processors,
            "max_kv_size": max_kv_size,
            "prompt_cache": prompt_cache,
            "prefill_step_size": prefill_step_size,
            "kv_bits": kv_bits,
            "kv_group_size": kv_group_size,
            "quantized_kv_start": quantized_kv_start,
            "prompt_progress_callback": prompt_progress_callback,
        }
        return [self._generate_row(input, num_generations, options) for input in inputs]

    def _generate_row(self, input: "FormattedInput", num_generations: int, options: Dict[str, Any]) -> "GenerateOutput":
        conversation, structured = self._split_input(input)
        try:
            prompt = self.prepare_input(conversation)
            with self._lock:
                texts = [
                    self._mlx_generate(self._model, self._tokenizer, prompt=prompt, **options)  # type: ignore[misc]
                    for _ in range(num_generations)
                ]
        except Exception as error:  # one bad input fails only its row
            return failed_output(num_generations, describe_error(error))
        prompt_tokens = len(self._tokenizer.encode(prompt))
        output_tokens = [len(self._tokenizer.encode(text)) if text else 0 for text in texts]
        output = prepare_output(texts, [prompt_tokens] * num_generations, output_tokens)
        return finalize_output(output, num_generations, structured)


__all__ = ["MlxLLM", "on_apple_silicon"]
