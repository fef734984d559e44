"""How a run's progress is shown: one line per step, refreshed where it is watched.

``snapshot`` turns the counters into what a person reads for each step: rows done
of the total (when it is known), the rate, the time left, requests in flight
against the LLM's concurrency limit, retries, failed rows, tokens per second and
the cost so far. The displays show the same snapshot:

- ``LiveDisplay``: on a terminal, a ``rich`` table refreshed in place (the run
  folder printed once above it); log records print above the table, never inside it.
- ``NotebookDisplay``: in a Jupyter kernel, one output updated in place.
- ``LogDisplay``: without either (CI, a log file), one compact log record every
  ``DISTILABEL_PROGRESS_INTERVAL`` seconds (default 15) and always one at the end.

``DISTILABEL_PROGRESS`` picks one: ``auto`` (the default), ``live``, ``notebook``,
``log``, or ``0`` / ``off`` for none.
"""

import html
import logging
import os
import sys
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Deque, Dict, List, Optional, Tuple

if TYPE_CHECKING:
    from distilabel.pipeline.progress import Progress, StepCounters

PROGRESS_ENV = "DISTILABEL_PROGRESS"
INTERVAL_ENV = "DISTILABEL_PROGRESS_INTERVAL"
DEFAULT_LOG_INTERVAL = 15.0
LIVE_REFRESH = 0.25
NOTEBOOK_REFRESH = 0.5
# The rate and the time left are measured over this many recent seconds.
RATE_WINDOW = 20.0

# Log records of the periodic progress line: a live display filters them out of the console.
progress_logger = logging.getLogger("distilabel.progress")


@dataclass
class StepSnapshot:
    """One step's line of the display."""

    name: str
    done: int
    total: Optional[int]
    rate: float
    eta: Optional[float]
    in_flight: int
    limit: Optional[int]
    retries: int
    failed: int
    tokens_per_second: float
    output_tokens: int
    cost_usd: Optional[float]
    finished: bool

    @property
    def percent(self) -> Optional[float]:
        if self.total is None or self.total <= 0:
            return None
        return min(100.0, 100.0 * self.done / self.total)


class _Snapshots:
    """Builds the snapshots of a run's steps, keeping recent samples for the rates."""

    def __init__(self, progress: "Progress") -> None:
        self.progress = progress
        self.samples: Dict[str, Deque[Tuple[float, int]]] = {name: deque() for name in progress.steps}
        self.before: Dict[str, Dict[str, Any]] = {}
        self.last_done: Dict[str, int] = {}
        pipeline = progress.pipeline
        self.llms: Dict[str, Any] = {}
        if pipeline is not None:
            for name in progress.steps:
                llm = getattr(pipeline.dag.get(name), "llm_in_use", None)
                if llm is not None:
                    self.llms[name] = llm
                    self.before[name] = _stats(llm)

    def take(self) -> List[StepSnapshot]:
        now = time.monotonic()
        return [self._one(name, counters, now) for name, counters in self.progress.steps.items()]

    def _one(self, name: str, counters: "StepCounters", now: float) -> StepSnapshot:
        pipeline = self.progress.pipeline
        step = pipeline.dag.get(name) if pipeline is not None else None
        generator = bool(getattr(step, "is_generator", False)) if step is not None else counters.rows_in == 0
        done = counters.rows_out if generator else counters.inputs_done
        # A finished batch leaves its partial count a moment before its rows are counted.
        done = max(done, self.last_done.get(name, 0))
        self.last_done[name] = done
        finished = counters.finished is not None
        total = done if finished else (counters.total if generator else self._expected_inputs(name))
        if total is not None and total < done:
            total = None  # an estimate proved wrong: say nothing rather than something false
        samples = self.samples[name]
        samples.append((now, done))
        while len(samples) > 2 and now - samples[0][0] > RATE_WINDOW:
            samples.popleft()
        elapsed = counters.elapsed
        if finished or len(samples) < 2 or now - samples[0][0] < 1.0:
            rate = done / elapsed if elapsed > 0 else 0.0
        else:
            rate = (done - samples[0][1]) / (now - samples[0][0])
        eta = (total - done) / rate if total is not None and rate > 0 and not finished else None
        llm = self.llms.get(name)
        stats = _stats(llm) if llm is not None else {}
        before = self.before.get(name, {})
        if "requests_in_flight" in stats:
            # Before its first request an LLM has no limiter yet: its configured limit then.
            limit = stats.get("concurrency_limit") or getattr(llm, "max_concurrent_requests", None)
            in_flight = int(stats["requests_in_flight"])
        else:
            in_flight, limit = max(counters.in_flight - counters.partial_rows, 0), None
        output_tokens = counters.live_output_tokens
        return StepSnapshot(
            name=name,
            done=done,
            total=total,
            rate=rate,
            eta=eta,
            in_flight=in_flight,
            limit=int(limit) if limit is not None else None,
            retries=max(int(stats.get("retries", 0)) - int(before.get("retries", 0)), 0),
            failed=counters.failed,
            tokens_per_second=output_tokens / elapsed if elapsed > 0 else 0.0,
            output_tokens=output_tokens,
            cost_usd=getattr(counters, "cost_usd", None),
            finished=finished,
        )

    def _expected_inputs(self, name: str) -> Optional[int]:
        """How many inputs step ``name`` will get, when its upstream steps tell (else ``None``)."""
        pipeline = self.progress.pipeline
        if pipeline is None:
            return None
        total = 0
        for predecessor in pipeline.dag.predecessors(name):
            if predecessor in pipeline.routing_batch_functions:
                return None  # a router sends each batch to some of its successors only
            rows = self._expected_outputs(predecessor)
            if rows is None:
                return None
            total += rows
        return total

    def _expected_outputs(self, name: str) -> Optional[int]:
        counters = self.progress.steps[name]
        if counters.finished is not None:
            return counters.rows_out
        step = self.progress.pipeline.dag.get(name)  # type: ignore[union-attr]
        if getattr(step, "is_generator", False):
            return counters.total
        inputs = self._expected_inputs(name)
        if inputs is None:
            return None
        done = max(counters.rows_in - counters.in_flight, 0)
        # Rows out per input so far (num_generations, filters), else one per input.
        ratio = counters.rows_out / done if done and counters.rows_out else 1.0
        return round(inputs * ratio)


def _stats(llm: Any) -> Dict[str, Any]:
    try:
        return llm.request_stats()
    except Exception:
        return {}


# --- text ----------------------------------------------------------------------------------------


def format_duration(seconds: Optional[float]) -> str:
    if seconds is None:
        return "-"
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def format_count(value: float) -> str:
    if value >= 10_000_000:
        return f"{value / 1_000_000:.0f}M"
    if value >= 100_000:
        return f"{value / 1000:.0f}k"
    return f"{int(value)}"


def format_cost(cost: Optional[float]) -> str:
    if cost is None:
        return "-"
    if 0 < cost < 0.0001:
        return "<$0.0001"
    return f"${cost:.4f}" if cost < 1 else f"${cost:.2f}"


def _rows(snapshot: StepSnapshot) -> str:
    if snapshot.total is None:
        return format_count(snapshot.done)
    return f"{format_count(snapshot.done)}/{format_count(snapshot.total)}"


def _flight(snapshot: StepSnapshot) -> str:
    return f"{snapshot.in_flight}/{snapshot.limit}" if snapshot.limit is not None else str(snapshot.in_flight)


COLUMNS = ("step", "rows", "%", "rows/s", "ETA", "in flight", "retries", "failed", "tok/s", "cost")


def cells(snapshot: StepSnapshot) -> List[str]:
    percent = snapshot.percent
    return [
        snapshot.name,
        _rows(snapshot),
        f"{percent:.0f}%" if percent is not None else "-",
        f"{snapshot.rate:.1f}" if snapshot.rate < 100 else f"{snapshot.rate:.0f}",
        "done" if snapshot.finished else format_duration(snapshot.eta),
        _flight(snapshot),
        str(snapshot.retries),
        str(snapshot.failed),
        f"{snapshot.tokens_per_second:.0f}",
        format_cost(snapshot.cost_usd) if snapshot.cost_usd else "-",
    ]


def log_line(snapshots: List[StepSnapshot], elapsed: float, final: bool = False) -> str:
    """One compact line for every step: ``name done/total (pct%) rate/s ETA ... | next step``."""
    parts = []
    for snapshot in snapshots:
        percent = snapshot.percent
        text = f"{snapshot.name} {_rows(snapshot)}" + (f" ({percent:.0f}%)" if percent is not None else "")
        if snapshot.finished:
            text += " done"
        else:
            text += f" {snapshot.rate:.1f} rows/s"
            if snapshot.eta is not None:
                text += f" ETA {format_duration(snapshot.eta)}"
        if snapshot.in_flight or snapshot.limit is not None:
            text += f" {_flight(snapshot)} in flight"
        if snapshot.retries:
            text += f" {snapshot.retries} retries"
        if snapshot.failed:
            text += f" {snapshot.failed} failed"
        if snapshot.output_tokens:
            text += f" {snapshot.tokens_per_second:.0f} tok/s"
        if snapshot.cost_usd:
            text += f" {format_cost(snapshot.cost_usd)}"
        parts.append(text)
    head = "Progress (end)" if final else "Progress"
    return f"{head} {format_duration(elapsed)}: " + " | ".join(parts)


# Headers for terminals narrower than 100 columns: the table then fits in 80.
SHORT_COLUMNS = ("step", "rows", "%", "rows/s", "ETA", "flight", "retry", "fail", "tok/s", "cost")


def rich_table(snapshots: List[StepSnapshot], elapsed: float, width: int = 120) -> Any:
    from rich.table import Table
    from rich.text import Text

    narrow = width < 100
    table = Table(
        box=None, pad_edge=False, padding=(0, 1), collapse_padding=True, header_style="bold", caption_justify="left"
    )
    for column in SHORT_COLUMNS if narrow else COLUMNS:
        if column == "step":
            table.add_column(column, no_wrap=True, overflow="ellipsis", style="cyan", max_width=18 if narrow else 32)
        else:
            table.add_column(column, justify="right", no_wrap=True)
    for snapshot in snapshots:
        row = [Text(value) for value in cells(snapshot)]
        if snapshot.failed:
            row[7].stylize("red")
        if snapshot.finished:
            row[4].stylize("green")
        table.add_row(*row)
    table.caption = f"elapsed {format_duration(elapsed)}"
    return table


def html_table(snapshots: List[StepSnapshot], elapsed: float, run_dir: Any) -> str:
    head = "".join(f"<th style='text-align:{'left' if c == 'step' else 'right'};padding:0 8px'>{c}</th>"
                   for c in COLUMNS)
    rows = []
    for snapshot in snapshots:
        tds = "".join(
            f"<td style='text-align:{'left' if i == 0 else 'right'};padding:0 8px'>{html.escape(value)}</td>"
            for i, value in enumerate(cells(snapshot))
        )
        rows.append(f"<tr>{tds}</tr>")
    folder = f"<div>Run folder: <code>{html.escape(str(run_dir))}</code></div>" if run_dir else ""
    return (
        f"<div class='distilabel-progress'>{folder}<table style='font-family:monospace'><thead><tr>{head}"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table><div>elapsed {format_duration(elapsed)}</div></div>"
    )


def text_table(snapshots: List[StepSnapshot], elapsed: float) -> str:
    rows = [list(COLUMNS), *(cells(s) for s in snapshots)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(value.ljust(widths[i]) if i == 0 else value.rjust(widths[i]) for i, value in enumerate(row))
        for row in rows
    ]
    return "\n".join([*lines, f"elapsed {format_duration(elapsed)}"])


# --- displays --------------------------------------------------------------------------------------


class Display:
    """No display: the counters still feed the summary."""

    refresh_seconds = 3600.0

    def __init__(self, progress: "Progress") -> None:
        self.progress = progress
        self.snapshots = _Snapshots(progress)

    def start(self) -> None:
        pass

    def update(self) -> None:
        pass

    def stop(self) -> None:
        pass


class LogDisplay(Display):
    """A compact log record every ``interval`` seconds, and one at the end."""

    def __init__(self, progress: "Progress", interval: float) -> None:
        super().__init__(progress)
        self.refresh_seconds = interval

    def start(self) -> None:
        if self.progress.run_dir is not None:
            progress_logger.info("Run folder: %s", self.progress.run_dir)

    def update(self) -> None:
        progress_logger.info(log_line(self.snapshots.take(), self.progress.elapsed))

    def stop(self) -> None:
        progress_logger.info(log_line(self.snapshots.take(), self.progress.elapsed, final=True))


class _ConsoleLogs:
    """While a display owns the console: log records go through ``stream`` and periodic
    progress records stay out of the console (they still reach log files)."""

    def __init__(self) -> None:
        self.swapped: List[Tuple[logging.StreamHandler, Any]] = []
        self.filtered: List[logging.Handler] = []

    @staticmethod
    def _console_handlers() -> List[logging.StreamHandler]:
        consoles = {id(sys.stderr), id(sys.stdout), id(sys.__stderr__), id(sys.__stdout__)}
        handlers: List[logging.StreamHandler] = []
        for name in (None, "distilabel"):
            for handler in logging.getLogger(name).handlers:
                if (
                    type(handler) is logging.StreamHandler
                    and id(getattr(handler, "stream", None)) in consoles
                    and handler not in handlers
                ):
                    handlers.append(handler)
        return handlers

    def take(self, handlers: List[logging.StreamHandler], streams: Optional[Dict[int, Any]] = None) -> None:
        """Filter ``handlers``; ``streams`` maps a handler's id to the stream it writes to from now on."""
        for handler in handlers:
            handler.addFilter(_drop_progress)
            self.filtered.append(handler)
            stream = (streams or {}).get(id(handler))
            if stream is not None and handler.stream is not stream:
                self.swapped.append((handler, handler.stream))
                handler.setStream(stream)

    def give_back(self) -> None:
        for handler, stream in self.swapped:
            handler.setStream(stream)
        for handler in self.filtered:
            handler.removeFilter(_drop_progress)
        self.swapped, self.filtered = [], []


def _drop_progress(record: logging.LogRecord) -> bool:
    return record.name != progress_logger.name


class LiveDisplay(Display):
    """A ``rich`` table on the terminal, refreshed in place; it stays on screen at the end."""

    refresh_seconds = LIVE_REFRESH

    def __init__(self, progress: "Progress", console: Any = None) -> None:
        super().__init__(progress)
        from rich.console import Console

        self.console = console if console is not None else Console(file=sys.stderr)
        self.live: Any = None
        self.logs = _ConsoleLogs()

    def _renderable(self) -> Any:
        return rich_table(self.snapshots.take(), self.progress.elapsed, self.console.width)

    def start(self) -> None:
        from rich.live import Live

        if self.progress.run_dir is not None:
            self.console.print(f"Run folder: {self.progress.run_dir}", highlight=False, soft_wrap=True)
        self.live = Live(
            self._renderable(),
            console=self.console,
            auto_refresh=False,
            transient=False,
            redirect_stdout=True,
            redirect_stderr=True,
        )
        handlers = self.logs._console_handlers()
        outs = {id(sys.stdout), id(sys.__stdout__)}
        # Which handlers wrote to stdout, known before rich replaces sys.stdout with its proxy.
        kinds = {id(handler): "stdout" if id(handler.stream) in outs else "stderr" for handler in handlers}
        self.live.start()
        # Records of handlers made before the display print above it (through rich's proxies).
        proxies = {name: stream if type(stream).__name__ == "FileProxy" else None
                   for name, stream in (("stdout", sys.stdout), ("stderr", sys.stderr))}
        self.logs.take(handlers, {id(handler): proxies[kinds[id(handler)]] for handler in handlers})

    def update(self) -> None:
        if self.live is not None:
            self.live.update(self._renderable(), refresh=True)

    def stop(self) -> None:
        if self.live is None:
            return
        try:
            self.live.update(self._renderable(), refresh=True)
        finally:
            self.logs.give_back()
            self.live.stop()
            self.live = None


class NotebookDisplay(Display):
    """One output of the running cell, updated in place (``display_id``)."""

    refresh_seconds = NOTEBOOK_REFRESH

    def __init__(self, progress: "Progress") -> None:
        super().__init__(progress)
        self.handle: Any = None
        self.logs = _ConsoleLogs()

    def _bundle(self) -> Dict[str, str]:
        snapshots, elapsed = self.snapshots.take(), self.progress.elapsed
        run_dir = self.progress.run_dir
        text = (f"Run folder: {run_dir}\n" if run_dir else "") + text_table(snapshots, elapsed)
        return {"text/plain": text, "text/html": html_table(snapshots, elapsed, run_dir)}

    def start(self) -> None:
        from IPython.display import display

        self.logs.take(self.logs._console_handlers())
        self.handle = display(self._bundle(), raw=True, display_id=True)

    def update(self) -> None:
        if self.handle is not None:
            self.handle.update(self._bundle(), raw=True)

    def stop(self) -> None:
        try:
            self.update()
        finally:
            self.logs.give_back()
            self.handle = None


def in_notebook() -> bool:
    """Whether this process is a Jupyter kernel (IPython with a kernel attached)."""
    if "IPython" not in sys.modules:
        return False
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except Exception:
        return False
    return shell is not None and getattr(shell, "kernel", None) is not None


def _interval(default: Optional[float]) -> float:
    raw = os.environ.get(INTERVAL_ENV)
    if raw:
        try:
            value = float(raw)
            if value > 0:
                return value
        except ValueError:
            pass
        logging.getLogger("distilabel.pipeline").warning(
            "%s=%r is not a positive number of seconds; using %s", INTERVAL_ENV, raw, default or DEFAULT_LOG_INTERVAL
        )
    return default if default is not None else DEFAULT_LOG_INTERVAL


def choose_display(progress: "Progress", interval: Optional[float] = None) -> Display:
    """The display ``DISTILABEL_PROGRESS`` asks for, or the one that fits (``auto``)."""
    mode = os.environ.get(PROGRESS_ENV, "auto").strip().lower()
    if mode in ("0", "off", "false", "no", "none"):
        return Display(progress)
    if mode == "log":
        return LogDisplay(progress, _interval(interval))
    if mode in ("live", "rich", "tty"):
        return LiveDisplay(progress)
    if mode in ("notebook", "jupyter") or (mode == "auto" and in_notebook()):
        return NotebookDisplay(progress)
    if mode == "auto" and _is_terminal(sys.stderr):
        return LiveDisplay(progress)
    return LogDisplay(progress, _interval(interval))


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty()) and os.environ.get("TERM") != "dumb"
    except Exception:
        return False


__all__ = [
    "INTERVAL_ENV",
    "PROGRESS_ENV",
    "Display",
    "LiveDisplay",
    "LogDisplay",
    "NotebookDisplay",
    "StepSnapshot",
    "choose_display",
    "in_notebook",
    "log_line",
]
