"""Steps: the units a pipeline chains together.

A step reads rows (dicts) and yields rows. ``Step`` handles batches of
``input_batch_size`` rows, ``GeneratorStep`` produces the rows a pipeline starts
from, ``GlobalStep`` sees every row at once. Steps are connected with ``>>``
inside a ``with Pipeline(...)`` block; the pipeline's engine decides where and
when ``process`` runs.
"""

import inspect
import json
import logging
import re
from abc import ABC, abstractmethod
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Any,
    Awaitable,
    Callable,
    ClassVar,
    Dict,
    Iterator,
    List,
    Optional,
    Sequence,
    Tuple,
    Union,
    overload,
)

from pydantic import ConfigDict, Field, PositiveInt, PrivateAttr, field_validator
from typing_extensions import Annotated

from distilabel.errors import DistilabelNotImplementedError, DistilabelUserError
from distilabel.mixins.requirements import RequirementsMixin
from distilabel.mixins.runtime_parameters import RuntimeParameter, RuntimeParametersMixin
from distilabel.mixins.signature import SignatureMixin
from distilabel.utils.serialization import COMPONENT_CONFIG, _Serializable

if TYPE_CHECKING:
    from distilabel.models.llms.base import LLM
    from distilabel.pipeline.base import BasePipeline
    from distilabel.pipeline.routing_batch_function import RoutingBatchFunction
    from distilabel.typing.steps import GeneratorStepOutput, StepColumns, StepOutput

StepInput = Annotated[List[Dict[str, Any]], "StepInput"]
"""The rows a step receives in ``process``: a list of dicts."""

DISTILABEL_METADATA_KEY = "distilabel_metadata"
_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_-]+$")


# distilabel 1.5's rule: an underscore before every capital but the first, so
# ``CLAIR`` is ``c_l_a_i_r`` and ``FormatTextGenerationSFT`` is
# ``format_text_generation_s_f_t``. Users' ``parameters={...}`` keys and 1.5 dumps
# name steps this way, so the default names must be the same.
_CAPITAL = re.compile(r"(?<!^)(?=[A-Z])")


def camel_to_snake(name: str) -> str:
    """A class name as distilabel 1.5 writes it in default step names (``TextGeneration`` -> ``text_generation``)."""
    return _CAPITAL.sub("_", name).lower()


def _infer_step_name(step_cls_name: str, pipeline: Optional["BasePipeline"] = None) -> str:
    """The default name of a step of class ``step_cls_name``: ``<snake_case>_<n>``.

    ``n`` is the first number from 0 that no step of ``pipeline`` has taken yet, as in
    distilabel 1.5 (``text_generation_0``, then ``text_generation_1``, ...).
    """
    base = camel_to_snake(step_cls_name)
    index = 0
    if pipeline is not None:
        while f"{base}_{index}" in pipeline.dag.steps:
            index += 1
    return f"{base}_{index}"


class StepResources(RuntimeParametersMixin, _Serializable):
    """What a step needs to run.

    Attributes:
        replicas: how many copies of the step process batches at the same time.
        cpus: CPUs per replica (the local engine ignores it, with a warning).
        gpus: GPUs per replica (the local engine ignores it, with a warning).
        memory: memory in bytes per replica (the local engine ignores it, with a warning).
        resources: custom resources per replica (the local engine ignores it, with a warning).
    """

    model_config = ConfigDict(extra="forbid")

    replicas: RuntimeParameter[PositiveInt] = Field(default=1, description="The number of replicas for the step.")
    cpus: Optional[RuntimeParameter[PositiveInt]] = Field(default=None, description="CPUs assigned to each replica.")
    gpus: Optional[RuntimeParameter[PositiveInt]] = Field(default=None, description="GPUs assigned to each replica.")
    memory: Optional[RuntimeParameter[PositiveInt]] = Field(default=None, description="Memory in bytes per replica.")
    resources: Optional[RuntimeParameter[Dict[str, int]]] = Field(
        default=None, description="Custom resources assigned to each replica."
    )


class _Step(RuntimeParametersMixin, RequirementsMixin, SignatureMixin, _Serializable, ABC):
    """What every step shares: a name, its columns, mappings, connections.

    Attributes:
        name: unique within the pipeline; inferred from the class name when not given.
        resources: replicas and hardware for the step.
        input_mappings: the step's input column names mapped to the dataset's column
            names, e.g. ``{"instruction": "prompt"}`` reads ``prompt`` as ``instruction``.
        output_mappings: the step's output column names mapped to the names to write.
        use_cache: whether finished work of this step may be reused by a later run.
    """

    model_config = COMPONENT_CONFIG

    name: Optional[str] = Field(default=None, pattern=_NAME_PATTERN.pattern)
    resources: StepResources = Field(default_factory=StepResources)
    input_mappings: Dict[str, str] = Field(default_factory=dict)
    output_mappings: Dict[str, str] = Field(default_factory=dict)
    use_cache: bool = True

    _pipeline: Optional["BasePipeline"] = PrivateAttr(default=None)
    _pipeline_artifacts_path: Optional[Path] = PrivateAttr(default=None)
    _logger: logging.Logger = PrivateAttr(default=None)

    # Steps whose output keeps only their own ``outputs`` (e.g. KeepColumns); the
    # pipeline uses this to know which columns flow past them.
    _replaces_columns: ClassVar[bool] = False

    def __init__(self, **data: Any) -> None:
        # ``Step(pipeline=p)`` (distilabel 1.5) adds the step to ``p`` as if it were
        # created inside ``with p:``.
        pipeline = data.pop("pipeline", None)
        if pipeline is None:
            super().__init__(**data)
            return
        from distilabel.pipeline.base import _CURRENT, BasePipeline

        if not isinstance(pipeline, BasePipeline):
            raise DistilabelUserError(
                f"{type(self).__name__}(pipeline=...) takes a Pipeline, got {type(pipeline).__name__}."
            )
        token = _CURRENT.set(pipeline)
        try:
            super().__init__(**data)
        finally:
            _CURRENT.reset(token)

    def model_post_init(self, context: Any) -> None:
        super().model_post_init(context)
        from distilabel.pipeline.base import current_pipeline

        pipeline = current_pipeline()
        if self.name is None:
            self.name = _infer_step_name(type(self).__name__, pipeline)
        self._logger = logging.getLogger(f"distilabel.step.{self.name}")
        if pipeline is not None:
            pipeline.add_step(self)
            self._pipeline = pipeline

    @property
    def pipeline(self) -> Optional["BasePipeline"]:
        return self._pipeline

    @pipeline.setter
    def pipeline(self, pipeline: Optional["BasePipeline"]) -> None:
        self._pipeline = pipeline

    # --- kind -----------------------------------------------------------------------------

    @property
    def is_generator(self) -> bool:
        return isinstance(self, GeneratorStep)

    @property
    def is_global(self) -> bool:
        return isinstance(self, GlobalStep)

    @property
    def is_normal(self) -> bool:
        return not self.is_generator and not self.is_global

    # --- columns ----------------------------------------------------------------------------

    @property
    def inputs(self) -> "StepColumns":
        """The columns the step reads: a list, or names mapped to whether they are required."""
        return []

    @property
    def outputs(self) -> "StepColumns":
        """The columns the step writes: a list, or names mapped to whether they are always written."""
        return []

    def get_inputs(self) -> Dict[str, bool]:
        """``inputs`` as a dict of column name to whether it is required."""
        return _columns_dict(self.inputs)

    def get_outputs(self) -> Dict[str, bool]:
        """``outputs`` as a dict of column name to whether it is always written."""
        return _columns_dict(self.outputs)

    @field_validator("input_mappings", "output_mappings", mode="after")
    @classmethod
    def _check_mapping_values(cls, value: Dict[str, str]) -> Dict[str, str]:
        for key, column in value.items():
            if not isinstance(column, str) or not column:
                raise DistilabelUserError(f"Mapping {key!r} -> {column!r}: column names must be non-empty strings.")
        return value

    def verify_mappings(self) -> None:
        """Check that mappings only name the step's own inputs and outputs."""
        for kind, mapping, columns in (
            ("input_mappings", self.input_mappings, self.get_inputs()),
            ("output_mappings", self.output_mappings, self.get_outputs()),
        ):
            for key in mapping:
                if columns and key not in columns:
                    from distilabel.utils.names import unknown_name_error

                    raise unknown_name_error(f"column in {kind}", key, columns, f"step {self.name!r}")

    def _map_input_row(self, row: Dict[str, Any]) -> Dict[str, Any]:
        """A view of ``row`` with the dataset's columns renamed to the step's input names.

        ``row`` itself is left as it is: ``_map_output_row`` needs it to restore a
        column the view hid (a column already named like one of the step's inputs).
        """
        if not self.input_mappings:
            return row
        sources = {column: name for name, column in self.input_mappings.items() if column in row}
        mapped: Dict[str, Any] = {}
        for key, value in row.items():
            if key in sources:
                mapped[sources[key]] = value
            elif key not in mapped:
                mapped[key] = value
        # A mapped input wins over a column that already had the step's input name.
        for name, column in self.input_mappings.items():
            if column in row:
                mapped[name] = row[column]
        return mapped

    def _map_output_row(self, row: Dict[str, Any], source: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """Apply ``output_mappings`` and give mapped inputs back their dataset names.

        As in distilabel 1.5, a column ``c`` goes to ``output_mappings[c]``, else to
        ``input_mappings[c]``, else stays ``c``. When two columns land on the same
        name, the step's own output wins (``TextGeneration`` reading ``generation``
        as ``answer`` keeps the first ``generation`` and writes its own under its
        ``output_mappings`` name). ``source``, the input row the output row was made
        of, restores the columns the input view hid.
        """
        if not self.input_mappings and not self.output_mappings:
            return row
        outputs = self.get_outputs()
        result: Dict[str, Any] = {}
        from_output: Dict[str, bool] = {}
        for key, value in row.items():
            is_output = key in outputs or key in self.output_mappings
            if key in self.output_mappings:
                target = self.output_mappings[key]
            elif key in self.input_mappings and (source is None or self.input_mappings[key] in source):
                target = self.input_mappings[key]
            else:
                target = key
            if target in result and from_output[target] and not is_output:
                continue
            result[target] = value
            from_output[target] = is_output
        if source is not None:
            for name, column in self.input_mappings.items():
                if name != column and column in source and name in source and name not in result:
                    result[name] = source[name]
        return result

    # --- lifecycle ------------------------------------------------------------------------------

    def load(self) -> None:
        """Acquire what ``process`` needs (models, files). Called once before processing."""
        self._logger = logging.getLogger(f"distilabel.step.{self.name}")

    def unload(self) -> None:
        """Release what ``load`` acquired."""

    # --- artifacts ------------------------------------------------------------------------------

    def set_pipeline_artifacts_path(self, path: Path) -> None:
        """Set the folder where the steps of the running pipeline keep their artifacts (the pipeline does)."""
        self._pipeline_artifacts_path = Path(path)

    @property
    def artifacts_directory(self) -> Optional[Path]:
        """This step's artifacts folder (``<run folder>/steps_artifacts/<step name>``), once the pipeline set it."""
        if self._pipeline_artifacts_path is None:
            return None
        return self._pipeline_artifacts_path / str(self.name)

    def save_artifact(
        self,
        name: str,
        write_function: Callable[[Path], None],
        metadata: Optional[Dict[str, Any]] = None,
    ) -> None:
        """Save a file (or files) the step made besides its rows, e.g. a plot or a model.

        ``write_function`` is called with the artifact's own folder,
        ``<artifacts_directory>/<name>``, and writes into it; ``metadata`` is written
        beside it as ``metadata.json``. The distiset of the run carries the artifacts
        (``Distiset.artifacts_path``): ``save_to_disk`` and ``push_to_hub`` copy them
        under ``artifacts/``. Outside a pipeline run there is no folder: the artifact
        is not saved, with a warning.

        Args:
            name: the artifact's name (its folder's name).
            write_function: writes the artifact into the folder it receives.
            metadata: JSON-serializable facts about the artifact.
        """
        if self.artifacts_directory is None:
            self._logger.warning(
                f"Artifact {name!r} of step {self.name!r} is not saved: the step is not running in a pipeline,"
                " so it has no artifacts folder."
            )
            return
        if not name or Path(name).name != name or name in (".", ".."):
            raise DistilabelUserError(f"Invalid artifact name {name!r}: it names a folder, so it cannot hold '/'.")
        folder = self.artifacts_directory / name
        folder.mkdir(parents=True, exist_ok=True)
        self._logger.info(f"Saving artifact {name!r} of step {self.name!r} in {folder}")
        write_function(folder)
        (folder / "metadata.json").write_text(json.dumps(metadata or {}, indent=2, default=str))

    # --- connections ----------------------------------------------------------------------------

    def connect(
        self, *steps: "_Step", routing_batch_function: Optional["RoutingBatchFunction"] = None
    ) -> None:
        """Send this step's output to ``steps``, optionally through a routing batch function."""
        pipeline = self._require_pipeline()
        for step in steps:
            pipeline.dag.add_edge(self.name, step.name)  # type: ignore[arg-type]
        if routing_batch_function is not None:
            routing_batch_function.step = self
            pipeline.set_routing_batch_function(self.name, routing_batch_function)  # type: ignore[arg-type]

    def _require_pipeline(self) -> "BasePipeline":
        if self._pipeline is None:
            raise DistilabelUserError(
                f"Step {self.name!r} is not part of a pipeline: create it inside `with Pipeline(...):` to connect it."
            )
        return self._pipeline

    @overload
    def __rshift__(self, other: "RoutingBatchFunction") -> "RoutingBatchFunction": ...

    @overload
    def __rshift__(self, other: List["_Step"]) -> List["_Step"]: ...

    @overload
    def __rshift__(self, other: "_Step") -> "_Step": ...

    def __rshift__(self, other: Any) -> Any:
        """``a >> b`` connects ``a`` to ``b``; ``a >> [b, c]`` to both; ``a >> router`` routes."""
        from distilabel.pipeline.routing_batch_function import RoutingBatchFunction

        if isinstance(other, _Step):
            self.connect(other)
            return other
        if isinstance(other, list) and all(isinstance(s, _Step) for s in other):
            self.connect(*other)
            return other
        if isinstance(other, RoutingBatchFunction):
            other.step = self
            return other
        raise DistilabelUserError(
            f"Cannot connect step {self.name!r} to {type(other).__name__}: use a step, a list of steps"
            " or a routing batch function."
        )

    def __rrshift__(self, other: List["_Step"]) -> "_Step":
        """``[a, b] >> c`` connects both ``a`` and ``b`` to ``c``."""
        if not (isinstance(other, list) and all(isinstance(s, _Step) for s in other)):
            raise DistilabelUserError(f"Cannot connect {type(other).__name__} to step {self.name!r}.")
        for step in other:
            step.connect(self)
        return self

    # --- serialization -----------------------------------------------------------------------------

    def dump(self, **kwargs: Any) -> Dict[str, Any]:
        data = super().dump(**kwargs)
        data["runtime_parameters_info"] = self.get_runtime_parameters_info()
        return data

    @classmethod
    def _from_fields(cls, fields: Dict[str, Any]) -> "_Step":
        fields.pop("runtime_parameters_info", None)
        return cls(**fields)

    # --- processing ---------------------------------------------------------------------------------

    @property
    def process_parameters(self) -> List[inspect.Parameter]:
        return list(inspect.signature(self.process).parameters.values())  # type: ignore[attr-defined]

    @property
    def takes_inputs_per_predecessor(self) -> bool:
        """Whether ``process(*inputs)`` wants one list per upstream step (rows aligned)."""
        return any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in self.process_parameters)

    # --- what the engine asks a step -------------------------------------------------------------
    # The local engine schedules a step and manages its LLM through these answers
    # only, so it never needs to know which kind of LLM or task it runs.

    @property
    def runs_rows_async(self) -> bool:
        """Whether the engine hands this step its rows one at a time on its event loop
        (``row_processor``) instead of in batches to ``process`` in a worker thread."""
        return False

    @property
    def row_concurrency(self) -> int:
        """How many rows the engine keeps in flight at once for a step that ``runs_rows_async``."""
        return 1

    def row_processor(self) -> Callable[[Dict[str, Any]], Awaitable[List[Dict[str, Any]]]]:
        """What the engine awaits for each row of a step that ``runs_rows_async``: given a
        row as the upstream step wrote it, the rows made of it. Asked once per run."""
        raise DistilabelNotImplementedError(f"Step {self.name!r} does not process rows one at a time.")

    @property
    def llm_in_use(self) -> Optional["LLM"]:
        """The LLM this step sends its requests to (its ``llm``), or ``None``.

        A run attaches its response cache to it and counts its ``request_stats()`` in
        the run summary.
        """
        from distilabel.models.llms.base import LLM

        llm = getattr(self, "llm", None)
        return llm if isinstance(llm, LLM) else None

    @property
    def offline_batch_jobs(self) -> Tuple[str, ...]:
        """The ids of the offline batch jobs this step waits for (none without offline batch generation)."""
        llm = self.llm_in_use
        if llm is None or not llm.use_offline_batch_generation:
            return ()
        return tuple(llm.jobs_ids or ())

    def resume_offline_batch_jobs(self, jobs_ids: Sequence[str]) -> bool:
        """Wait for the offline batch jobs an earlier run created instead of creating new ones.

        Returns whether the step took them: not without offline batch generation, nor
        when its LLM already holds jobs of its own.
        """
        llm = self.llm_in_use
        if llm is None or not llm.use_offline_batch_generation or llm.jobs_ids:
            return False
        llm.jobs_ids = tuple(jobs_ids)
        return True

    async def aunload(self) -> None:
        """Release what the step made on the engine's event loop (an async LLM's client).

        The engine awaits it on that loop, before that loop ends, then calls ``unload``.
        """
        from distilabel.models.llms.base import AsyncLLM

        llm = self.llm_in_use
        if isinstance(llm, AsyncLLM):
            await llm.aclose()


def _check_batch_size(name: str, value: Any) -> Any:
    """Reject a batch size below 1 with a message that says what it is (before pydantic's own check)."""
    number = value
    if isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            return value  # pydantic reports the type
    if isinstance(number, (int, float)) and not isinstance(number, bool) and number < 1:
        raise ValueError(f"{name} is a number of rows per batch and must be at least 1, got {value!r}")
    return value


def _batch_size_validator(field: str) -> Any:
    """The before-validator of the batch size field ``field``, with ``_check_batch_size``'s message."""

    def check(cls: type, value: Any) -> Any:
        return _check_batch_size(field, value)

    return field_validator(field, mode="before")(classmethod(check))


def _columns_dict(columns: "StepColumns") -> Dict[str, bool]:
    if isinstance(columns, dict):
        return dict(columns)
    return dict.fromkeys(columns, True)


class Step(_Step, ABC):
    """A step that processes batches of ``input_batch_size`` rows.

    Subclasses implement ``process(self, inputs: StepInput) -> StepOutput`` (a
    generator yielding lists of rows), and declare ``inputs`` / ``outputs``.
    ``process(self, *inputs: StepInput)`` receives one list per upstream step, with
    the rows of the same input aligned.

    Attributes:
        input_batch_size: how many rows ``process`` receives at a time.
    """

    input_batch_size: RuntimeParameter[PositiveInt] = Field(
        default=50, description="The number of rows that will contain the batches processed by the step."
    )

    _check_input_batch_size = _batch_size_validator("input_batch_size")

    @abstractmethod
    def process(self, *inputs: StepInput) -> "StepOutput":
        """Process a batch of rows and yield the resulting rows."""

    def process_applying_mappings(self, *args: List[Dict[str, Any]]) -> "StepOutput":
        """``process`` with ``input_mappings`` / ``output_mappings`` applied around it."""
        if not self.input_mappings and not self.output_mappings:
            yield from self.process(*args)
            return
        inputs = [[self._map_input_row(row) for row in batch] for batch in args]
        # An output row is paired with the input it came from when a batch comes out
        # whole, one row per input (what almost every step does).
        sources = list(args[0]) if len(args) == 1 else None
        for batch in self.process(*inputs):
            paired = sources if sources is not None and len(batch) == len(sources) else None
            yield [self._map_output_row(row, paired[i] if paired else None) for i, row in enumerate(batch)]


class GeneratorStep(_Step, ABC):
    """A step that produces rows with no input: the root of a pipeline.

    Subclasses implement ``process(self, offset: int = 0) -> GeneratorStepOutput``
    yielding ``(rows, is_last_batch)``.

    Attributes:
        batch_size: how many rows each yielded batch holds.
    """

    batch_size: RuntimeParameter[PositiveInt] = Field(
        default=50, description="The number of rows each batch generated by the step will contain."
    )

    _check_batch_size_field = _batch_size_validator("batch_size")

    @abstractmethod
    def process(self, offset: int = 0) -> "GeneratorStepOutput":
        """Yield ``(rows, is_last_batch)``, starting after ``offset`` rows."""

    def process_applying_mappings(self, offset: int = 0) -> "GeneratorStepOutput":
        for batch, last in self.process(offset=offset):
            yield [self._map_output_row(row) for row in batch], last

    @property
    def total_rows(self) -> Optional[int]:
        """How many rows the generator will produce, when known (for progress)."""
        return None


class GlobalStep(Step, ABC):
    """A step that receives every row at once, in one call to ``process``."""

    @property
    def input_batch_size_is_global(self) -> bool:
        return True


def iter_batches(rows: List[Dict[str, Any]], size: int, offset: int = 0) -> Iterator[Tuple[List[Dict[str, Any]], bool]]:
    """Yield ``(batch, is_last)`` slices of ``rows`` of ``size`` rows from ``offset``."""
    if offset >= len(rows):
        yield [], True
        return
    for start in range(offset, len(rows), size):
        end = start + size
        yield rows[start:end], end >= len(rows)


StepType = Union[Step, GeneratorStep, GlobalStep]

__all__ = [
    "DISTILABEL_METADATA_KEY",
    "GeneratorStep",
    "GlobalStep",
    "Step",
    "StepInput",
    "StepResources",
    "StepType",
    "_Step",
    "iter_batches",
]
