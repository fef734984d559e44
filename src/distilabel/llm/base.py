"""``LLM``: the base of distilabel 0.x's LLMs, each an adapter over a distilabel 1.x LLM.

A 0.x LLM holds a task and its generation parameters. ``generate(inputs)`` turns each
input dict into a prompt with ``task.generate_prompt(**input)``, renders it with
``prompt_format`` (or ``prompt_formatting_fn``), generates through the 1.x LLM it
wraps (``distilabel.models.llms.*``: its retries, rate limits and per-row failures
apply), and parses every answer with ``task.parse_output``. What comes back is 0.x's
shape: per input, a list of ``LLMOutput`` dicts; or, with ``num_threads``, one
``concurrent.futures.Future`` per input holding that input's ``[[LLMOutput, ...]]``.
"""

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Dict, List, Optional, Tuple, Union

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, PrivateAttr, field_validator

from distilabel.errors import DistilabelUserError
from distilabel.llm.utils import LLMOutput
from distilabel.models.llms.outputs import describe_error
from distilabel.tasks._deprecation import warn_legacy, warn_user
from distilabel.tasks.prompt import Prompt, SupportedFormats

if TYPE_CHECKING:
    from distilabel.models.llms.base import LLM as ModernLLM
    from distilabel.typing import GenerateOutput

_logger = logging.getLogger("distilabel.llm.legacy")

ProgressCallback = Callable[..., Any]


class LLM(BaseModel, ABC):
    """The base of distilabel 0.x LLMs.

    Subclasses build the distilabel 1.x LLM they wrap (``_make_engine``), say which
    generation kwargs their 0.x parameters become (``_generation_kwargs``), and may
    set ``_default_format``, the prompt format used when neither ``prompt_format``
    nor ``prompt_formatting_fn`` is given.

    Attributes:
        task: the 0.x task (e.g. ``TextGenerationTask()``): it builds each prompt and
            parses each answer.
        num_threads: with a number, ``generate`` returns at once with one future per
            input, and this many inputs are generated at the same time.
        prompt_format: how a task's ``Prompt`` is rendered: ``"default"``, ``"openai"``,
            ``"llama2"``, ``"chatml"``, ``"zephyr"`` or ``"notus"``.
        prompt_formatting_fn: a function given what the task's ``generate_prompt``
            returned (a ``Prompt``, or a prompt it already formatted), returning the
            prompt to send (a string, or a conversation); it replaces ``prompt_format``.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid", protected_namespaces=())

    task: Any = Field(description="The 0.x task: it builds each prompt and parses each answer.")
    num_threads: Optional[PositiveInt] = Field(
        default=None, description="Generate this many inputs at once, returning one future per input."
    )
    prompt_format: Optional[SupportedFormats] = Field(
        default=None, description="How a task's `Prompt` is rendered for the model."
    )
    prompt_formatting_fn: Optional[Callable[..., Any]] = Field(
        default=None, description="A function turning what the task's `generate_prompt` returned into the prompt sent."
    )

    # The distilabel 1.x class this one wraps, named in the DeprecationWarning.
    _modern_equivalent: ClassVar[str] = "an LLM from distilabel.models.llms"
    # The format of a task's `Prompt` when neither `prompt_format` nor `prompt_formatting_fn` is set.
    _default_format: ClassVar[Optional[SupportedFormats]] = None
    # 0.x's constructors took these arguments by position too, in this order.
    _positional_args: ClassVar[Tuple[str, ...]] = ("task",)

    _engine: Any = PrivateAttr(default=None)
    _engine_loaded: bool = PrivateAttr(default=False)
    _load_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _executor: Optional[ThreadPoolExecutor] = PrivateAttr(default=None)

    def __init__(self, *args: Any, **data: Any) -> None:
        if len(args) > len(self._positional_args):
            raise TypeError(
                f"{type(self).__name__} takes at most {len(self._positional_args)} positional argument(s)"
                f" ({', '.join(self._positional_args)}); got {len(args)}."
            )
        for name, value in zip(self._positional_args, args, strict=False):
            if name in data:
                raise TypeError(f"{type(self).__name__} got two values for {name!r}.")
            data[name] = value
        warn_legacy(f"distilabel.llm.{type(self).__name__}", self._modern_equivalent)
        super().__init__(**data)

    @field_validator("task")
    @classmethod
    def _check_task(cls, task: Any) -> Any:
        if not (callable(getattr(task, "generate_prompt", None)) and callable(getattr(task, "parse_output", None))):
            raise ValueError(
                "`task` must be a distilabel 0.x task with `generate_prompt` and `parse_output`, e.g."
                f" `distilabel.tasks.TextGenerationTask()`; got {type(task).__name__}."
            )
        return task

    def model_post_init(self, context: Any) -> None:
        # Built now, so a bad argument fails here; loaded on the first `generate`.
        self._engine = self._make_engine()
        if self.num_threads is not None:
            self._executor = ThreadPoolExecutor(
                max_workers=self.num_threads, thread_name_prefix=f"distilabel-{type(self).__name__}"
            )

    def __del__(self) -> None:
        private = getattr(self, "__pydantic_private__", None) or {}
        executor = private.get("_executor")
        if executor is not None:
            executor.shutdown(wait=False)

    # --- what subclasses provide ---------------------------------------------------------

    @abstractmethod
    def _make_engine(self) -> "ModernLLM":
        """The distilabel 1.x LLM that generates, built from this LLM's fields."""

    def _generation_kwargs(self) -> Dict[str, Any]:
        """The 1.x generation kwargs this LLM's 0.x parameters stand for.

        Every field whose name is a generation kwarg of the wrapped 1.x LLM passes on
        under that name, unless it is ``None`` (the 1.x default then applies). A
        subclass adds what maps differently.
        """
        accepted = type(self._engine)._generation_signature().parameters
        return {
            name: getattr(self, name)
            for name in type(self).model_fields
            if name in accepted and getattr(self, name) is not None
        }

    def _load_engine(self, engine: "ModernLLM") -> None:
        engine.load()

    # --- public API ------------------------------------------------------------------------

    @property
    def engine(self) -> "ModernLLM":
        """The distilabel 1.x LLM that generates (not loaded until the first ``generate``)."""
        return self._engine

    @property
    def model_name(self) -> str:
        """The name of the model, as the wrapped 1.x LLM reports it."""
        return self._engine.model_name

    @property
    def thread_pool_executor(self) -> Optional[ThreadPoolExecutor]:
        """The threads generating when ``num_threads`` is set."""
        return self._executor

    @property
    def return_futures(self) -> bool:
        """Whether ``generate`` returns futures (when ``num_threads`` is set)."""
        return self._executor is not None

    def generate(
        self,
        inputs: List[Dict[str, Any]],
        num_generations: int = 1,
        progress_callback_func: Optional[ProgressCallback] = None,
    ) -> Union[List[List[LLMOutput]], List["Future[List[List[LLMOutput]]]"]]:
        """Generate ``num_generations`` answers for each input.

        Args:
            inputs: one dict per input, holding the task's arguments (``{"input": ...}``
                for text generation tasks).
            num_generations: how many answers to generate for each input.
            progress_callback_func: called with ``advance=<generations done>`` as
                generations finish.

        Returns:
            Per input, the list of its ``LLMOutput``; with ``num_threads``, one future per
            input instead, whose result is ``[[LLMOutput, ...]]`` (that one input's list).

        Raises:
            DistilabelUserError: an input is not a dict or lacks an argument the task needs.
        """
        prompts = self._generate_prompts(inputs)
        if self._executor is None:
            outputs = self._generate_from_prompts(prompts, num_generations)
            if progress_callback_func is not None:
                progress_callback_func(advance=num_generations * len(prompts))
            return outputs
        futures = []
        for prompt in prompts:
            future = self._executor.submit(self._generate_from_prompts, [prompt], num_generations)
            if progress_callback_func is not None:
                future.add_done_callback(lambda _, callback=progress_callback_func: callback(advance=num_generations))
            futures.append(future)
        return futures

    # --- prompts -------------------------------------------------------------------------

    def _generate_prompts(self, inputs: List[Dict[str, Any]]) -> List[Any]:
        """The prompt sent for each input, formatted for the model."""
        needed = list(getattr(self.task, "input_args_names", []) or [])
        prompts = []
        for input in inputs:
            if not isinstance(input, Mapping):
                raise DistilabelUserError(
                    f"{type(self).__name__}.generate takes a list of dicts with the task's arguments"
                    f" ({', '.join(needed) or 'see the task'}); got an item of type {type(input).__name__}."
                )
            missing = [name for name in needed if name not in input]
            if missing:
                raise DistilabelUserError(
                    f"{type(self.task).__name__} needs the input key(s) {missing}; an input has only {sorted(input)}."
                )
            prompts.append(self._format(self.task.generate_prompt(**input)))
        return prompts

    def _format(self, prompt: Any) -> Any:
        if self.prompt_formatting_fn is not None:
            if not isinstance(prompt, Prompt):
                warn_user(
                    f"{type(self.task).__name__}.generate_prompt already formats its prompts, and"
                    " `prompt_formatting_fn` formats them again."
                )
            prompt = self.prompt_formatting_fn(prompt)
        elif isinstance(prompt, Prompt):
            format = self.prompt_format or self._default_format
            if format is None:
                warn_user(
                    f"{type(self).__name__}: no `prompt_format` given, so prompts are the system prompt and the"
                    " user prompt joined by a line break (`prompt_format='default'`). Name the model's format,"
                    " e.g. prompt_format='chatml', for better answers."
                )
                format = "default"
            prompt = prompt.format_as(format)
        elif self.prompt_format is not None:
            warn_user(
                f"prompt_format={self.prompt_format!r} is ignored: {type(self.task).__name__}.generate_prompt"
                " returns prompts it already formatted."
            )
        return _checked_prompt(prompt)

    # --- generation ----------------------------------------------------------------------

    def _engine_ready(self) -> "ModernLLM":
        if not self._engine_loaded:
            with self._load_lock:
                if not self._engine_loaded:
                    self._load_engine(self._engine)
                    self._engine_loaded = True
        return self._engine

    def _generate_from_prompts(self, prompts: List[Any], num_generations: int) -> List[List[LLMOutput]]:
        engine = self._engine_ready()
        outputs = engine.generate_outputs(prompts, num_generations=num_generations, **self._generation_kwargs())
        return [self._llm_outputs(prompt, output) for prompt, output in zip(prompts, outputs, strict=True)]

    def _llm_outputs(self, prompt: Any, output: "GenerateOutput") -> List[LLMOutput]:
        generations = list(output.get("generations") or [])
        errors = list(output.get("errors") or [])
        model_name = self.model_name
        results = []
        for index, text in enumerate(generations):
            item = LLMOutput(model_name=model_name, prompt_used=prompt, raw_output=text, parsed_output=None)
            if text is None:
                item["error"] = (errors[index] if index < len(errors) else None) or "the model returned no answer"
            else:
                try:
                    item["parsed_output"] = self.task.parse_output(text.strip())
                except Exception as error:  # a malformed answer fails only its own parse
                    item["error"] = f"{type(self.task).__name__}.parse_output could not read the answer: {describe_error(error)}"
                    _logger.warning("%s", item["error"])
            results.append(item)
        return results


def _checked_prompt(prompt: Any) -> Union[str, List[Dict[str, Any]]]:
    """A prompt the 1.x LLMs take: a string, or a conversation of role/content dicts."""
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, list) and prompt and all(isinstance(m, Mapping) and "role" in m and "content" in m for m in prompt):
        return [dict(message) for message in prompt]
    raise DistilabelUserError(
        f"A prompt must be a string or a list of {{'role', 'content'}} messages; got {type(prompt).__name__}:"
        f" {prompt!r:.200}. Check the task's `generate_prompt` or the `prompt_formatting_fn`."
    )


__all__ = ["LLM", "LLMOutput"]
