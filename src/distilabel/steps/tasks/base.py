"""Tasks: steps that turn rows into prompts, ask an LLM, and turn the answers into columns.

A subclass implements ``format_input(row) -> ChatType`` and
``format_output(generation, row) -> dict`` and declares ``inputs`` / ``outputs``.
Everything else is here: calling the LLM (a batch at a time with ``process``, or
one row at a time with ``aprocess_row``, which the engine uses for async LLMs),
``num_generations`` and ``group_generations``, the ``model_name`` column, and
``distilabel_metadata`` with the raw input, raw output, token statistics and, for
a failed row, why it failed.
"""

import json
import random
import threading
from abc import ABC, abstractmethod
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, List, Optional, Union

from pydantic import Field, PositiveInt, PrivateAttr, SerializeAsAny, model_validator

from distilabel.errors import DistilabelError, DistilabelNotImplementedError, DistilabelUserError
from distilabel.exceptions import DistilabelOfflineBatchGenerationNotFinishedException
from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.models.image_generation.base import ImageGenerationModel, as_task_output
from distilabel.models.llms.base import LLM, AsyncLLM
from distilabel.models.llms.outputs import describe_error, failed_output
from distilabel.runtime.failures import permanent_flag
from distilabel.runtime.generation_progress import listening
from distilabel.steps.base import (
    DISTILABEL_METADATA_KEY,
    GeneratorStep,
    GlobalStep,
    Step,
    StepInput,
    _Step,
)

if TYPE_CHECKING:
    from distilabel.pipeline.progress import StepCounters
    from distilabel.typing import ChatType, FormattedInput, GenerateOutput
    from distilabel.typing.steps import StepOutput


_DRAWS = random.SystemRandom()
_DRAW_LOCK = threading.Lock()


class SampledChat(list):
    """A conversation asked for more than once where every ask must be a new sample.

    Magpie's bare pre-query (or one system prompt shared by many rows) and a fresh-start
    prompt of ``EvolInstructGenerator`` are the same request row after row. The
    response cache would answer every repeat with the first answer; the LLM adds
    ``cache_draw`` to the cache key of a ``SampledChat``, so each ask is its own request.
    It is a plain list of messages for everything else.
    """

    __slots__ = ("cache_draw",)

    def __init__(self, messages: Any = (), draw: int = 0) -> None:
        super().__init__(messages)
        self.cache_draw = draw


class _Task(_Step, ABC):
    """The LLM-calling part shared by ``Task``, ``GeneratorTask`` and ``GlobalTask``."""

    llm: SerializeAsAny[LLM]
    group_generations: bool = False
    add_raw_output: RuntimeParameter[bool] = Field(
        default=True, description="Whether to include the raw output of the LLM in `distilabel_metadata`."
    )
    add_raw_input: RuntimeParameter[bool] = Field(
        default=True, description="Whether to include the raw input of the LLM in `distilabel_metadata`."
    )
    num_generations: RuntimeParameter[PositiveInt] = Field(
        default=1, description="The number of generations to be produced per input."
    )
    use_default_structured_output: bool = False

    _counters: Optional["StepCounters"] = PrivateAttr(default=None)
    _draw_counts: Dict[str, int] = PrivateAttr(default_factory=dict)

    # --- what subclasses write -----------------------------------------------------------------

    @abstractmethod
    def format_input(self, input: Dict[str, Any]) -> "ChatType":
        """The conversation to send to the LLM for one row."""

    @abstractmethod
    def format_output(self, output: Optional[str], input: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """The output columns for one generation (``output`` is ``None`` when it failed)."""

    def get_structured_output(self) -> Optional[Dict[str, Any]]:
        """The structured output this task asks for by default (``use_default_structured_output``)."""
        return None

    # --- showing the prompt -----------------------------------------------------------------------

    def _sample_input(self) -> "ChatType":
        """The prompt for a row whose every input column is ``<PLACEHOLDER_<COLUMN>>`` (tasks whose
        inputs are not text override this)."""
        from distilabel.steps.tasks.prompt_preview import as_messages, sample_formatted_input

        return as_messages(sample_formatted_input(self.format_input, list(self.get_inputs())))

    def print(self, sample_input: Optional["ChatType"] = None) -> None:
        """Print the prompt this task sends to its LLM, one panel per message (with ``rich``).

        Args:
            sample_input: the conversation to show; by default the prompt for a row whose
                input columns hold placeholders such as ``<PLACEHOLDER_INSTRUCTION>``.

        Examples:
            >>> TextGeneration(llm=OpenAILLM(model="gpt-4o")).print()
        """
        from distilabel.steps.tasks.prompt_preview import as_messages, print_prompt

        print_prompt(type(self).__name__, as_messages(sample_input) if sample_input else self._sample_input())

    # --- lifecycle --------------------------------------------------------------------------------

    def load(self) -> None:
        super().load()  # type: ignore[misc]
        self.llm.load()

    def unload(self) -> None:
        self.llm.unload()
        super().unload()  # type: ignore[misc]

    @property
    def is_global(self) -> bool:
        # Offline batch generation sends every row in one batch job.
        return isinstance(self, GlobalStep) or self.llm.use_offline_batch_generation

    @property
    def is_normal(self) -> bool:
        return not self.is_generator and not self.is_global  # type: ignore[attr-defined]

    # --- calling the LLM ----------------------------------------------------------------------------

    def _format(self, row: Dict[str, Any]) -> "FormattedInput":
        chat = self.format_input(row)
        if self.use_default_structured_output and getattr(self.llm, "structured_output", None) is None:
            structured = self.get_structured_output()
            if structured is not None:
                return (chat, structured)  # type: ignore[return-value]
        return chat

    def process(self, inputs: StepInput) -> "StepOutput":  # type: ignore[override]
        """Generate for a batch of rows (blocking) and yield the rows with the output columns."""
        formatted: List[Any] = []
        outputs: List[Optional[GenerateOutput]] = []
        for row in inputs:
            try:
                formatted.append(self._format(row))
                outputs.append(None)
            except Exception as error:
                formatted.append(None)
                outputs.append(failed_output(self.num_generations, f"format_input failed: {describe_error(error)}"))
        to_send = [f for f, o in zip(formatted, outputs, strict=False) if o is None]
        if to_send:
            generated = iter(self._generate_batch(to_send))
            outputs = [o if o is not None else next(generated) for o in outputs]
        rows: List[Dict[str, Any]] = []
        for row, chat, output in zip(inputs, formatted, outputs, strict=False):
            rows.extend(self._rows_for(row, chat, output))  # type: ignore[arg-type]
        yield rows

    def _generate_batch(
        self, inputs: List["FormattedInput"], num_generations: Optional[int] = None
    ) -> List["GenerateOutput"]:
        num_generations = num_generations or self.num_generations
        # A blocking LLM reports each input it finishes, so the progress display moves mid-batch.
        batch = self._counters.batch_progress() if self._counters is not None else None
        try:
            with listening(batch.on_output) if batch is not None else nullcontext():
                return self.llm.generate_outputs(inputs=inputs, num_generations=num_generations)
        except (DistilabelError, DistilabelOfflineBatchGenerationNotFinishedException):
            raise
        except Exception as error:
            # A sync LLM failing a whole batch: every row keeps the reason.
            reason = describe_error(error)
            self._logger.warning("Generation failed for a batch of %d rows: %s", len(inputs), reason)  # type: ignore[attr-defined]
            return [failed_output(num_generations, reason) for _ in inputs]
        finally:
            if batch is not None:
                batch.settle()

    def _generate_and_account(
        self, inputs: List["FormattedInput"], num_generations: int = 1
    ) -> List["GenerateOutput"]:
        """Generate for ``inputs`` and count tokens and failures in the run summary.

        For tasks that call the LLM themselves, in several rounds (Magpie, the Evol
        family): a batch that fails gives each input ``None`` generations with the
        reason in ``errors``, instead of failing the step.
        """
        if not inputs:
            return []
        outputs = self._generate_batch(inputs, num_generations)
        for output in outputs:
            self._account(output.get("statistics") or {}, list(output.get("errors") or []))
        return outputs

    def _sampled(self, chats: List["ChatType"]) -> List["SampledChat"]:
        """``chats`` marked as new samples for the response cache (see ``SampledChat``).

        A generator task numbers the asks of each conversation from 0 in every
        ``process`` call, so a rerun replays them from the cache in the same order; a
        task fed by upstream rows cannot know which rows an earlier run finished, so its
        asks get random numbers and are never answered from the cache.
        """
        numbered = self.is_generator  # type: ignore[attr-defined]
        sampled = []
        with _DRAW_LOCK:
            for chat in chats:
                if numbered:
                    key = json.dumps(chat, sort_keys=True, default=str)
                    draw = self._draw_counts.get(key, 0)
                    self._draw_counts[key] = draw + 1
                else:
                    draw = _DRAWS.getrandbits(63)
                sampled.append(SampledChat(chat, draw))
        return sampled

    def _reset_draws(self) -> None:
        """Number the asks from 0 again (a generator task's ``process`` starts over)."""
        with _DRAW_LOCK:
            self._draw_counts.clear()

    async def aprocess_row(self, row: Dict[str, Any], generation_kwargs: Dict[str, Any]) -> List[Dict[str, Any]]:
        """Generate for one row on the running event loop (for async LLMs).

        Args:
            row: the row, as the upstream step wrote it (mappings are applied here).
            generation_kwargs: validated generation kwargs, defaults included.
        """
        mapped = self._map_input_row(row)  # type: ignore[attr-defined]
        try:
            chat: Any = self._format(mapped)
        except Exception as error:
            chat = None
            output = failed_output(self.num_generations, f"format_input failed: {describe_error(error)}")
        else:
            output = await self.llm.agenerate_row(chat, self.num_generations, **generation_kwargs)  # type: ignore[attr-defined]
        return [self._map_output_row(r, row) for r in self._rows_for(mapped, chat, output)]  # type: ignore[attr-defined]

    @property
    def row_concurrency(self) -> int:
        # The LLM limits its own requests inside ``agenerate_row``; twice that many rows in
        # flight keeps it busy while rows are being formatted and their answers parsed.
        return 2 * self.llm.max_concurrent_requests  # type: ignore[attr-defined]

    def row_processor(self) -> Callable[[Dict[str, Any]], Awaitable[List[Dict[str, Any]]]]:
        """``aprocess_row`` with the LLM's generation kwargs, validated once for the run."""
        kwargs = self.llm.validate_generation_kwargs(dict(self.llm.generation_kwargs or {}))

        async def process_row(row: Dict[str, Any]) -> List[Dict[str, Any]]:
            return await self.aprocess_row(row, kwargs)

        return process_row

    # --- building the output rows ---------------------------------------------------------------------

    def _empty_outputs(self) -> Dict[str, Any]:
        return {name: None for name in self.get_outputs() if name != "model_name"}  # type: ignore[attr-defined]

    def _format_one(self, generation: Optional[str], row: Dict[str, Any]) -> tuple:
        try:
            return {**self._empty_outputs(), **self.format_output(generation, row)}, None
        except Exception as error:
            return self._empty_outputs(), f"format_output failed: {describe_error(error)}; raw output: {str(generation)[:500]!r}"

    def _rows_for(self, row: Dict[str, Any], chat: Any, output: "GenerateOutput") -> List[Dict[str, Any]]:
        name = self.name  # type: ignore[attr-defined]
        generations = list(output.get("generations") or [])
        errors = list(output.get("errors") or [None] * len(generations))
        if len(generations) < self.num_generations:
            # Fewer answers than asked for (e.g. an HTTP 200 with no choices): the rest failed.
            errors += [None] * (len(generations) - len(errors))
            reason = f"the LLM returned {len(generations)} of the {self.num_generations} generations asked for"
            errors += [reason] * (self.num_generations - len(generations))
            generations += [None] * (self.num_generations - len(generations))
        statistics = output.get("statistics") or {}
        formatted = [self._format_one(g, row) for g in generations]
        errors = [e or fe for e, (_, fe) in zip(errors, formatted, strict=False)]
        self._account(statistics, errors)
        raw_input = chat[0] if isinstance(chat, tuple) else chat
        base_metadata = _upstream_metadata(row)

        def metadata(raw_output: Any, stats: Any, error: Any) -> Dict[str, Any]:
            meta = dict(base_metadata)
            if self.add_raw_output:
                meta[f"raw_output_{name}"] = raw_output
            if self.add_raw_input:
                meta[f"raw_input_{name}"] = raw_input
            meta[f"statistics_{name}"] = stats
            if error is not None and (not isinstance(error, list) or any(e is not None for e in error)):
                meta[f"error_{name}"] = error
                # Whether sending the row again would fail the same way (a plain rerun keeps it).
                meta[f"error_{name}_permanent"] = permanent_flag(error)
            return meta

        if self.group_generations:
            out = dict(row)
            for column in formatted[0][0] if formatted else self._empty_outputs():
                out[column] = [f.get(column) for f, _ in formatted]
            # One metadata dict per generation, aligned with the grouped columns (as in distilabel 1.5).
            out[DISTILABEL_METADATA_KEY] = [
                metadata(generation, _statistics_at(statistics, j, len(generations)), errors[j])
                for j, generation in enumerate(generations)
            ]
            out["model_name"] = self.llm.model_name
            return [out]
        rows = []
        for j, (generation, (columns, _)) in enumerate(zip(generations, formatted, strict=False)):
            out = {**row, **columns}
            out[DISTILABEL_METADATA_KEY] = metadata(generation, _statistics_at(statistics, j, len(generations)), errors[j])
            out["model_name"] = self.llm.model_name
            rows.append(out)
        return rows

    def _account(self, statistics: Dict[str, Any], errors: List[Optional[str]]) -> None:
        counters = self._counters
        if counters is None:
            return
        counters.input_tokens += _total(statistics.get("input_tokens"))
        counters.output_tokens += _total(statistics.get("output_tokens"))
        for error in errors:
            if error is not None:
                counters.record_error(error)


def _upstream_metadata(row: Dict[str, Any]) -> Dict[str, Any]:
    """The metadata earlier steps left in ``row``, to extend (a grouped step's list is not merged)."""
    value = row.get(DISTILABEL_METADATA_KEY)
    return dict(value) if isinstance(value, dict) else {}


def _total(value: Any) -> int:
    if isinstance(value, list):
        return sum(v for v in value if isinstance(v, int))
    return value if isinstance(value, int) else 0


def _statistics_at(statistics: Dict[str, Any], index: int, count: int) -> Dict[str, Any]:
    """The statistics of generation ``index`` (requests are one per generation or one for all)."""
    result = {}
    for key, value in statistics.items():
        if isinstance(value, list) and len(value) == count:
            result[key] = value[index]
        elif isinstance(value, list) and len(value) == 1:
            result[key] = value[0]
        else:
            result[key] = value
    return result


class Task(_Task, Step):
    """A step that asks an LLM for each row; subclasses say how rows become prompts and back.

    Attributes:
        llm: the LLM to generate with.
        group_generations: with ``num_generations > 1``, put the generations of a row
            in lists in one row instead of one row per generation.
        add_raw_output: keep the LLM's raw output in ``distilabel_metadata``.
        add_raw_input: keep the prompt sent to the LLM in ``distilabel_metadata``.
        num_generations: how many generations to make per row.
        use_default_structured_output: ask for the task's default structured output.
    """

    @property
    def runs_rows_async(self) -> bool:
        # Only with ``Task.process`` itself: a task that overrides it (Magpie, the Evol
        # family) calls its LLM its own way, in batches.
        return (
            self.is_normal
            and isinstance(self.llm, AsyncLLM)
            and not self.llm.use_offline_batch_generation
            and type(self).process is Task.process
        )


class GlobalTask(_Task, GlobalStep):
    """A task that receives every row at once."""


class GeneratorTask(_Task, GeneratorStep):
    """A task that makes rows from nothing but its LLM (e.g. generating instructions).

    Subclasses implement ``process(offset)`` (calling ``self._generate_and_account``
    or ``self.llm.generate_outputs``) and ``format_output``; the prompts are theirs
    to build, so ``format_input`` is optional.
    """

    def format_input(self, input: Dict[str, Any]) -> "ChatType":
        """Generator tasks build their own prompts in ``process``."""
        raise DistilabelNotImplementedError(f"{type(self).__name__} builds its prompts in `process`.")

    @abstractmethod
    def process(self, offset: int = 0) -> Any:  # type: ignore[override]
        """Yield ``(rows, is_last_batch)``."""


class ImageTask(_Task, Step):
    """A task whose model makes images: it takes an ``image_generation_model``, not an ``llm``.

    Subclasses implement ``format_input(row) -> str`` (the prompt) and
    ``format_output(output, row)``, where ``output`` is ``{"images": [base64 str]}``
    for one generated image, or ``None`` when it failed. Each image is a generation:
    ``num_generations`` images make that many rows (or lists, with
    ``group_generations``), with the prompt, the raw output and, for a failed image,
    the reason in ``distilabel_metadata``.

    Attributes:
        image_generation_model: the model that makes the images.
        group_generations: with ``num_generations > 1``, put a row's images in lists.
        add_raw_output: keep the model's output in ``distilabel_metadata``.
        add_raw_input: keep the prompt in ``distilabel_metadata``.
        num_generations: how many images to make per row.
    """

    # The image model, under the name the shared task machinery uses; not dumped.
    llm: Optional[SerializeAsAny[LLM]] = Field(default=None, exclude=True)
    image_generation_model: SerializeAsAny[ImageGenerationModel]

    @model_validator(mode="before")
    @classmethod
    def _model_is_not_an_llm(cls, data: Any) -> Any:
        # On assignment (``self.llm = ...`` below) pydantic passes the fields again: same object.
        if isinstance(data, dict) and data.get("llm") is not None and data["llm"] is not data.get("image_generation_model"):
            if data.get("image_generation_model") is None:
                raise DistilabelUserError(
                    f"{cls.__name__} takes its model as `image_generation_model=...`, not `llm=...`."
                )
            # distilabel 1.5 dumps carry the same model under both names.
            data = {key: value for key, value in data.items() if key != "llm"}
        return data

    def model_post_init(self, context: Any) -> None:
        self.llm = self.image_generation_model
        super().model_post_init(context)

    @abstractmethod
    def format_input(self, input: Dict[str, Any]) -> str:  # type: ignore[override]
        """The prompt for one row."""

    def _generate_batch(
        self, inputs: List["FormattedInput"], num_generations: Optional[int] = None
    ) -> List["GenerateOutput"]:
        count = num_generations or self.num_generations
        return [as_task_output(output, count) for output in super()._generate_batch(inputs, count)]  # type: ignore[misc]


def normalize_columns(columns: Union[str, List[str]]) -> List[str]:
    return [columns] if isinstance(columns, str) else list(columns)


__all__ = ["GeneratorTask", "GlobalTask", "ImageTask", "SampledChat", "Task", "normalize_columns"]
