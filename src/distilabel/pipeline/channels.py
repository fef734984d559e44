"""How rows move between steps: each step's bounded inbox, and sending a step's rows on.

A step's finished rows are written to its ``RowStore`` first and only then put in
the inboxes of its successors (those a routing batch function picks), so a crash
never leaves a row downstream that a later run does not know was finished. The
inboxes are bounded in rows, which bounds the memory of a run by what is in
flight: a fast step waits when a slow successor falls behind.
"""

import asyncio
from collections import deque
from typing import TYPE_CHECKING, AsyncIterator, Collection, Deque, Dict, List, Optional, Set, Tuple

from distilabel.pipeline.row_store import KeyedRow, RowKey, RowStore

if TYPE_CHECKING:
    from distilabel.pipeline.dag import DAG
    from distilabel.pipeline.progress import Progress
    from distilabel.pipeline.routing_batch_function import RoutingBatchFunction

# An inbox holds at least this many rows, and at least two batches of its step.
INBOX_MIN_ROWS = 1000


class Inbox:
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


class Channels:
    """The inboxes of a run's steps, their row stores, and the sending of rows between them.

    Args:
        dag: the pipeline's graph.
        order: the steps in topological order.
        routers: the routing batch function of each step that has one.
        progress: the run's counters (``rows_out`` is counted here).
    """

    def __init__(
        self,
        dag: "DAG",
        order: List[str],
        routers: Dict[str, "RoutingBatchFunction"],
        progress: "Progress",
    ) -> None:
        self.dag = dag
        self.routers = routers
        self.progress = progress
        self.stores: Dict[str, RowStore] = {}
        self.inboxes: Dict[str, Inbox] = {}
        # The steps of the load stage running now (None: all): rows for a step of a later
        # stage stay in the sender's store, where that step reads them at its stage.
        self.live: Optional[Set[str]] = None
        for name in order:
            predecessors = dag.predecessors(name)
            if predecessors:
                capacity = max(INBOX_MIN_ROWS, 2 * getattr(dag.get(name), "input_batch_size", 0))
                self.inboxes[name] = Inbox(predecessors, capacity)

    def inbox(self, name: str) -> Inbox:
        return self.inboxes[name]

    async def send(
        self,
        name: str,
        rows: List[KeyedRow],
        inputs: Optional[List[RowKey]] = None,
        replayed: bool = False,
        to: Optional[List[str]] = None,
        counted: bool = True,
    ) -> None:
        """Store the rows step ``name`` made of ``inputs`` (unless replayed) and send them on.

        Replayed rows go where they went when they were made (``to``); new rows are
        stored with where they go, before they go, so a crash never sends a row on
        that a later run does not know was finished. Only the successors in the
        running load stage get them (``live``); ``counted=False``: not counted again as
        the step's output (rows of an earlier stage read back from its store).
        """
        successors = self.dag.successors(name)
        router = self.routers.get(name)
        if replayed:
            if to is not None:
                successors = [successor for successor in successors if successor in to]
        else:
            if router is not None and successors:
                successors = router(successors)
            self.stores[name].append(rows, inputs, to=successors if router is not None else None)
        if counted:
            self.progress[name].rows_out += len(rows)
        if self.live is not None:
            successors = [successor for successor in successors if successor in self.live]
        if not rows:
            return
        for i, successor in enumerate(successors):
            # Each branch gets its own row dicts, as steps may change rows in place.
            batch = rows if i == len(successors) - 1 else [(key, dict(row)) for key, row in rows]
            await self.inboxes[successor].put(name, batch)

    async def close(self, name: str, only: Optional[Collection[str]] = None) -> None:
        """Tell the successors of step ``name`` (those in ``only``, default: the live ones) that it sends nothing more."""
        only = only if only is not None else self.live
        for successor in self.dag.successors(name):
            if only is None or successor in only:
                await self.inboxes[successor].close(name)

    def close_stores(self) -> None:
        for store in self.stores.values():
            store.close()


__all__ = ["INBOX_MIN_ROWS", "Channels", "Inbox"]
