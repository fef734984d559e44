"""The child tasks of one step (the rows or batches it has in flight), stopped together.

``asyncio.TaskGroup`` does this from Python 3.11 on; this one also runs on 3.10
and releases a caller's concurrency slot however a child ends, even when it is
cancelled before it starts.
"""

import asyncio
from typing import Any, Coroutine, Optional, Set


class TaskGroup:
    """Child tasks of one step; the first failure cancels the others and is re-raised."""

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

    async def __aenter__(self) -> "TaskGroup":
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


__all__ = ["TaskGroup"]
