"""The local engine: one asyncio event loop runs the whole pipeline.

Each step is one coroutine reading its inbox and writing to its successors'
inboxes. Rows carry a key (their position in the input) so they can travel out
of order and still be put back in order at the end, and joined again where
branches meet.

- A generator step yields batches; each is keyed and sent on.
- A Task on an ``AsyncLLM`` handles rows one by one on the loop: each row is an
  ``await llm.agenerate_row(...)`` with at most ``2 * max_concurrent_requests``
  rows in flight (the LLM's own limit is applied inside ``agenerate_row``), and
  each row moves on as soon as its answer arrives: no batch waits for its slowest
  request.
- Other steps (user code, local models, sync LLMs) get batches of
  ``input_batch_size`` rows and run ``process`` in a worker thread, up to
  ``resources.replicas`` batches at a time.
- A global step gets all its rows in one batch.

Every step appends its finished rows to its ``RowStore`` as they come; inboxes are
bounded, so memory is bounded by what is in flight. Ctrl-C cancels the coroutines;
the stores already hold every finished row, and the ``KeyboardInterrupt`` raised,
uncaught, prints one line saying how many rows were saved, where, and that running
again resumes.

Never pay twice: unless ``use_cache=False``, every task's LLM answers repeated
requests from the pipeline's response cache, and a run resumes from the rows
earlier runs stored (``resume.py``): each step sends its kept rows on again and
skips the inputs they came from. A run stops cleanly, keeping its rows, when an
offline batch job is not finished yet (its ids are recorded and polled by the next
run) or when an LLM's circuit breaker opens. ``last_run_summary`` (and
``summary.json`` in the run folder) says what the run produced and what it cost.
A run in which a task got no answer for any row is not "finished": its summary
says ``failed`` and ``run()`` raises ``DistilabelRunFailedError`` (holding the kept
rows), so a script calling it exits non-zero.
"""

import asyncio
import itertools
import logging
import sys
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    Coroutine,
    Deque,
    Dict,
    Iterator,
    List,
    Optional,
    Set,
    Tuple,
)

from distilabel.exceptions import (
    DistilabelCircuitOpenError,
    DistilabelOfflineBatchGenerationNotFinishedException,
)
from distilabel.models.llms.base import LLM
from distilabel.pipeline.base import BasePipeline
from distilabel.pipeline.progress import Progress
from distilabel.pipeline.resume import JOBS_FILE, StepResume, load_jobs, prepare_resume, save_jobs
from distilabel.pipeline.row_store import DONE_FILE, Group, KeyedRow, RowKey, RowStore
from distilabel.pipeline.run_lock import RunLock
from distilabel.pipeline.summary import (
    DistilabelRunFailedError,
    RunSummary,
    build_summary,
    is_run_interrupted,
    llm_stats,
    run_interrupted,
)
from distilabel.runtime.cache import ResponseCache
from distilabel.utils.logging import log_level_from_env

if TYPE_CHECKING:
    from distilabel.distiset import Distiset
    from distilabel.steps.base import _Step
    from distilabel.typing.pipeline import InputDataset

logger = logging.getLogger("distilabel.pipeline")

_INBOX_MIN_ROWS = 1000
_Batch = Tuple[List[RowKey], Tuple[List[Dict[str, Any]], ...]]


class Pipeline(BasePipeline):
    """A pipeline run by the local asyncio engine.

    ```python
    with Pipeline(name="text-generation-pipeline") as pipeline:
        load = LoadDataFromDicts(data=[{"instruction": "..."}])
        generate = TextGeneration(llm=OpenAILLM(model="gpt-4"))
        load >> generate

    distiset = pipeline.run(parameters={generate.name: {"llm": {"generation_kwargs": {"temperature": 0.3}}}})
    ```
    """

    def run(
        self,
        parameters: Optional[Dict[str, Dict[str, Any]]] = None,
        load_groups: Any = None,
        use_cache: bool = True,
        storage_parameters: Optional[Dict[str, Any]] = None,
        use_fs_to_pass_data: bool = False,
        dataset: Optional["InputDataset"] = None,
        dataset_batch_size: int = 50,
        logging_handlers: Optional[List[logging.Handler]] = None,
    ) -> "Distiset":
        """Run the pipeline and return its output as a ``Distiset``.

        Args:
            parameters: runtime parameters per step name, e.g.
                ``{"text_generation": {"llm": {"generation_kwargs": {"temperature": 0.3}}}}``.
            load_groups: ignored (with a warning): the local engine loads every step at once.
            use_cache: whether work of a previous run of the same pipeline may be reused.
            storage_parameters: ignored (with a warning): rows are stored in the run folder.
            use_fs_to_pass_data: ignored (with a warning): rows pass in memory.
            dataset: rows to feed to the steps that have no generator upstream.
            dataset_batch_size: batch size of the generator made from ``dataset``.
            logging_handlers: extra handlers for the run's log records.

        Raises:
            DistilabelUserError: the pipeline or the parameters are invalid (nothing ran), or
                an LLM cannot reach its server at all.
            DistilabelRunFailedError: a task got no answer for any of its rows (e.g. every
                request failed). It is raised after the summary is written, and holds the
                rows in ``distiset``; a script that does not catch it exits non-zero.
            KeyboardInterrupt: Ctrl-C; the finished rows are kept and the next run of the
                same pipeline resumes from them. Uncaught, it prints one line (how many
                rows were saved, where, how to resume) instead of a traceback.
        """
        self._warn_ignored_parameters(load_groups, storage_parameters, use_fs_to_pass_data)
        return self._run(parameters, use_cache, dataset, dataset_batch_size, logging_handlers, dry_run=False)

    def dry_run(
        self, parameters: Optional[Dict[str, Dict[str, Any]]] = None, batch_size: int = 1
    ) -> "Distiset":
        """Run the pipeline on the first ``batch_size`` rows of each generator, without the cache."""
        from distilabel.steps.base import GeneratorStep

        self._warn_ignored_parameters()
        generators = [s for s in self.dag.steps.values() if isinstance(s, GeneratorStep)]
        saved = {s.name: s.batch_size for s in generators}
        try:
            for step in generators:
                step.batch_size = batch_size
            return self._run(parameters, False, None, 50, None, dry_run=True)
        finally:
            for step in generators:
                step.batch_size = saved[step.name]

    def _run(
        self,
        parameters: Optional[Dict[str, Dict[str, Any]]],
        use_cache: bool,
        dataset: Optional["InputDataset"],
        dataset_batch_size: int,
        logging_handlers: Optional[List[logging.Handler]],
        dry_run: bool,
    ) -> "Distiset":
        if dataset is not None:
            self._with_dataset(dataset, dataset_batch_size)
        self._apply_parameters(parameters)
        order = self.validate()
        run_dir = self._prepare_run_dir(order, "dry_run" if dry_run else "")
        # Held until the dataset is built: no other run may write this folder meanwhile.
        run = _RunResources(self, order, run_dir, use_cache and not dry_run, lock=self._take_run_lock())
        root = logging.getLogger("distilabel")
        handlers = [logging.FileHandler(run_dir / "pipeline.log"), *(logging_handlers or [])]
        if not root.handlers and not logging.getLogger().handlers:
            handlers.append(logging.StreamHandler())  # a person running a script sees progress
        for handler in handlers:
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
            root.addHandler(handler)
        level_before, env_level = root.level, log_level_from_env()
        if env_level is not None:
            root.setLevel(env_level)  # DISTILABEL_LOG_LEVEL, for this run
        elif root.level == logging.NOTSET:
            root.setLevel(logging.INFO)
        distiset: Optional[Distiset] = None
        try:
            resume = run.prepare()
            engine = _Engine(self, order, run_dir, dry_run=dry_run, resume=resume)
            try:
                _run_coroutine(engine.run())
            except DistilabelOfflineBatchGenerationNotFinishedException:
                run.finish(engine, "waiting_for_batch_jobs")
                distiset = self._build_distiset(run_dir)
            except DistilabelCircuitOpenError as error:
                run.finish(engine, "circuit_open", f"{error}\nThe finished rows are kept in {run_dir / 'steps'}.")
                raise
            except KeyboardInterrupt:
                raise run.interrupted(engine) from None
            except asyncio.CancelledError:
                run.finish(engine, "interrupted", f"Interrupted: the rows finished so far are in {run_dir / 'steps'}")
                raise
            except Exception as error:
                run.finish(engine, "failed", f"Stopped by an error: {error}", quiet=True)
                raise
            else:
                # Built before the run says it finished: a run without its dataset did not.
                try:
                    distiset = self._build_distiset(run_dir)
                except Exception as error:
                    run.finish(
                        engine,
                        "failed",
                        f"The dataset could not be built: {error}\nThe rows are kept in {run_dir / 'steps'}.",
                    )
                    raise
                summary = run.finish(engine, "finished")
                if summary.status == "failed":
                    raise run.failure(summary, distiset)
        finally:
            run.close()
            for handler in handlers:
                root.removeHandler(handler)
                handler.close()
            if env_level is not None:
                root.setLevel(level_before)
        return distiset  # type: ignore[return-value]

    def _build_distiset(self, run_dir: Path) -> "Distiset":
        from distilabel.distiset import create_distiset

        return create_distiset(
            run_dir,
            {name: run_dir / "steps" / name for name in self.dag.leaves},
            enable_metadata=self._enable_metadata,
            pipeline_path=run_dir / "pipeline.yaml",
            log_filename_path=run_dir / "pipeline.log",
        )


class _RunResources:
    """What a run sets up around the engine and undoes after it: the response cache,
    the resumed stores, offline batch jobs of an earlier run, and the summary."""

    def __init__(
        self, pipeline: "Pipeline", order: List[str], run_dir: Path, use_cache: bool, lock: Optional[RunLock] = None
    ) -> None:
        self.pipeline = pipeline
        self.lock = lock
        self.order = order
        self.run_dir = run_dir
        self.use_cache = use_cache
        self.steps = {name: pipeline.dag.get(name) for name in order}
        self.cache: Optional[ResponseCache] = None
        self.previous_caches: Dict[str, Any] = {}
        self.before: Dict[str, Dict[str, Any]] = {}
        self.resume: Dict[str, StepResume] = {}

    def prepare(self) -> Dict[str, StepResume]:
        pipeline = self.pipeline
        signatures = pipeline._step_signatures

        def reuse(name: str) -> bool:
            return self.use_cache and self.steps[name].use_cache

        self.resume = prepare_resume(pipeline.dag, self.order, self.run_dir, signatures, reuse)
        reused = {name: r for name, r in self.resume.items() if r.kept_rows}
        if reused:
            logger.info(
                "Reusing rows of an earlier run: %s",
                ", ".join(f"{name} {r.kept_rows}" + (" (complete)" if r.complete else "") for name, r in reused.items()),
            )
        llms = {name: step.llm for name, step in self.steps.items() if isinstance(getattr(step, "llm", None), LLM)}
        if self.use_cache and any(self.steps[name].use_cache for name in llms):
            # Outside the run folder: another version of the pipeline finds the same responses.
            # Each answer is committed before its row moves on (0.04 ms a store, measured, the
            # same as writing behind): a kill -9 loses no answer that was paid for.
            self.cache = ResponseCache.in_directory(pipeline.cache_root, write_behind=False)
        for name, llm in llms.items():
            self.previous_caches[name] = llm.response_cache
            if llm.response_cache is None and self.cache is not None and self.steps[name].use_cache:
                llm.use_cache(self.cache)
        jobs = load_jobs(self.run_dir) if self.use_cache else {}
        for name, llm in llms.items():
            record = jobs.get(name)
            same_step = record is not None and record.get("signature") == signatures[name]
            if llm.use_offline_batch_generation and same_step and not llm.jobs_ids and not self.resume[name].complete:
                llm.jobs_ids = tuple(record["jobs_ids"])  # type: ignore[index]
                logger.info("Step %r checks its offline batch jobs %s again", name, list(llm.jobs_ids))
        self.before = llm_stats(self.steps)
        return self.resume

    def finish(
        self, engine: "_Engine", status: str, message: Optional[str] = None, quiet: bool = False
    ) -> RunSummary:
        """Write and log the summary; a ``"finished"`` run in which a task got no answer
        at all becomes ``"failed"``. With ``quiet``, a failure to summarise (the run is
        already failing with its own error) is logged instead of raised."""
        if not quiet:
            return self._finish(engine, status, message)
        try:
            return self._finish(engine, status, message)
        except Exception as error:
            logger.warning("Could not summarise the run: %s", error)
            return RunSummary({})

    def _finish(self, engine: "_Engine", status: str, message: Optional[str]) -> RunSummary:
        waiting = self._record_jobs()
        if status == "waiting_for_batch_jobs":
            message = (
                "Waiting for offline batch jobs: "
                + "; ".join(f"step {name!r}: {', '.join(ids)}" for name, ids in waiting.items())
                + f". Their ids are saved in {self.run_dir / JOBS_FILE} and pipeline.yaml; run the pipeline again"
                " with the same code to collect the results (no new jobs are created)."
            )
        summary = build_summary(
            engine.progress, self.steps, self.pipeline.dag.leaves, self.before, self.resume, self.cache
        )
        unanswered = summary.unanswered_steps(self.steps) if status == "finished" else []
        if unanswered:
            status, message = "failed", self._unanswered_message(summary, unanswered)
        summary.status = status
        summary.message = message
        summary.offline_batch_jobs = waiting
        self.pipeline.last_run_summary = summary
        try:
            summary.write(self.run_dir / "summary.json")
        except OSError as error:
            logger.warning("Could not write the run summary: %s", error)
        if status == "finished":
            logger.info(summary.text())
        elif status == "failed":
            logger.error(summary.text())
        else:
            # An interrupted run ends with its message as the one line a person reads.
            logger.warning(summary.text(with_message=status != "interrupted"))
        return summary

    def _unanswered_message(self, summary: RunSummary, names: List[str]) -> str:
        parts = []
        for name in names:
            entry = summary[name]
            errors = ", ".join(f"{reason} x{count}" for reason, count in entry.get("errors", {}).items())
            example = _first_error(self.run_dir / "steps" / name, name)
            parts.append(
                f"every row of step {name!r} failed ({entry['rows']} rows; {errors})"
                + (f", e.g. {example}" if example else "")
            )
        return (
            "The run made no usable data: " + "; ".join(parts) + ". The rows, each with its error in"
            f" distilabel_metadata, are kept in {self.run_dir / 'steps'}; fix the cause and run again"
            " (failed rows are sent again, finished ones are reused)."
        )

    def failure(self, summary: RunSummary, distiset: Optional["Distiset"]) -> DistilabelRunFailedError:
        """The error ``Pipeline.run`` raises for a run whose summary says ``"failed"``."""
        names = summary.unanswered_steps(self.steps)
        return DistilabelRunFailedError(summary.message or "The run failed.", names, summary, distiset)  # type: ignore[arg-type]

    def interrupted(self, engine: "_Engine") -> KeyboardInterrupt:
        """Summarise an interrupted run; the exception to raise says what was saved and how to resume."""
        summary = self.finish(engine, "interrupted", quiet=True)
        rows = sum(summary.leaves.values())
        if self.use_cache:
            how = "run the same command again to resume from them"
        else:
            how = "this run had use_cache=False, so a new run starts over; run with use_cache=True to resume"
        message = f"Interrupted: {rows} finished rows are saved in {self.run_dir}; {how}."
        summary.message = message
        try:
            summary.write(self.run_dir / "summary.json")
        except OSError:
            pass
        _print_uncaught_interrupts_briefly()
        return run_interrupted(message)

    def _record_jobs(self) -> Dict[str, List[str]]:
        """Save the ids of the batch jobs still running, so the next run polls them."""
        jobs: Dict[str, Dict[str, Any]] = {}
        for name, step in self.steps.items():
            llm = getattr(step, "llm", None)
            if isinstance(llm, LLM) and llm.use_offline_batch_generation and llm.jobs_ids:
                jobs[name] = {"signature": self.pipeline._step_signatures[name], "jobs_ids": list(llm.jobs_ids)}
        save_jobs(self.run_dir, jobs)
        if jobs:
            self.pipeline._write_dump(self.run_dir)  # pipeline.yaml holds the LLMs' jobs_ids too
        return {name: record["jobs_ids"] for name, record in jobs.items()}

    def close(self) -> None:
        try:
            for name, previous in self.previous_caches.items():
                self.steps[name].llm.use_cache(previous)  # type: ignore[attr-defined]
            if self.cache is not None:
                self.cache.close()
        finally:
            if self.lock is not None:
                self.lock.release()


def _first_error(directory: Path, name: str) -> Optional[str]:
    """The error of the first stored row of step ``name``, for the failure message."""
    from distilabel.steps.base import DISTILABEL_METADATA_KEY

    try:
        rows = RowStore.read(directory)
        try:
            for _, row in rows:
                error = (row.get(DISTILABEL_METADATA_KEY) or {}).get(f"error_{name}")
                if isinstance(error, list):
                    error = next((e for e in error if e), None)
                if error:
                    return str(error)
                break
        finally:
            close = getattr(rows, "close", None)
            if close is not None:
                close()
    except Exception:  # the message is still useful without an example
        return None
    return None


def _print_uncaught_interrupts_briefly() -> None:
    """Make an uncaught interruption of a run print its one-line message, not a traceback.

    Python prints an uncaught exception with ``sys.excepthook``; the hook installed
    here prints a run's ``KeyboardInterrupt`` as its message and hands everything
    else to the hook it replaced (the exit status stays 130, as for any Ctrl-C).
    """
    previous = sys.excepthook
    if getattr(previous, "_distilabel_brief_interrupts", False):
        return

    def excepthook(kind: Any, value: BaseException, traceback: Any) -> None:
        if is_run_interrupted(value):
            print(str(value), file=sys.stderr)
        else:
            previous(kind, value, traceback)

    excepthook._distilabel_brief_interrupts = True  # type: ignore[attr-defined]
    sys.excepthook = excepthook


def _run_coroutine(coro: Coroutine[Any, Any, Any]) -> Any:
    """``asyncio.run``, or the same in a thread when called from a running loop (a notebook)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        running = False
    else:
        running = True
    if not running:
        # Outside the `except` above, so an error of the run is not chained to its RuntimeError.
        return asyncio.run(coro)
    result: Dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(coro)
        except BaseException as error:
            result["error"] = error

    thread = threading.Thread(target=target, name="distilabel-pipeline")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")


class _Inbox:
    """The rows sent to one step, from any of its upstream steps, bounded in rows.

    Iterating yields ``(source, rows)``, and ``(source, None)`` when ``source``
    finished; it ends when every upstream step has finished.
    """

    def __init__(self, sources: List[str], capacity: int) -> None:
        self._open = set(sources)
        self._capacity = capacity
        self._size = 0
        self._items: Deque[Tuple[str, Optional[List[KeyedRow]]]] = deque()
        self._changed = asyncio.Condition()

    async def put(self, source: str, rows: List[KeyedRow]) -> None:
        async with self._changed:
            # A batch larger than the capacity still goes in once the inbox is empty.
            await self._changed.wait_for(lambda: self._size == 0 or self._size + len(rows) <= self._capacity)
            self._items.append((source, rows))
            self._size += len(rows)
            self._changed.notify_all()

    async def close(self, source: str) -> None:
        async with self._changed:
            self._items.append((source, None))
            self._changed.notify_all()

    async def __aiter__(self) -> AsyncIterator[Tuple[str, Optional[List[KeyedRow]]]]:
        while True:
            async with self._changed:
                await self._changed.wait_for(lambda: bool(self._items) or not self._open)
                if not self._items:
                    return
                source, rows = self._items.popleft()
                if rows is None:
                    self._open.discard(source)
                else:
                    self._size -= len(rows)
                self._changed.notify_all()
            yield source, rows


class _Tasks:
    """Child tasks of one step; the first failure is re-raised (a TaskGroup that runs on 3.10)."""

    def __init__(self) -> None:
        self._tasks: Set[asyncio.Task] = set()
        self._error: Optional[BaseException] = None

    def spawn(self, coro: Coroutine[Any, Any, Any], slot: Optional[asyncio.Semaphore] = None) -> None:
        """Run ``coro``; ``slot`` (acquired by the caller) is released when it ends, however it ends."""
        if self._error is not None:
            coro.close()  # never started: no "was never awaited" warning
            if slot is not None:
                slot.release()
            raise self._error
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        if slot is not None:
            # Not in the coroutine's `finally`: a task cancelled before it starts never runs that.
            task.add_done_callback(lambda _: slot.release())

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None and self._error is None:
            self._error = task.exception()
            for other in self._tasks:
                other.cancel()

    def check(self) -> None:
        if self._error is not None:
            raise self._error

    async def wait(self) -> None:
        try:
            while self._tasks:
                await asyncio.wait(set(self._tasks))
        finally:
            for task in self._tasks:
                task.cancel()
        self.check()

    async def __aenter__(self) -> "_Tasks":
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, traceback: Any) -> None:
        if exc_type is None:
            await self.wait()
            return
        # The step stopped spawning (Ctrl-C, a failure upstream): its children stop too,
        # instead of running on, unowned, while the run winds down.
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


class _Engine:
    def __init__(
        self,
        pipeline: BasePipeline,
        order: List[str],
        run_dir: Path,
        dry_run: bool = False,
        resume: Optional[Dict[str, StepResume]] = None,
    ) -> None:
        self.pipeline = pipeline
        self.dag = pipeline.dag
        self.order = order
        self.run_dir = run_dir
        self.dry_run = dry_run
        # What each step reuses from earlier runs (its store already holds those rows).
        self.resume = resume if resume is not None else {name: StepResume() for name in order}
        self.progress = Progress(order)
        self.stores: Dict[str, RowStore] = {}
        self.inboxes: Dict[str, _Inbox] = {}
        for name in order:
            predecessors = self.dag.predecessors(name)
            if predecessors:
                step = self.dag.get(name)
                capacity = max(_INBOX_MIN_ROWS, 2 * getattr(step, "input_batch_size", 0))
                self.inboxes[name] = _Inbox(predecessors, capacity)
        threads = sum(self.dag.get(name).resources.replicas for name in order) + 2
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="distilabel-step")

    def step(self, name: str) -> "_Step":
        return self.dag.get(name)

    async def _in_thread(self, function: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.executor, function, *args)

    # --- the run ----------------------------------------------------------------------------------

    async def run(self) -> None:
        reporter: Optional[asyncio.Task] = None
        try:
            await self._load_all()
            for name in self.order:
                self.stores[name] = RowStore(self.run_dir / "steps" / name, fresh=not self.resume[name].replay_bytes)
                step = self.step(name)
                if step.is_generator:
                    self.progress[name].total = getattr(step, "total_rows", None)
                if hasattr(step, "_counters"):
                    step._counters = self.progress[name]
            reporter = asyncio.ensure_future(self.progress.run_reporter())
            runners = [asyncio.ensure_future(self._run_step(name)) for name in self.order]
            try:
                done, _ = await asyncio.wait(runners, return_when=asyncio.FIRST_EXCEPTION)
                for task in done:
                    if task.exception() is not None:
                        raise task.exception()  # type: ignore[misc]
            finally:
                for task in runners:
                    task.cancel()
                await asyncio.gather(*runners, return_exceptions=True)
        finally:
            if reporter is not None:
                reporter.cancel()
            for store in self.stores.values():
                store.close()
            await self._unload_all()
            self.executor.shutdown(wait=False, cancel_futures=True)

    async def _load_all(self) -> None:
        async def load(name: str) -> None:
            if self.resume[name].complete:
                return  # every row of it is reused: nothing to compute
            try:
                await self._in_thread(self.step(name).load)
            except Exception as error:
                if not _rebuildable(error):
                    raise
                raise type(error)(f"Step {name!r} failed to load: {error}") from error

        await asyncio.gather(*(load(name) for name in self.order))

    async def _unload_all(self) -> None:
        from distilabel.models.llms.base import AsyncLLM

        for name in self.order:
            if self.resume[name].complete:
                continue  # never loaded (see _load_all): an LLM it shares stays loaded for the others
            step = self.step(name)
            llm = getattr(step, "llm", None)
            try:
                if isinstance(llm, AsyncLLM):
                    await llm.aclose()
                await self._in_thread(step.unload)
            except Exception as error:
                logger.warning("Step %r failed to unload: %s", name, error)

    async def _run_step(self, name: str) -> None:
        step = self.step(name)
        counters = self.progress[name]
        # The rows reused from an earlier run go on while the step works on the rest.
        replay = asyncio.ensure_future(self._replay(name))
        try:
            if step.is_generator:
                if not self.resume[name].complete:
                    await self._run_generator(name)
            elif _runs_rows_async(step):
                await self._run_async_task(name)
            else:
                await self._run_batches(name)
            await replay
            if not self.dry_run:
                (self.run_dir / "steps" / name / DONE_FILE).touch()
        finally:
            if not replay.done():
                replay.cancel()
                await asyncio.gather(replay, return_exceptions=True)
            counters.finished = time.monotonic()
            for successor in self.dag.successors(name):
                await self.inboxes[successor].close(name)

    async def _replay(self, name: str) -> None:
        """Send on the rows this step kept from an earlier run, as they were routed then."""
        limit = self.resume[name].replay_bytes
        if not limit:
            return
        groups = RowStore.groups(self.run_dir / "steps" / name, limit=limit)
        try:
            while True:
                chunk: List[Group] = await self._in_thread(_take, groups, 256)
                if not chunk:
                    break
                # Consecutive groups routed alike go on together.
                start = 0
                for end in range(1, len(chunk) + 1):
                    if end == len(chunk) or chunk[end].to != chunk[start].to:
                        rows = [row for group in chunk[start:end] for row in group.rows]
                        await self._emit(name, rows, replayed=True, to=chunk[start].to)
                        start = end
        finally:
            await self._in_thread(groups.close)

    def _skip_done(self, name: str, rows: Optional[List[KeyedRow]]) -> List[KeyedRow]:
        """``rows`` without those whose input this step finished in an earlier run."""
        done = self.resume[name].done
        if not rows or not done:
            return rows or []
        return [item for item in rows if item[0] not in done]

    # --- sending rows on ------------------------------------------------------------------------------

    async def _emit(
        self,
        name: str,
        rows: List[KeyedRow],
        inputs: Optional[List[RowKey]] = None,
        replayed: bool = False,
        to: Optional[List[str]] = None,
    ) -> None:
        """Store the rows a step made of ``inputs`` (unless replayed) and send them on.

        Replayed rows go where they went when they were made (``to``); new rows are
        stored with where they go, before they go, so a crash never sends a row on
        that a later run does not know was finished.
        """
        successors = self.dag.successors(name)
        router = self.pipeline.routing_batch_functions.get(name)
        if replayed:
            if to is not None:
                successors = [successor for successor in successors if successor in to]
        else:
            if router is not None and successors:
                successors = router(successors)
            self.stores[name].append(rows, inputs, to=successors if router is not None else None)
        self.progress[name].rows_out += len(rows)
        if not rows:
            return
        for i, successor in enumerate(successors):
            # Each branch gets its own row dicts, as steps may change rows in place.
            batch = rows if i == len(successors) - 1 else [(key, dict(row)) for key, row in rows]
            await self.inboxes[successor].put(name, batch)

    # --- generator steps ----------------------------------------------------------------------------

    async def _run_generator(self, name: str) -> None:
        generator = self.step(name).process_applying_mappings(offset=0)  # type: ignore[attr-defined]
        index = 0
        try:
            while True:
                item = await self._in_thread(next, generator, None)
                if item is None:
                    break
                batch, last = item
                rows = self._skip_done(name, [((index + i,), row) for i, row in enumerate(batch)])
                if rows:
                    await self._emit(name, rows)
                index += len(batch)
                if last or self.dry_run:
                    break
        finally:
            await self._in_thread(generator.close)

    # --- tasks on async LLMs: a sliding window of rows ------------------------------------------

    async def _run_async_task(self, name: str) -> None:
        task = self.step(name)
        llm = task.llm  # type: ignore[attr-defined]
        kwargs = llm.validate_generation_kwargs(dict(llm.generation_kwargs or {}))
        window = asyncio.Semaphore(2 * llm.max_concurrent_requests)
        async with _Tasks() as children:
            async for _, items in self.inboxes[name]:
                for key, row in self._skip_done(name, items):
                    await window.acquire()
                    children.spawn(self._task_row(name, key, row, kwargs), window)

    async def _task_row(self, name: str, key: RowKey, row: Dict[str, Any], kwargs: Dict[str, Any]) -> None:
        counters = self.progress[name]
        counters.rows_in += 1
        counters.in_flight += 1
        try:
            rows = await self.step(name).aprocess_row(row, kwargs)  # type: ignore[attr-defined]
        finally:
            counters.in_flight -= 1
        await self._emit(name, _keyed([key], rows), [key])

    # --- batch steps, run in worker threads -----------------------------------------------------------

    async def _run_batches(self, name: str) -> None:
        step = self.step(name)
        slots = asyncio.Semaphore(step.resources.replicas)
        size = None if step.is_global else step.input_batch_size  # type: ignore[attr-defined]
        async with _Tasks() as children:
            async for keys, args in self._input_batches(name, size):
                await slots.acquire()
                children.spawn(self._process_batch(name, keys, args), slots)

    async def _process_batch(self, name: str, keys: List[RowKey], args: Tuple[List[Dict[str, Any]], ...]) -> None:
        counters = self.progress[name]
        counters.rows_in += len(keys)
        counters.in_flight += len(keys)
        try:
            outputs = await self._in_thread(_collect, self.step(name), args)
        finally:
            counters.in_flight -= len(keys)
        await self._emit(name, _keyed(keys, outputs), keys)

    async def _input_batches(self, name: str, size: Optional[int]) -> AsyncIterator[_Batch]:
        """Batches of ``size`` rows (all rows when ``None``) as ``(keys, process args)``.

        A step whose ``process`` takes ``*inputs`` gets one list per upstream step,
        with rows matched by key; a key is ready once every upstream step sent it or
        finished without it (e.g. a routing batch function sent it elsewhere).
        """
        step = self.step(name)
        sources = self.dag.predecessors(name)
        if not step.takes_inputs_per_predecessor:
            buffer: List[KeyedRow] = []
            async for _, rows in self.inboxes[name]:
                buffer.extend(self._skip_done(name, rows))
                while size is not None and len(buffer) >= size:
                    chunk, buffer = buffer[:size], buffer[size:]
                    yield [k for k, _ in chunk], ([r for _, r in chunk],)
            if buffer:
                if size is None:
                    # A global step sees its rows in input order, whatever order they came in
                    # (an offline batch job is then the same job on every run).
                    buffer.sort(key=lambda item: item[0])
                yield [k for k, _ in buffer], ([r for _, r in buffer],)
            return

        pending: Dict[RowKey, Dict[str, Dict[str, Any]]] = {}
        finished: Set[str] = set()
        ready: Dict[Tuple[str, ...], List[RowKey]] = {}
        parts: Dict[RowKey, Dict[str, Dict[str, Any]]] = {}

        def release(key: RowKey) -> None:
            got = pending.pop(key)
            group = tuple(s for s in sources if s in got)
            ready.setdefault(group, []).append(key)
            parts[key] = got

        def take(group: Tuple[str, ...], keys: List[RowKey]) -> _Batch:
            keys = sorted(keys)
            args = tuple([parts[k][s] for k in keys] for s in group)
            for k in keys:
                del parts[k]
            return keys, args

        async for source, rows in self.inboxes[name]:
            if rows is None:
                finished.add(source)
                for key in [k for k, got in pending.items() if all(s in got or s in finished for s in sources)]:
                    release(key)
            else:
                for key, row in self._skip_done(name, rows):
                    got = pending.setdefault(key, {})
                    got[source] = row
                    if all(s in got or s in finished for s in sources):
                        release(key)
            for group in list(ready):
                while size is not None and len(ready[group]) >= size:
                    chunk, ready[group] = ready[group][:size], ready[group][size:]
                    yield take(group, chunk)
        for group, keys in ready.items():
            if keys:
                yield take(group, keys)


def _runs_rows_async(step: "_Step") -> bool:
    from distilabel.models.llms.base import AsyncLLM
    from distilabel.steps.tasks.base import Task

    return (
        isinstance(step, Task)
        and step.is_normal
        and isinstance(step.llm, AsyncLLM)
        and not step.llm.use_offline_batch_generation
        and type(step).process is Task.process
    )


def _take(iterator: Iterator[Any], count: int) -> List[Any]:
    return list(itertools.islice(iterator, count))


def _collect(step: "_Step", args: Tuple[List[Dict[str, Any]], ...]) -> List[Dict[str, Any]]:
    rows: List[Dict[str, Any]] = []
    for batch in step.process_applying_mappings(*args):  # type: ignore[attr-defined]
        rows.extend(batch)
    return rows


def _keyed(keys: List[RowKey], rows: List[Dict[str, Any]]) -> List[KeyedRow]:
    """Give output rows keys: the input's key when one row came out per input, else sub-keys."""
    if len(rows) == len(keys):
        return list(zip(keys, rows, strict=False))
    base = min(keys) if keys else ()
    return [((*base, j), row) for j, row in enumerate(rows)]


def _rebuildable(error: Exception) -> bool:
    try:
        type(error)("probe")
    except Exception:
        return False
    return True
