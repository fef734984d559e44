"""Progress of a blocking ``generate`` call while it runs, for the live progress display.

A sync LLM that generates its inputs one after another (llama.cpp on a CPU) may
spend minutes in one batch; without this the display would show the batch's rows
"in flight" and no tokens until the whole batch returns. The engine sets a
listener for the worker thread that runs a batch (``listening``); the LLM calls
``report_generated`` with each input's output as it finishes it. A thread without
a listener (an LLM used outside a pipeline) ignores the reports.
"""

import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Optional

_local = threading.local()

Listener = Callable[[Any], None]


@contextmanager
def listening(listener: Listener) -> Iterator[None]:
    """Send the outputs reported in this thread to ``listener`` until the block ends."""
    previous: Optional[Listener] = getattr(_local, "listener", None)
    _local.listener = listener
    try:
        yield
    finally:
        _local.listener = previous


def report_generated(output: Any) -> None:
    """Tell this thread's listener, if any, that one input's ``output`` is finished."""
    listener = getattr(_local, "listener", None)
    if listener is not None:
        try:
            listener(output)
        except Exception:  # the display must never break a generation
            pass


__all__ = ["listening", "report_generated"]
