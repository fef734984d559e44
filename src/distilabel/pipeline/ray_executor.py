"""The steps' work on Ray: each step's replicas are Ray actors spread over the cluster.

The driver keeps the scheduler (inboxes, row stores, resume, routing, counters):
only ``process`` and the rows of async tasks run in the actors, so finished rows are
on the driver's disk as soon as an actor returns them.

- A step gets ``resources.replicas`` actors, placed with Ray's ``SPREAD`` strategy
  (one per node while nodes last); ``StepResources(cpus/gpus/memory/resources)``
  become each actor's resource request (one CPU when ``cpus`` is not set). A vLLM
  step with ``tensor_parallel_size > 1`` gets a placement group of that many GPU
  bundles on one node instead.
- An actor rebuilds its step from the step's fields (``portable``), loads it once
  and keeps it loaded until its stage ends. A batch step's actor processes one
  batch at a time; an async task's actor takes small chunks of rows and answers
  them concurrently on its own event loop, with up to ``row_concurrency`` rows in
  flight per replica; the driver sends a chunk as soon as rows arrive, so rows keep
  streaming (a chunk waits for its slowest row, never for a whole batch).
- What the actors count (tokens, errors, the LLM's ``request_stats()``) comes back
  with every answer and is added to the driver's counters and LLM, so the run
  summary reads as on the local engine.
- Generator steps run on the driver (they read data; their rows have to come here).
- The response cache: each actor opens the run's cache (its path), so actors on the
  driver's machine, or on nodes that share its filesystem, share answers; on nodes
  without that filesystem each opens a cache of its own at the same path.
- A lost actor (its node died): its batch is sent again to another replica (Ray
  restarts the actor, on a node left, as resources allow); when no replica is left,
  the run stops with a message and the next run resumes from the stored rows.
"""

import asyncio
import contextlib
import logging
import os
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, AsyncIterator, Dict, Iterator, List, Optional, Tuple

from pydantic import BaseModel

from distilabel.errors import DistilabelUserError
from distilabel.pipeline.executors import RowProcessor, StepExecutor, collect_batch
from distilabel.pipeline.progress import StepCounters
from distilabel.utils.nested import map_leaves

if TYPE_CHECKING:
    from distilabel.steps.base import _Step

logger = logging.getLogger("distilabel.pipeline")

# Rows per call to an async task's actor, at most: small, so a slow answer holds back few others.
ROW_CHUNK = 8
# How long the rows of an async task wait for others to go in the same call.
ROW_GATHER_SECONDS = 0.005
# Times a batch is sent again after its actor was lost.
LOST_ACTOR_RETRIES = 3
_ADDITIVE_STATS = ("requests", "retries", "failed_inputs", "cache_hits", "cache_misses", "input_tokens", "output_tokens")


# --- steps across processes ----------------------------------------------------------------------


@dataclass
class Portable:
    """A pydantic component (a step, its LLM...) as its class and field values, for another process.

    The running state of a component (clients, locks, loaded models, the response
    cache) is not copied: the copy starts fresh, as a component does when it is made.
    """

    cls: type
    fields: Dict[str, Any]

    def build(self) -> Any:
        values = {name: _rebuild(value) for name, value in self.fields.items()}
        try:
            return self.cls(**values)
        except Exception:  # a field a validator would not take back as it stored it
            return self.cls.model_construct(**values)


def portable(value: Any) -> Any:
    """``value`` with every pydantic model in it made a ``Portable``."""
    return map_leaves(value, _portable_model)


def _portable_model(value: Any) -> Any:
    if not isinstance(value, BaseModel):
        return value
    names = type(value).model_fields
    return Portable(type(value), {name: portable(getattr(value, name)) for name in names if name in value.__dict__})


def _rebuild(value: Any) -> Any:
    return map_leaves(value, lambda item: item.build() if isinstance(item, Portable) else item)


# --- where an actor goes ---------------------------------------------------------------------------


def placement_bundles(step: "_Step") -> Optional[List[Dict[str, float]]]:
    """The placement group bundles a step needs: one GPU bundle per tensor-parallel worker of a vLLM step."""
    llm = getattr(step, "llm", None)
    if type(llm).__name__ != "vLLM":
        return None
    size = int((getattr(llm, "extra_kwargs", None) or {}).get("tensor_parallel_size", 1) or 1)
    if size <= 1:
        return None
    cpus = float(step.resources.cpus or 1)
    return [{"GPU": 1.0, "CPU": cpus}] + [{"GPU": 1.0} for _ in range(size - 1)]


def actor_options(step: "_Step", row_concurrency: int) -> Dict[str, Any]:
    """The options of one replica's actor: its resource request, placement and restarts."""
    resources = step.resources
    options: Dict[str, Any] = {
        "num_cpus": resources.cpus if resources.cpus is not None else 1,
        # A node lost: Ray makes the actor again elsewhere; the driver sends its batch again.
        "max_restarts": -1,
        "max_task_retries": 0,
        "max_concurrency": max(1, row_concurrency),
        "scheduling_strategy": "SPREAD",
    }
    if resources.gpus is not None:
        options["num_gpus"] = resources.gpus
    if resources.memory is not None:
        options["memory"] = resources.memory
    if resources.resources:
        options["resources"] = dict(resources.resources)
    return options


# --- the actor -------------------------------------------------------------------------------------


class StepActor:
    """One replica of a step, in a Ray worker: its own copy of the step, loaded once."""

    def __init__(self, payload: Dict[str, Any]) -> None:
        self.step = payload["step"].build()
        self.step.load()
        self.node_id = _node_id()
        llm = self.step.llm_in_use
        if llm is not None and payload.get("cache") is not None:
            llm.use_cache(payload["cache"])
        self.counters = StepCounters(self.step.name)
        if hasattr(self.step, "_counters"):
            self.step._counters = self.counters
        self.processor: Optional[RowProcessor] = None

    async def info(self) -> Dict[str, Any]:
        return {"node_id": self.node_id, "pid": os.getpid()}

    async def process_batch(self, args: Tuple[List[Dict[str, Any]], ...]) -> Dict[str, Any]:
        started = time.monotonic()
        rows = await asyncio.to_thread(collect_batch, self.step, args)
        return self._answer(rows, started)

    async def process_rows(self, rows: List[Dict[str, Any]]) -> AsyncIterator[Dict[str, Any]]:
        """Answer ``rows`` concurrently; each answer (``{index: output rows}``) goes back as soon as it is made."""
        started = time.monotonic()
        if self.processor is None:
            self.processor = self.step.row_processor()
        processor = self.processor

        async def one(index: int, row: Dict[str, Any]) -> Tuple[int, List[Dict[str, Any]]]:
            return index, await processor(row)

        pending = {asyncio.ensure_future(one(index, row)) for index, row in enumerate(rows)}
        try:
            while pending:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                # Those that finished together go back together.
                yield self._answer(dict(task.result() for task in done), started)
        finally:
            for task in pending:
                task.cancel()

    def _answer(self, outputs: Any, started: float) -> Dict[str, Any]:
        # What was counted since the last answer goes with this one (the loop runs one at a time).
        counted, self.counters = self.counters, StepCounters(self.step.name)
        if hasattr(self.step, "_counters"):
            self.step._counters = self.counters
        llm = self.step.llm_in_use
        return {
            "outputs": outputs,
            "node_id": self.node_id,
            "counted": (counted.input_tokens, counted.output_tokens, counted.errors),
            "request_stats": llm.request_stats() if llm is not None else None,
            "work_seconds": time.monotonic() - started,
        }

    async def close(self) -> None:
        try:
            await self.step.aunload()
        finally:
            self.step.unload()


def _node_id() -> str:
    import ray

    return ray.get_runtime_context().get_node_id()


# --- the executor ------------------------------------------------------------------------------------


@dataclass
class _Replica:
    handle: Any
    index: int
    in_flight: int = 0
    lost: bool = False


@dataclass
class _StepActors:
    replicas: List[_Replica]
    idle: "asyncio.Queue[_Replica]"
    placement_group: Any = None
    request_stats: Dict[int, Dict[str, Any]] = field(default_factory=dict)
    nodes: "Counter[str]" = field(default_factory=Counter)


@dataclass
class RayTimings:
    """Where a Ray run's time went besides the work itself (for the benchmark and the docs).

    Attributes:
        connect_seconds: ``ray.init`` (connecting, or starting a local cluster).
        actors_seconds: making the actors and loading their steps, until all were ready.
        calls: calls made to actors.
        round_trip_seconds: summed time from sending a call to having its answer.
        remote_seconds: summed time the actors spent on the calls' work (the rest of
            ``round_trip_seconds`` is Ray: serialization, scheduling, transfer).
    """

    connect_seconds: float = 0.0
    actors_seconds: float = 0.0
    calls: int = 0
    round_trip_seconds: float = 0.0
    remote_seconds: float = 0.0


class RayExecutor(StepExecutor):
    """Runs each step's work in Ray actors (see the module's docstring).

    Args:
        address: the Ray cluster to connect to (``ray_head_node_url``); ``None``: the
            cluster ``ray.init`` finds (``RAY_ADDRESS``), else a new local one.
        init_kwargs: more keyword arguments for ``ray.init``.
    """

    def __init__(self, address: Optional[str] = None, init_kwargs: Optional[Dict[str, Any]] = None) -> None:
        self.address = address
        self.init_kwargs = dict(init_kwargs or {})
        self.actors: Dict[str, _StepActors] = {}
        self.timings = RayTimings()
        self._started_ray = False
        self._dispatchers: Dict[str, _RowDispatcher] = {}
        self._finished: Dict[str, _StepActors] = {}

    @property
    def nodes_used(self) -> Dict[str, Dict[str, int]]:
        """Per step, how many answers came from each node id (the last run's)."""
        return {name: dict(actors.nodes) for name, actors in self._finished.items()}

    async def start(self) -> None:
        self._finished = {}
        started = time.monotonic()
        await self.scheduler._in_thread(self._connect)
        self.timings.connect_seconds = time.monotonic() - started

    def _connect(self) -> None:
        ray = _import_ray()
        if ray.is_initialized():
            return
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        kwargs: Dict[str, Any] = {"include_dashboard": False, "logging_level": logging.WARNING}
        if self.address is not None:
            kwargs["address"] = self.address
        kwargs.update(self.init_kwargs)
        with contextlib.ExitStack() as stack:
            if kwargs.get("address") is None and not os.environ.get("RAY_ADDRESS"):
                stack.enter_context(_local_cluster_on_loopback())
            ray.init(**kwargs)
        self._started_ray = True

    async def close(self) -> None:
        for name in list(self.actors):
            await self._stop_actors(name)
        if self._started_ray:
            await self.scheduler._in_thread(_import_ray().shutdown)
            self._started_ray = False

    # --- loading ---------------------------------------------------------------------------------

    async def load(self, names: List[str]) -> None:
        local = [name for name in names if self.step(name).is_generator]
        await super().load(local)
        started = time.monotonic()
        remote = [name for name in names if name not in local]
        try:
            await asyncio.gather(*(self._start_actors(name) for name in remote))
        finally:
            self.timings.actors_seconds += time.monotonic() - started

    async def _start_actors(self, name: str) -> None:
        ray = _import_ray()
        step = self.step(name)
        per_replica = step.row_concurrency if step.runs_rows_async else 1
        options = actor_options(step, per_replica)
        bundles = placement_bundles(step)
        group = None
        if bundles is not None:
            from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

            group = ray.util.placement_group(bundles, strategy="STRICT_PACK")
            await group.ready()
            options["scheduling_strategy"] = PlacementGroupSchedulingStrategy(
                group, placement_group_capture_child_tasks=True
            )
            options.pop("num_gpus", None)
        llm = step.llm_in_use
        payload = {"step": portable(step), "cache": llm.response_cache if llm is not None else None}
        remote_class = ray.remote(StepActor)
        # By value (small: a generator's data stays on the driver), so that Ray keeps it
        # with each actor and can make a lost one again from it.
        replicas = [
            _Replica(remote_class.options(**options).remote(payload), index)
            for index in range(step.resources.replicas)
        ]
        idle: asyncio.Queue = asyncio.Queue()
        actors = _StepActors(replicas, idle, group)
        self.actors[name] = actors
        try:
            for replica in replicas:
                await replica.handle.info.remote()  # raises the step's load error, if any
                idle.put_nowait(replica)
        except Exception as error:
            raise _load_error(name, error) from error

    async def unload(self, names: List[str]) -> None:
        local = [name for name in names if self.step(name).is_generator]
        await super().unload(local)
        for name in names:
            if name not in local:
                await self._stop_actors(name)

    async def _stop_actors(self, name: str) -> None:
        ray = _import_ray()
        actors = self.actors.pop(name, None)
        if actors is None:
            return
        dispatcher = self._dispatchers.pop(name, None)
        if dispatcher is not None:
            await dispatcher.stop()
        self._finished[name] = actors
        for replica in actors.replicas:
            if not replica.lost:
                try:
                    await asyncio.wait_for(replica.handle.close.remote(), timeout=60)
                except Exception as error:
                    logger.warning("Step %r: replica %d failed to unload: %s", name, replica.index, error)
            ray.kill(replica.handle, no_restart=True)
        if actors.placement_group is not None:
            ray.util.remove_placement_group(actors.placement_group)
        self._add_request_stats(name, actors)

    def _add_request_stats(self, name: str, actors: _StepActors) -> None:
        """Add what the replicas' LLMs counted to the driver's LLM, which the summary reads."""
        llm = self.step(name).llm_in_use
        if llm is None:
            return
        stats = llm._state.stats
        for reported in actors.request_stats.values():
            for key in _ADDITIVE_STATS:
                setattr(stats, key, getattr(stats, key) + int(reported.get(key) or 0))
            stats.failed_requests.update(reported.get("failed_requests") or {})
            if hasattr(stats, "cost_usd") and "cost_usd" in reported:
                if reported["cost_usd"] is None:
                    stats.cost_unknown = True
                else:
                    stats.cost_usd += reported["cost_usd"]

    # --- work ------------------------------------------------------------------------------------

    def _replicas(self, name: str) -> int:
        # A step whose every row is reused has no actors: nothing will be sent to it.
        actors = self.actors.get(name)
        return len(actors.replicas) if actors is not None else 1

    def batch_slots(self, name: str) -> int:
        return self._replicas(name)

    async def process_batch(self, name: str, args: Tuple[List[Dict[str, Any]], ...]) -> List[Dict[str, Any]]:
        actors = self.actors[name]
        for attempt in range(LOST_ACTOR_RETRIES + 1):
            replica = await actors.idle.get()
            try:
                answer = await self._call(name, replica, replica.handle.process_batch, args)
            except _LostActor:
                if attempt == LOST_ACTOR_RETRIES:
                    raise _gone(name) from None
                await asyncio.sleep(min(2.0**attempt, 8.0))
                continue
            finally:
                actors.idle.put_nowait(replica)
            return answer["outputs"]
        raise _gone(name)

    def row_concurrency(self, name: str) -> int:
        return self.step(name).row_concurrency * self._replicas(name)

    def row_processor(self, name: str) -> RowProcessor:
        dispatcher = _RowDispatcher(self, name)
        self._dispatchers[name] = dispatcher
        return dispatcher.process

    async def _call(self, name: str, replica: _Replica, method: Any, payload: Any) -> Dict[str, Any]:
        """One call to a replica; its counters go to the driver's. Raises ``_LostActor`` when it died."""
        sent = time.monotonic()
        replica.in_flight += 1
        try:
            with self._losing(name, replica):
                answer = await method.remote(payload)
        finally:
            replica.in_flight -= 1
        replica.lost = False
        self._account(name, replica, answer)
        self.timings.calls += 1
        self.timings.round_trip_seconds += time.monotonic() - sent
        self.timings.remote_seconds += answer["work_seconds"]
        return answer

    async def _stream(self, name: str, replica: _Replica, rows: List[Dict[str, Any]]) -> AsyncIterator[Dict[str, Any]]:
        """The answers of one ``process_rows`` call, as they come. Raises ``_LostActor`` when the replica died."""
        sent = time.monotonic()
        work = 0.0
        left = len(rows)
        replica.in_flight += left
        try:
            with self._losing(name, replica):
                answers = replica.handle.process_rows.options(num_returns="streaming").remote(rows)
                async for ref in answers:
                    answer = await ref
                    left -= len(answer["outputs"])
                    replica.in_flight -= len(answer["outputs"])
                    self._account(name, replica, answer)
                    work = answer["work_seconds"]
                    yield answer
        finally:
            replica.in_flight -= left
        replica.lost = False
        self.timings.calls += 1
        self.timings.round_trip_seconds += time.monotonic() - sent
        self.timings.remote_seconds += work

    @contextlib.contextmanager
    def _losing(self, name: str, replica: _Replica) -> Iterator[None]:
        """Turn the loss of ``replica``'s actor into ``_LostActor`` (after a pause for Ray to make it again)."""
        from ray.exceptions import ActorDiedError, ActorUnavailableError, RayActorError

        try:
            yield
        except (RayActorError, ActorDiedError, ActorUnavailableError) as error:
            logger.warning(
                "Step %r: replica %d was lost (%s); its work goes to another replica",
                name,
                replica.index,
                type(error).__name__,
            )
            replica.lost = True
            raise _LostActor() from error

    def _account(self, name: str, replica: _Replica, answer: Dict[str, Any]) -> None:
        """Add what an answer says the replica counted to the driver's counters."""
        actors = self.actors.get(name)
        if actors is not None:
            actors.nodes[answer["node_id"]] += 1
            if answer["request_stats"] is not None:
                actors.request_stats[replica.index] = answer["request_stats"]
        input_tokens, output_tokens, errors = answer["counted"]
        counters = self.scheduler.progress[name]
        counters.input_tokens += input_tokens
        counters.output_tokens += output_tokens
        for reason, count in errors.items():
            counters.failed += count
            counters.errors[reason] = counters.errors.get(reason, 0) + count


class _RowDispatcher:
    """Sends the rows of an async task to its replicas in small chunks, as they arrive."""

    def __init__(self, executor: RayExecutor, name: str) -> None:
        self.executor = executor
        self.name = name
        self.pending: List[Tuple[Dict[str, Any], asyncio.Future]] = []
        self.wakeup: Optional[asyncio.Event] = None
        self.task: Optional[asyncio.Task] = None

    async def process(self, row: Dict[str, Any]) -> List[Dict[str, Any]]:
        future = asyncio.get_running_loop().create_future()
        self.pending.append((row, future))
        if self.task is None or self.task.done():
            self.wakeup = asyncio.Event()
            self.task = asyncio.ensure_future(self._send_loop())
        self.wakeup.set()  # type: ignore[union-attr]
        return await future

    async def _send_loop(self) -> None:
        children: set = set()
        try:
            while True:
                await self.wakeup.wait()  # type: ignore[union-attr]
                self.wakeup.clear()  # type: ignore[union-attr]
                # Rows that arrive within a few milliseconds go in one call: a call costs
                # the driver about 1 ms of CPU, and Ray tens of ms on a busy machine.
                await asyncio.sleep(ROW_GATHER_SECONDS)
                while self.pending:
                    chunk, self.pending = self.pending[:ROW_CHUNK], self.pending[ROW_CHUNK:]
                    child = asyncio.ensure_future(self._send(chunk))
                    children.add(child)
                    child.add_done_callback(children.discard)
        finally:
            for child in children:
                child.cancel()

    async def _send(self, chunk: List[Tuple[Dict[str, Any], asyncio.Future]]) -> None:
        try:
            for attempt in range(LOST_ACTOR_RETRIES + 1):
                # Rows answered before a replica was lost are not sent again.
                chunk = [(row, future) for row, future in chunk if not future.done()]
                if not chunk:
                    return
                replica = self._least_busy()
                try:
                    async for answer in self.executor._stream(self.name, replica, [row for row, _ in chunk]):
                        for index, outputs in answer["outputs"].items():
                            if not chunk[index][1].done():
                                chunk[index][1].set_result(outputs)
                except _LostActor:
                    # Ray makes the actor again (on a node left); give it a moment before the next try.
                    await asyncio.sleep(min(2.0**attempt, 8.0))
                    continue
                return
            raise _gone(self.name)
        except BaseException as error:
            for _, future in chunk:
                if not future.done():
                    future.set_exception(error if isinstance(error, Exception) else asyncio.CancelledError())
            if not isinstance(error, Exception):
                raise

    def _least_busy(self) -> _Replica:
        replicas = self.executor.actors[self.name].replicas
        return min(replicas, key=lambda replica: (replica.lost, replica.in_flight))

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)


class _LostActor(Exception):
    pass


def _gone(name: str) -> DistilabelUserError:
    return DistilabelUserError(
        f"Step {name!r}: its Ray actors were lost (their nodes died) and none could take the work again."
        " The rows finished so far are kept; run the pipeline again, with the same code, to resume."
    )


def _load_error(name: str, error: Exception) -> Exception:
    cause = getattr(error, "cause", None)
    if isinstance(cause, Exception):
        error = cause
    try:
        return type(error)(f"Step {name!r} failed to load on Ray: {error}")
    except Exception:
        return DistilabelUserError(f"Step {name!r} failed to load on Ray: {error}")


@contextlib.contextmanager
def _local_cluster_on_loopback() -> Iterator[None]:
    """While ``ray.init`` starts a cluster on this machine, make it listen on 127.0.0.1 only.

    Ray gives a new node the machine's network address (so that other machines could
    join), and its servers listen on every interface. A cluster started for one run
    needs neither: told it is a one-machine cluster, Ray uses the loopback address
    (its processes, started by ``ray.init``, inherit the setting).
    """
    variable = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
    saved_env = os.environ.get(variable)
    os.environ[variable] = "0"
    constants: Any = None
    try:
        import ray._private.ray_constants as constants
    except ImportError:  # another Ray layout: its own default applies
        logger.debug("Could not keep the local Ray cluster on 127.0.0.1")
    saved = getattr(constants, "ENABLE_RAY_CLUSTER", None)
    if constants is not None:
        constants.ENABLE_RAY_CLUSTER = False
    try:
        yield
    finally:
        if constants is not None:
            constants.ENABLE_RAY_CLUSTER = saved
        if saved_env is None:
            os.environ.pop(variable, None)
        else:
            os.environ[variable] = saved_env


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as error:
        raise ImportError(
            "RayPipeline needs the `ray` package: pip install 'distilabel[ray]'"
        ) from error
    return ray


__all__ = ["Portable", "RayExecutor", "RayTimings", "StepActor", "actor_options", "placement_bundles", "portable"]
