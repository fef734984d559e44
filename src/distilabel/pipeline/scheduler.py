"""The scheduler: runs every step of a pipeline as one coroutine on one event loop.

Each step reads its inbox and sends its rows to its successors' inboxes
(``channels.py``). Rows carry a key (their position in the input), so they can
travel out of order and still be put back in order at the end, and joined again
where branches meet (``join.py``). How a step runs is what the step says it needs
(``_Step.runs_rows_async`` and friends, in ``steps/base.py``):

- A generator step yields batches; each is keyed and sent on.
- A step that ``runs_rows_async`` (a Task on an ``AsyncLLM``) gets its rows one
  by one on the loop, at most ``row_concurrency`` in flight, and each row moves on
  as soon as its answer arrives: no batch waits for its slowest request.
- Other steps (user code, local models, sync LLMs) get batches of
  ``input_batch_size`` rows and run ``process`` in a worker thread, up to
  ``resources.replicas`` batches at a time; a global step gets all its rows in
  one batch.

Every step appends its finished rows to its ``RowStore`` as they come and, on a
resumed run, first sends on the rows it kept from an earlier run (a replay) and
skips the inputs they came from. The first failure of any step stops the others.

The steps run in load stages (``load_stages.py``): one stage of every step unless
``load_groups`` say otherwise. A stage's steps are loaded, run and unloaded before
the next stage loads; rows sent to a step of a later stage are not held in memory:
that step reads them from its predecessors' stores when its stage starts (the same
replay that sends on resumed rows). Where the work of a step runs (threads here,
Ray actors) is the executor's business (``executors.py``); everything else stays here.
"""

import asyncio
import itertools
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Set, Tuple

from distilabel.pipeline.channels import Channels
from distilabel.pipeline.executors import LocalExecutor, StepExecutor
from distilabel.pipeline.join import input_batches
from distilabel.pipeline.progress import Progress
from distilabel.pipeline.resume import StepResume
from distilabel.pipeline.row_store import DONE_FILE, Group, KeyedRow, RowKey, RowStore
from distilabel.pipeline.task_group import TaskGroup

if TYPE_CHECKING:
    from distilabel.pipeline.base import BasePipeline
    from distilabel.steps.base import _Step

logger = logging.getLogger("distilabel.pipeline")


class Scheduler:
    """One run of a pipeline's steps: load them, run them all, unload them.

    Args:
        pipeline: the pipeline to run.
        order: its steps in topological order.
        run_dir: the run's folder (the steps' stores are under ``steps/``).
        dry_run: stop each generator after its first batch.
        resume: what each step reuses from earlier runs (its store already holds those rows).
        stages: the load stages, each a list of step names (default: one stage of every step).
        executor: where the steps' work runs (default: this process, ``LocalExecutor``).
    """

    def __init__(
        self,
        pipeline: "BasePipeline",
        order: List[str],
        run_dir: Path,
        dry_run: bool = False,
        resume: Optional[Dict[str, StepResume]] = None,
        stages: Optional[List[List[str]]] = None,
        executor: Optional[StepExecutor] = None,
    ) -> None:
        self.pipeline = pipeline
        self.dag = pipeline.dag
        self.order = order
        self.run_dir = run_dir
        self.dry_run = dry_run
        self.resume = resume if resume is not None else {name: StepResume() for name in order}
        self.progress = Progress(order)
        self.channels = Channels(self.dag, order, pipeline.routing_batch_functions, self.progress)
        self.stages = stages if stages is not None else [list(order)]
        self.work = executor if executor is not None else LocalExecutor()
        self.work.bind(self)
        # What each stage loaded and has not unloaded yet.
        self._loaded: List[str] = []
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
            await self.work.start()
            for name in self.order:
                self.channels.stores[name] = RowStore(
                    self.run_dir / "steps" / name, fresh=not self.resume[name].replay_bytes
                )
                step = self.step(name)
                if step.is_generator:
                    self.progress[name].total = getattr(step, "total_rows", None)
                if hasattr(step, "_counters"):
                    step._counters = self.progress[name]
            self.progress.attach(self.pipeline, self.run_dir)
            reporter = asyncio.ensure_future(self.progress.run_reporter())
            for stage in self.stages:
                await self._run_stage(stage)
        finally:
            if reporter is not None:
                reporter.cancel()
            self.channels.close_stores()
            try:
                await self._unload(self._loaded)
            finally:
                await self.work.close()
                self.executor.shutdown(wait=False, cancel_futures=True)

    async def _run_stage(self, stage: List[str]) -> None:
        """Load the steps of one stage, run them to the end, unload them."""
        members = set(stage)
        self.channels.live = members
        # Steps never loaded (every row reused) cannot hold on to an LLM another step shares.
        to_load = [name for name in stage if not self.resume[name].complete]
        self._loaded = to_load
        await self.work.load(to_load)
        runners = [asyncio.ensure_future(self._run_step(name)) for name in stage]
        # The rows earlier stages sent to this one wait in their senders' stores.
        earlier = sorted(
            {p for name in stage for p in self.dag.predecessors(name) if p not in members},
            key=self.order.index,
        )
        runners += [asyncio.ensure_future(self._feed_from_store(name, members)) for name in earlier]
        try:
            done, _ = await asyncio.wait(runners, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                if task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            for task in runners:
                task.cancel()
            await asyncio.gather(*runners, return_exceptions=True)
        await self._unload(to_load)

    async def _unload(self, names: List[str]) -> None:
        loaded, self._loaded = names, []
        if loaded:
            await self.work.unload(loaded)

    async def _feed_from_store(self, name: str, members: Set[str]) -> None:
        """Send every row step ``name`` (of an earlier stage) stored to its successors in this stage."""
        await self._replay(name, limit=None, counted=False)
        await self.channels.close(name, only=members)

    async def _run_step(self, name: str) -> None:
        step = self.step(name)
        counters = self.progress[name]
        # The rows reused from an earlier run go on while the step works on the rest.
        replay = asyncio.ensure_future(self._replay(name, self.resume[name].replay_bytes))
        try:
            if step.is_generator:
                if not self.resume[name].complete:
                    await self._run_generator(name)
            elif step.runs_rows_async:
                await self._run_rows(name)
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
            await self.channels.close(name)

    async def _replay(self, name: str, limit: Optional[int], counted: bool = True) -> None:
        """Send on the rows stored for this step (the first ``limit`` bytes; all with ``None``), as routed then.

        With a limit: the rows kept from an earlier run, sent on as the step starts.
        Without one (``counted=False``): every row of a step of an earlier stage, for its
        successors in this stage.
        """
        if limit is not None and not limit:
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
                        await self.channels.send(name, rows, replayed=True, to=chunk[start].to, counted=counted)
                        start = end
        finally:
            await self._in_thread(groups.close)

    def _skip_done(self, name: str, rows: Optional[List[KeyedRow]]) -> List[KeyedRow]:
        """``rows`` without those whose input this step finished in an earlier run."""
        done = self.resume[name].done
        if not rows or not done:
            return rows or []
        kept = [item for item in rows if item[0] not in done]
        self.progress[name].skipped += len(rows) - len(kept)
        return kept

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
                    await self.channels.send(name, rows)
                index += len(batch)
                if last or self.dry_run:
                    break
        finally:
            await self._in_thread(generator.close)

    # --- steps that take their rows one at a time, on the loop: a sliding window -----------------

    async def _run_rows(self, name: str) -> None:
        process_row = self.work.row_processor(name)
        window = asyncio.Semaphore(self.work.row_concurrency(name))
        async with TaskGroup() as children:
            async for _, items in self.channels.inbox(name):
                for key, row in self._skip_done(name, items):
                    await window.acquire()
                    children.spawn(self._process_row(name, process_row, key, row), window)

    async def _process_row(self, name: str, process_row: Any, key: RowKey, row: Dict[str, Any]) -> None:
        counters = self.progress[name]
        counters.rows_in += 1
        counters.in_flight += 1
        try:
            rows = await process_row(row)
        finally:
            counters.in_flight -= 1
        await self.channels.send(name, _keyed([key], rows), [key])

    # --- batch steps, run in worker threads -----------------------------------------------------------

    async def _run_batches(self, name: str) -> None:
        step = self.step(name)
        slots = asyncio.Semaphore(self.work.batch_slots(name))
        size = None if step.is_global else step.input_batch_size  # type: ignore[attr-defined]
        batches = input_batches(
            self.channels.inbox(name),
            self.dag.predecessors(name),
            size,
            step.takes_inputs_per_predecessor,
            lambda rows: self._skip_done(name, rows),
        )
        async with TaskGroup() as children:
            async for keys, args in batches:
                await slots.acquire()
                children.spawn(self._process_batch(name, keys, args), slots)

    async def _process_batch(self, name: str, keys: List[RowKey], args: Tuple[List[Dict[str, Any]], ...]) -> None:
        counters = self.progress[name]
        counters.rows_in += len(keys)
        counters.in_flight += len(keys)
        try:
            outputs = await self.work.process_batch(name, args)
        finally:
            counters.in_flight -= len(keys)
        await self.channels.send(name, _keyed(keys, outputs), keys)


def _take(iterator: Iterator[Any], count: int) -> List[Any]:
    return list(itertools.islice(iterator, count))


def _keyed(keys: List[RowKey], rows: List[Dict[str, Any]]) -> List[KeyedRow]:
    """Give output rows keys: the input's key when one row came out per input, else sub-keys."""
    if len(rows) == len(keys):
        return list(zip(keys, rows, strict=False))
    base = min(keys) if keys else ()
    return [((*base, j), row) for j, row in enumerate(rows)]


__all__ = ["Scheduler"]
