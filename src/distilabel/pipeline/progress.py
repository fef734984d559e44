"""Counters a person can read while a pipeline runs, and the summary at the end.

The scheduler owns one ``Progress`` per run and moves its ``StepCounters``; the
reporter (``Progress.run_reporter``) shows them with the display that fits where
the run is watched (``progress_display.py``): a table refreshed in place on a
terminal, one updated output in a notebook, a compact log line every
``DISTILABEL_PROGRESS_INTERVAL`` seconds otherwise, nothing with
``DISTILABEL_PROGRESS=0``.
"""

import asyncio
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from distilabel.runtime.generation_progress import listening
from distilabel.runtime.rate_limit import used_tokens

if TYPE_CHECKING:
    from distilabel.pipeline.base import BasePipeline

logger = logging.getLogger("distilabel.pipeline")


def error_reason(error: str) -> str:
    """The reason a row failed, as failures are grouped: the error message up to its first colon."""
    return error.split(":", 1)[0][:120]


@dataclass
class StepCounters:
    """What one step has done so far.

    ``partial_rows`` / ``partial_*_tokens`` are what a blocking LLM has finished of
    the batches still running (see ``BatchProgress``); ``skipped`` counts the inputs
    an earlier run already finished.
    """

    name: str
    total: Optional[int] = None
    rows_in: int = 0
    rows_out: int = 0
    failed: int = 0
    in_flight: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0  # new requests only (cache hits are free), updated by RunResources.watch
    errors: Dict[str, int] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    finished: Optional[float] = None
    skipped: int = 0
    partial_rows: int = 0
    partial_input_tokens: int = 0
    partial_output_tokens: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record_error(self, reason: str) -> None:
        self.failed += 1
        short = error_reason(reason)
        self.errors[short] = self.errors.get(short, 0) + 1

    @property
    def elapsed(self) -> float:
        return max((self.finished or time.monotonic()) - self.started, 0.0)

    @property
    def rate(self) -> float:
        elapsed = self.elapsed
        return self.rows_out / elapsed if elapsed > 0 else 0.0

    @property
    def inputs_done(self) -> int:
        """Inputs finished: processed this run (a blocking batch's finished part too), or earlier."""
        return max(self.rows_in - self.in_flight, 0) + self.partial_rows + self.skipped

    @property
    def live_output_tokens(self) -> int:
        return self.output_tokens + self.partial_output_tokens

    @property
    def live_input_tokens(self) -> int:
        return self.input_tokens + self.partial_input_tokens

    def batch_progress(self) -> "BatchProgress":
        return BatchProgress(self)

    def line(self) -> str:
        total = f"/{self.total}" if self.total is not None else ""
        parts = [f"{self.name}: {self.rows_out}{total} rows", f"{self.rate:.1f} rows/s"]
        if self.in_flight:
            parts.append(f"{self.in_flight} in flight")
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.input_tokens or self.output_tokens:
            parts.append(f"tokens {self.input_tokens} in / {self.output_tokens} out")
        if self.finished is not None:
            parts.append("done")
        return ", ".join(parts)


class BatchProgress:
    """What a blocking LLM finished of one batch so far, shown before the batch returns.

    ``run`` calls a function in the worker thread with this batch as the thread's
    listener (``distilabel.runtime.generation_progress``); ``settle`` takes the
    batch's part out of the counters once its rows are counted for real.
    """

    def __init__(self, counters: StepCounters) -> None:
        self.counters = counters
        self.rows = 0
        self.input_tokens = 0
        self.output_tokens = 0

    def on_output(self, output: Any) -> None:
        statistics = output.get("statistics") if isinstance(output, dict) else None
        inputs = used_tokens({"statistics": {"input_tokens": statistics.get("input_tokens")}}) if statistics else 0
        outputs = used_tokens({"statistics": {"output_tokens": statistics.get("output_tokens")}}) if statistics else 0
        counters = self.counters
        with counters._lock:
            self.rows += 1
            self.input_tokens += inputs
            self.output_tokens += outputs
            counters.partial_rows += 1
            counters.partial_input_tokens += inputs
            counters.partial_output_tokens += outputs

    def run(self, function: Callable[..., Any], *args: Any) -> Any:
        with listening(self.on_output):
            return function(*args)

    def settle(self) -> None:
        counters = self.counters
        with counters._lock:
            counters.partial_rows -= self.rows
            counters.partial_input_tokens -= self.input_tokens
            counters.partial_output_tokens -= self.output_tokens
            self.rows = self.input_tokens = self.output_tokens = 0


class Progress:
    """Per-step counters of a run, shown while it goes on (see the module docstring).

    Args:
        names: the steps, in topological order.
        interval: seconds between log lines when no terminal or notebook shows the
            display (``DISTILABEL_PROGRESS_INTERVAL`` overrides it).
    """

    def __init__(self, names: List[str], interval: Optional[float] = None) -> None:
        self.steps: Dict[str, StepCounters] = {name: StepCounters(name) for name in names}
        self.interval = interval
        self.started = time.monotonic()
        self.pipeline: Optional[BasePipeline] = None
        self.run_dir: Optional[Path] = None

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def __getitem__(self, name: str) -> StepCounters:
        return self.steps[name]

    def attach(self, pipeline: "BasePipeline", run_dir: Path) -> None:
        """The pipeline (its graph and LLMs, for totals and request counters) and the run folder."""
        self.pipeline = pipeline
        self.run_dir = run_dir

    def report(self) -> str:
        return "\n".join(counter.line() for counter in self.steps.values())

    async def run_reporter(self) -> None:
        """Show the counters until cancelled (when the run ends), then show them once more."""
        from distilabel.pipeline.progress_display import choose_display

        display = choose_display(self, self.interval)
        now = time.monotonic()
        for counters in self.steps.values():
            # Rates count from when the steps start working, not from before they loaded.
            counters.started = now
        display.start()
        try:
            while True:
                await asyncio.sleep(display.refresh_seconds)
                display.update()
        finally:
            try:
                display.stop()
            except Exception as error:  # the display must never change how a run ends
                logger.debug("The progress display failed to stop: %s", error)

    def summary(self) -> Dict[str, Dict[str, object]]:
        return {
            name: {
                "rows": counter.rows_out,
                "failed": counter.failed,
                "errors": dict(counter.errors),
                "input_tokens": counter.input_tokens,
                "output_tokens": counter.output_tokens,
                "seconds": round(counter.elapsed, 3),
            }
            for name, counter in self.steps.items()
        }
