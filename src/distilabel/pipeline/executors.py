"""Where a step's work runs: the scheduler decides what to run and when, an executor runs it.

The scheduler (``scheduler.py``) owns the rows: inboxes, row stores, resume, routing
and the counters stay on the driver whatever the executor. An executor answers only
how a step is loaded and unloaded, and how a batch (``process``) or one row (a step
that ``runs_rows_async``) becomes output rows:

- ``LocalExecutor`` (``Pipeline``): in this process, ``process`` in worker threads
  and rows on the scheduler's event loop.
- ``RayExecutor`` (``RayPipeline``, ``ray_executor.py``): in Ray actors, spread over
  the cluster's nodes.
"""

import asyncio
import gc
import logging
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, List, Tuple

if TYPE_CHECKING:
    from distilabel.pipeline.scheduler import Scheduler
    from distilabel.steps.base import _Step

logger = logging.getLogger("distilabel.pipeline")

RowProcessor = Callable[[Dict[str, Any]], Awaitable[List[Dict[str, Any]]]]


class StepExecutor:
    """Runs the work of a run's steps; the base runs it in this process.

    ``bind`` is called once by the scheduler before anything else.
    """

    scheduler: "Scheduler"

    def bind(self, scheduler: "Scheduler") -> None:
        self.scheduler = scheduler

    def step(self, name: str) -> "_Step":
        return self.scheduler.step(name)

    async def start(self) -> None:
        """Acquire what the executor itself needs (e.g. a connection to a cluster)."""

    async def load(self, names: List[str]) -> None:
        """Load the steps ``names`` (at once); a failure names its step."""

        async def load(name: str) -> None:
            try:
                await self.scheduler._in_thread(self.step(name).load)
            except Exception as error:
                if not _rebuildable(error):
                    raise
                raise type(error)(f"Step {name!r} failed to load: {error}") from error

        await asyncio.gather(*(load(name) for name in names))

    async def unload(self, names: List[str]) -> None:
        """Unload the steps ``names`` and free what they held (a failure is logged, not raised)."""
        for name in names:
            step = self.step(name)
            try:
                await step.aunload()
                await self.scheduler._in_thread(step.unload)
            except Exception as error:
                logger.warning("Step %r failed to unload: %s", name, error)
        # A model's memory goes back once nothing refers to it any more, cycles included.
        gc.collect()

    def batch_slots(self, name: str) -> int:
        """How many batches of step ``name`` may be processed at the same time."""
        return self.step(name).resources.replicas

    async def process_batch(self, name: str, args: Tuple[List[Dict[str, Any]], ...]) -> List[Dict[str, Any]]:
        """The rows ``process`` makes of one batch (one list of rows per predecessor when it takes them so)."""
        return await self.scheduler._in_thread(collect_batch, self.step(name), args)

    def row_concurrency(self, name: str) -> int:
        """How many rows of a step that ``runs_rows_async`` may be in flight at once."""
        return self.step(name).row_concurrency

    def row_processor(self, name: str) -> RowProcessor:
        """What to await for each row of a step that ``runs_rows_async``; asked once per run."""
        return self.step(name).row_processor()

    async def close(self) -> None:
        """Give back what ``start`` acquired."""


class LocalExecutor(StepExecutor):
    """Every step in this process: ``process`` in the scheduler's worker threads, rows on its loop."""


def collect_batch(step: "_Step", args: Tuple[List[Dict[str, Any]], ...]) -> List[Dict[str, Any]]:
    """Every row ``process`` yields for one batch."""
    rows: List[Dict[str, Any]] = []
    for batch in step.process_applying_mappings(*args):  # type: ignore[attr-defined]
        rows.extend(batch)
    return rows


def _rebuildable(error: Exception) -> bool:
    try:
        type(error)("probe")
    except Exception:
        return False
    return True


__all__ = ["LocalExecutor", "RowProcessor", "StepExecutor", "collect_batch"]
