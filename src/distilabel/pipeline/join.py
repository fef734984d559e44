"""Batching a step's input, and joining the rows of several branches by key.

Rows travel out of order, each with its key (its position in the pipeline's
input), so where branches meet the rows made of the same input must be matched
again. A step whose ``process`` takes ``*inputs`` gets one list per upstream step,
with the rows of one key at the same index in each list; any other step gets its
rows as they come, ``input_batch_size`` at a time.
"""

from typing import Any, AsyncIterator, Callable, Dict, List, Optional, Set, Tuple

from distilabel.pipeline.channels import Inbox
from distilabel.pipeline.row_store import KeyedRow, RowKey

# The keys of a batch and the arguments of ``process``: one list of rows per upstream step.
Batch = Tuple[List[RowKey], Tuple[List[Dict[str, Any]], ...]]


async def input_batches(
    inbox: Inbox,
    sources: List[str],
    size: Optional[int],
    per_source: bool,
    skip_done: Callable[[Optional[List[KeyedRow]]], List[KeyedRow]],
) -> AsyncIterator[Batch]:
    """Batches of ``size`` rows (all rows when ``None``) as ``(keys, process args)``.

    Args:
        inbox: the step's inbox.
        sources: the step's upstream steps, in the order ``process`` takes their lists.
        size: rows per batch; ``None`` for one batch of every row (a global step).
        per_source: whether ``process`` takes one list per upstream step (rows joined by key).
        skip_done: drops the rows whose input the step finished in an earlier run.

    With ``per_source``, a key is ready once every upstream step sent it or
    finished without it (e.g. a routing batch function sent it elsewhere); keys
    that came from the same upstream steps are batched together.
    """
    if not per_source:
        buffer: List[KeyedRow] = []
        async for _, rows in inbox:
            buffer.extend(skip_done(rows))
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

    def take(group: Tuple[str, ...], keys: List[RowKey]) -> Batch:
        keys = sorted(keys)
        args = tuple([parts[k][s] for k in keys] for s in group)
        for k in keys:
            del parts[k]
        return keys, args

    async for source, rows in inbox:
        if rows is None:
            finished.add(source)
            for key in [k for k, got in pending.items() if all(s in got or s in finished for s in sources)]:
                release(key)
        else:
            for key, row in skip_done(rows):
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


__all__ = ["Batch", "input_batches"]
