"""What a pipeline is, apart from how it runs: its steps, validation, parameters, dumps.

The engine that runs it: ``local.py`` (``Pipeline.run``) and ``scheduler.py``.
"""

import contextvars
import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Set, Union

import yaml
from pydantic import ValidationError
from typing_extensions import Unpack

from distilabel import __version__
from distilabel.errors import DistilabelUserError
from distilabel.mixins.requirements import RequirementsMixin
from distilabel.pipeline.dag import DAG
from distilabel.pipeline.routing_batch_function import RoutingBatchFunction, routing_from_dump
from distilabel.pipeline.run_lock import RunLock
from distilabel.pipeline.signature import pipeline_signature, step_signatures
from distilabel.utils.ignored import warn_ignored
from distilabel.utils.names import unknown_name_error
from distilabel.utils.serialization import (
    TYPE_INFO_KEY,
    RebuildOptions,
    _Serializable,
    check_trust_remote_code,
    read_json_file,
    read_yaml_file,
    resolve_class,
    type_info,
)
from distilabel.utils.unicode import clean_value

if TYPE_CHECKING:
    from distilabel.pipeline.load_stages import LoadStages
    from distilabel.steps.base import _Step
    from distilabel.typing.pipeline import InputDataset

_CURRENT: contextvars.ContextVar[Optional["BasePipeline"]] = contextvars.ContextVar(
    "distilabel_pipeline", default=None
)
CACHE_DIR_ENV_VAR = "DISTILABEL_CACHE_DIR"

logger = logging.getLogger("distilabel.pipeline")


class MissingRequirementsError(DistilabelUserError, ModuleNotFoundError):
    """A requirement of the pipeline or of one of its steps is not installed (a ``ModuleNotFoundError``, as in 1.5)."""


def current_pipeline() -> Optional["BasePipeline"]:
    """The pipeline whose ``with`` block is open, if any."""
    return _CURRENT.get()


def default_cache_dir() -> Path:
    env = os.environ.get(CACHE_DIR_ENV_VAR)
    return Path(env) if env else Path.home() / ".cache" / "distilabel" / "pipelines"


class BasePipeline(RequirementsMixin):
    """A named graph of steps, built inside a ``with`` block.

    Args:
        name: the pipeline's name; also names its folder in the cache, so like a step's
            name it may only hold letters, digits, ``_`` and ``-``.
        description: what the pipeline does (written in the dataset card).
        cache_dir: where runs keep their rows and logs; defaults to
            ``$DISTILABEL_CACHE_DIR`` or ``~/.cache/distilabel/pipelines``.
        enable_metadata: keep the ``distilabel_metadata`` column in the output.
        requirements: pip requirements the pipeline needs (recorded in dumps).
    """

    # Whether the engine honours ``StepResources(cpus/gpus/memory/resources)`` (``RayPipeline``).
    _uses_step_resources = False

    def __init__(
        self,
        name: str,
        description: Optional[str] = None,
        cache_dir: Optional[Union[str, os.PathLike]] = None,
        enable_metadata: bool = False,
        requirements: Optional[List[str]] = None,
    ) -> None:
        self.name = _check_pipeline_name(name)
        self.description = description
        self._cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        self._enable_metadata = enable_metadata
        self.requirements = list(requirements or [])  # RequirementsMixin: also the steps'
        self.dag = DAG()
        self.routing_batch_functions: Dict[str, RoutingBatchFunction] = {}
        self._token: Optional[contextvars.Token] = None
        self._step_signatures: Dict[str, str] = {}
        self.last_run_summary: Optional[Dict[str, Any]] = None
        self._run_lock: Optional[RunLock] = None

    # --- building -------------------------------------------------------------------------------

    def __enter__(self) -> "BasePipeline":
        self._token = _CURRENT.set(self)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self._token is not None:
            _CURRENT.reset(self._token)
            self._token = None

    def add_step(self, step: "_Step") -> None:
        self.dag.add_step(step)
        step.pipeline = self

    def set_routing_batch_function(self, step_name: str, function: RoutingBatchFunction) -> None:
        if step_name in self.routing_batch_functions and self.routing_batch_functions[step_name] is not function:
            raise DistilabelUserError(f"Step {step_name!r} already has a routing batch function.")
        self.routing_batch_functions[step_name] = function

    @property
    def signature(self) -> str:
        """A hash of what decides the pipeline's output (see ``pipeline/signature.py``); names the run's folder."""
        return pipeline_signature(self._dump_graph(), self.dag.topological_order())

    @property
    def run_dir(self) -> Path:
        """Where a run of this pipeline keeps its rows, ``pipeline.yaml`` and log."""
        return self._cache_dir / self.name / self.signature[:16]

    @property
    def cache_root(self) -> Path:
        """The folder of every run of this pipeline, and of its response cache.

        The response cache lives here, outside the run folders, so that a changed
        pipeline (another run folder) still finds the responses of its unchanged steps.
        """
        return self._cache_dir / self.name

    def _prepare_run_dir(self, order: List[str], suffix: str = "") -> Path:
        """Create the run's folder and write ``pipeline.yaml``, dumping the pipeline once.

        Also computes each step's signature (``self._step_signatures``), which says
        whether the rows a previous run stored for a step may be reused.

        Before writing anything it takes the folder's lock (``run_lock.py``): another
        run of the same folder stops here. The caller gets it with ``_take_run_lock()``
        and releases it when the run is over.
        """
        data = self.dump()
        graph = data["pipeline"]
        self._step_signatures = step_signatures(graph, order)
        run_dir = self.cache_root / pipeline_signature(graph, order, self._step_signatures)[:16]
        if suffix:
            run_dir = run_dir / suffix
        run_dir.mkdir(parents=True, exist_ok=True)
        lock = RunLock(run_dir)
        try:
            _write_yaml(run_dir / "pipeline.yaml", data)
        except BaseException:
            lock.release()
            raise
        self._run_lock = lock
        from distilabel.constants import STEPS_ARTIFACTS_PATH

        for step in self.dag.steps.values():
            step.set_pipeline_artifacts_path(run_dir / STEPS_ARTIFACTS_PATH)
        return run_dir

    def _take_run_lock(self) -> Optional[RunLock]:
        """The lock ``_prepare_run_dir`` took, handed to the caller, who releases it."""
        lock, self._run_lock = self._run_lock, None
        return lock

    def _write_dump(self, run_dir: Path) -> None:
        """Write ``pipeline.yaml`` again (e.g. once an LLM holds its offline batch jobs' ids)."""
        _write_yaml(run_dir / "pipeline.yaml", self.dump())

    # --- parameters and validation ----------------------------------------------------------------

    def _apply_parameters(self, parameters: Optional[Dict[str, Dict[str, Any]]]) -> None:
        for step_name, step_parameters in (parameters or {}).items():
            if step_name not in self.dag.steps:
                raise unknown_name_error("step", step_name, self.dag.steps, f"pipeline {self.name!r} parameters")
            if not isinstance(step_parameters, dict):
                raise DistilabelUserError(
                    f"Parameters for step {step_name!r} must be a dict of runtime parameters,"
                    f" got {type(step_parameters).__name__}."
                )
            try:
                self.dag.get(step_name).set_runtime_parameters(step_parameters)
            except ValidationError as error:
                # A value rejected by a field validator: keep its message, name the step.
                reasons = "; ".join(
                    f"{'.'.join(str(p) for p in item['loc']) or '?'}: {item['msg']}" for item in error.errors()
                )
                raise DistilabelUserError(f"Invalid runtime parameter for step {step_name!r}: {reasons}") from None

    def _gather_requirements(self) -> List[str]:
        return [requirement for step in self.dag.steps.values() for requirement in step.requirements]

    def _check_requirements(self) -> None:
        """Refuse to run while a requirement of the pipeline or of a step is not installed (as distilabel 1.5)."""
        missing = self.requirements_to_install()
        if missing:
            listed = "\n".join(missing)
            raise MissingRequirementsError(f"Please install the following requirements to run the pipeline:\n{listed}")

    def validate(self) -> List[str]:
        """Check the pipeline before anything runs; returns the topological order.

        Raises:
            DistilabelUserError: a cycle, a root that is not a generator, a column a
                step needs that nothing upstream writes, a required runtime parameter
                with no value, or a mapping naming a column the step does not have.
        """
        if not self.dag.steps:
            raise DistilabelUserError(f"Pipeline {self.name!r} has no steps.")
        self._check_requirements()
        order = self.dag.topological_order()
        for name in self.dag.roots:
            step = self.dag.get(name)
            if not step.is_generator:
                raise DistilabelUserError(
                    f"Step {name!r} has no upstream step but is not a generator step: connect a generator"
                    f" (e.g. LoadDataFromDicts) to it, or pass `dataset=` to `Pipeline.run`."
                )
        for name in order:
            step = self.dag.get(name)
            if step.is_generator and self.dag.predecessors(name):
                raise DistilabelUserError(f"Generator step {name!r} cannot receive rows from other steps.")
            step.verify_mappings()
            _check_required_parameters(step, step, [])
        self._check_columns(order)
        return order

    def _check_columns(self, order: List[str]) -> None:
        # The columns each step's output rows carry; None when unknown (e.g. a dataset
        # read at run time), which turns the checks off downstream of it.
        available: Dict[str, Optional[Set[str]]] = {}
        for name in order:
            step = self.dag.get(name)
            outputs = {step.output_mappings.get(c, c) for c in step.get_outputs()}
            predecessors = self.dag.predecessors(name)
            if step.is_generator:
                available[name] = outputs or None
                continue
            incoming: Optional[Set[str]] = set()
            for predecessor in predecessors:
                columns = available[predecessor]
                incoming = None if columns is None or incoming is None else incoming | columns
            if incoming is not None:
                for column, required in step.get_inputs().items():
                    data_column = step.input_mappings.get(column, column)
                    if required and data_column not in incoming:
                        mapped = f" (mapped from {data_column!r})" if data_column != column else ""
                        raise DistilabelUserError(
                            f"Step {name!r} needs the input column {column!r}{mapped}, but no upstream step"
                            f" produces it. Upstream steps {predecessors} produce: {sorted(incoming)}."
                            " Use `input_mappings` to read it from another column."
                        )
            if step._replaces_columns:
                available[name] = outputs
            else:
                available[name] = None if incoming is None else incoming | outputs

    def _warn_ignored_parameters(
        self, load_groups: Any = None, storage_parameters: Any = None, use_fs_to_pass_data: bool = False
    ) -> None:
        """Warn (once each) about ``run()`` arguments and step resources that change nothing here.

        ``load_groups`` is used (``Pipeline.run``); the parameter stays for callers that pass it.
        """
        if storage_parameters is not None:
            warn_ignored(
                "Pipeline.run(storage_parameters=...)",
                f"each step's rows are stored in the run folder under cache_dir ({self._cache_dir})",
                4,
            )
        if use_fs_to_pass_data:
            warn_ignored(
                "Pipeline.run(use_fs_to_pass_data=True)",
                "rows pass between steps in memory (each step also writes its rows to the run folder)",
                4,
            )
        for step in self.dag.steps.values() if not self._uses_step_resources else ():
            for field in ("cpus", "gpus", "memory", "resources"):
                if getattr(step.resources, field, None) is not None:
                    warn_ignored(
                        f"StepResources({field}=...)",
                        "every step runs in this process; only `replicas` (batches processed at once) is used",
                        4,
                    )

    def _with_dataset(self, dataset: "InputDataset", batch_size: int) -> None:
        """Feed ``dataset`` to every root that is not a generator."""
        from distilabel.steps.generators.data import make_generator_step

        roots = [name for name in self.dag.roots if not self.dag.get(name).is_generator]
        if not roots:
            return
        token = _CURRENT.set(self)
        try:
            generator = make_generator_step(dataset, batch_size=batch_size)
        finally:
            _CURRENT.reset(token)
        for name in roots:
            self.dag.add_edge(generator.name, name)  # type: ignore[arg-type]

    # --- dumps --------------------------------------------------------------------------------

    def _dump_graph(self) -> Dict[str, Any]:
        return {
            "steps": [{"step": step.dump(), "name": name} for name, step in self.dag.steps.items()],
            "connections": [{"from": name, "to": self.dag.successors(name)} for name in self.dag.steps],
            "routing_batch_functions": [
                {"step": name, "routing_batch_function": function.dump()}
                for name, function in self.routing_batch_functions.items()
            ],
        }

    def dump(self, **kwargs: Any) -> Dict[str, Any]:
        """The pipeline as a dict: steps, connections, routing; loadable with ``from_dict``."""
        return {
            "distilabel": {"version": __version__},
            "pipeline": {
                "name": self.name,
                "description": self.description,
                **self._dump_graph(),
                TYPE_INFO_KEY: type_info(type(self)),
            },
            "requirements": self.requirements,
        }

    def save(self, path: Union[str, os.PathLike], format: str = "yaml") -> None:
        """Write ``dump()`` as YAML (or JSON)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = self.dump()
        if format == "json" or path.suffix == ".json":
            path.write_text(json.dumps(data, indent=2, default=str))
        else:
            _write_yaml(path, data)

    @classmethod
    def from_dict(
        cls, data: Dict[str, Any], *, allowed_modules: Iterable[str] = (), allow_trust_remote_code: bool = False
    ) -> "BasePipeline":
        """Rebuild a pipeline from ``dump()``'s output (classes only from allowed modules).

        Args:
            data: the dump.
            allowed_modules: modules, besides ``distilabel``, whose classes the dump may use.
            allow_trust_remote_code: let the dump set ``trust_remote_code: true``, which runs
                code from the model's folder (also ``DISTILABEL_ALLOW_TRUST_REMOTE_CODE=1``).

        Raises:
            DistilabelUserError: a class outside the allowed modules, an invalid pipeline
                name, or ``trust_remote_code`` without consent.
        """
        from distilabel.steps.base import _Step
        from distilabel.utils.serialization import _allowed_modules

        if not isinstance(data, dict):
            raise DistilabelUserError(f"A pipeline dump is a mapping, not {type(data).__name__}.")
        check_trust_remote_code(data, allow_trust_remote_code, source="The pipeline")
        body = data.get("pipeline", data)
        allowed = _allowed_modules(allowed_modules)
        target = cls
        if isinstance(body.get(TYPE_INFO_KEY), dict):
            target = resolve_class(body[TYPE_INFO_KEY], allowed, expected=BasePipeline)
        pipeline = target(
            name=body["name"], description=body.get("description"), requirements=data.get("requirements")
        )
        with pipeline:
            for entry in body.get("steps", []):
                step_data = dict(entry["step"])
                step_data.setdefault("name", entry.get("name"))
                _Serializable._from_dump(step_data, allowed)
            for connection in body.get("connections", []):
                for target_name in connection.get("to", []):
                    pipeline.dag.add_edge(connection["from"], target_name)
            for entry in body.get("routing_batch_functions", []):
                function = routing_from_dump(entry)
                function.step = pipeline.dag.get(entry["step"])
                pipeline.set_routing_batch_function(entry["step"], function)
        if not all(isinstance(step, _Step) for step in pipeline.dag.steps.values()):
            raise DistilabelUserError("The file describes something that is not a step.")
        return pipeline

    @classmethod
    def from_yaml(cls, path: Union[str, os.PathLike], **options: Unpack[RebuildOptions]) -> "BasePipeline":
        """Rebuild a pipeline from a ``pipeline.yaml`` (bounded, safe YAML; see ``from_dict``)."""
        return cls.from_dict(read_yaml_file(path), **options)

    @classmethod
    def from_json(cls, path: Union[str, os.PathLike], **options: Unpack[RebuildOptions]) -> "BasePipeline":
        """Rebuild a pipeline from a JSON dump (see ``from_dict``)."""
        return cls.from_dict(read_json_file(path), **options)

    @classmethod
    def from_file(cls, path: Union[str, os.PathLike], **options: Unpack[RebuildOptions]) -> "BasePipeline":
        """``from_json`` for a ``.json`` file, else ``from_yaml``."""
        load = cls.from_json if str(path).endswith(".json") else cls.from_yaml
        return load(path, **options)

    def get_runtime_parameters_info(self) -> Dict[str, Any]:
        """Each step's runtime parameters, with descriptions (what ``distilabel pipeline info`` shows)."""
        return {name: step.get_runtime_parameters_info() for name, step in self.dag.steps.items()}

    def get_load_stages(self, load_groups: Any = None) -> "LoadStages":
        """The stages in which distilabel 1.5 would load the steps, and each stage's last steps.

        Global steps and ``load_groups`` (lists of steps or step names, or
        ``"sequential_step_execution"``) make stages of their own (see
        ``pipeline/load_stages.py``). Given ``load_groups``, ``run`` loads the steps in
        these stages; without them, it loads every step at the start (one stage).
        """
        from distilabel.pipeline.load_stages import get_load_stages

        return get_load_stages(self, load_groups)

    def draw(
        self,
        path: Optional[Union[str, os.PathLike]] = "pipeline.png",
        top_to_bottom: bool = False,
        show_edge_labels: bool = True,
    ) -> Path:
        """Write the pipeline as a Mermaid flowchart and return the file's path (nothing is downloaded).

        distilabel 1.5 sent the chart to mermaid.ink for a PNG; this writes the Mermaid
        text, which GitHub, Jupyter and most editors render. Given an image path
        (``.png``, ``.jpg``, ``.svg``: 1.5's default ``pipeline.png``), the text goes to
        the same name with ``.mmd``, with a warning.

        Args:
            path: the file to write.
            top_to_bottom: draw top to bottom instead of left to right.
            show_edge_labels: label each arrow with the columns it carries.
        """
        import warnings

        from distilabel.pipeline.draw import pipeline_to_mermaid

        target = Path(path if path is not None else "pipeline.mmd")
        if target.suffix.lower() in (".png", ".jpg", ".jpeg", ".svg", ".webp"):
            warnings.warn(
                f"pipeline.draw() writes a Mermaid chart, not an image (rendering one needs a network"
                f" service): writing {target.with_suffix('.mmd')} instead of {target}.",
                UserWarning,
                stacklevel=2,
            )
            target = target.with_suffix(".mmd")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(pipeline_to_mermaid(self, top_to_bottom=top_to_bottom, show_edge_labels=show_edge_labels))
        return target


_YAML_MAX_BYTES = 1_000_000


def _check_pipeline_name(name: Any) -> str:
    """The name names a folder in the cache: ``../x`` or ``/tmp/x`` must not write outside it."""
    from distilabel.steps.base import _NAME_PATTERN

    if not isinstance(name, str) or not _NAME_PATTERN.fullmatch(name):
        raise DistilabelUserError(
            f"Invalid pipeline name {name!r}: it names the pipeline's folder in the cache, so it may only hold"
            " letters, digits, '_' and '-' (like a step name), e.g. 'text-generation-pipeline'."
        )
    return name


def _write_yaml(path: Path, data: Dict[str, Any]) -> None:
    """Write ``data`` as YAML; a large dump (e.g. a pipeline holding its data) is written
    as JSON, which is valid YAML and much faster to write and read."""
    text = json.dumps(data, default=str)
    if len(text) > _YAML_MAX_BYTES:
        path.write_text(text)
        return
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    with open(path, "w") as file:
        # clean_value: half an emoji in the data (a lone surrogate) cannot be written as UTF-8.
        yaml.dump(clean_value(json.loads(text)), file, Dumper=dumper, sort_keys=False, allow_unicode=True)


def _check_required_parameters(step: "_Step", component: Any, path: List[str]) -> None:
    from distilabel.mixins.runtime_parameters import RuntimeParametersMixin

    for name, optional in component.runtime_parameters_names.items():
        value = getattr(component, name, None)
        if isinstance(optional, dict):
            if isinstance(value, RuntimeParametersMixin):
                _check_required_parameters(step, value, [*path, name])
            continue
        if not optional and value is None:
            dotted = ".".join([*path, name])
            raise DistilabelUserError(
                f"Step {step.name!r} needs a value for the runtime parameter {dotted!r}: pass it with"
                f" `pipeline.run(parameters={{{step.name!r}: {_nested_example(path, name)}}})`."
            )


def _nested_example(path: List[str], name: str) -> str:
    text = f"{{{name!r}: ...}}"
    for part in reversed(path):
        text = f"{{{part!r}: {text}}}"
    return text
