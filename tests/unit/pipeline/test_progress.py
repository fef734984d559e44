"""The progress counters and what the displays make of them (in this process)."""

import logging
import re
import time
from pathlib import Path
from typing import Any, List

import pytest

from distilabel.models.llms.base import LLM
from distilabel.models.llms.outputs import prepare_output
from distilabel.pipeline import Pipeline
from distilabel.pipeline.progress import Progress, StepCounters
from distilabel.pipeline.progress_display import (
    Display,
    LiveDisplay,
    LogDisplay,
    _Snapshots,
    choose_display,
    log_line,
    rich_table,
)
from distilabel.runtime.generation_progress import listening, report_generated
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from tests.unit.pipeline.fakes import EchoAsyncLLM, last_text


class SlowSyncLLM(LLM):
    """A blocking LLM that takes ``delay`` seconds per input, one input after another."""

    delay: float = 0.25
    _generates_one_input_at_a_time = True

    @property
    def model_name(self) -> str:
        return "slow-sync"

    def generate(self, inputs: List[Any], num_generations: int = 1) -> List[Any]:
        outputs = []
        for input in inputs:
            time.sleep(self.delay)
            outputs.append(prepare_output([f"Slow: {last_text(input)}"], [2], [5]))
        return outputs


def test_a_batch_reports_each_finished_input_and_settles_at_the_end() -> None:
    counters = StepCounters("task")
    counters.rows_in, counters.in_flight = 4, 4
    batch = counters.batch_progress()
    with listening(batch.on_output):
        report_generated({"generations": ["a"], "statistics": {"input_tokens": [3], "output_tokens": [7]}})
        report_generated({"generations": [None], "statistics": {}})
    assert counters.partial_rows == 2 and counters.inputs_done == 2
    assert counters.live_output_tokens == 7 and counters.live_input_tokens == 3
    report_generated({"generations": ["ignored"]})  # no listener in this thread: nothing counts
    assert counters.partial_rows == 2
    batch.settle()
    counters.in_flight = 0
    counters.output_tokens = 7
    assert counters.partial_rows == 0 and counters.inputs_done == 4 and counters.live_output_tokens == 7


def test_snapshots_give_totals_rates_and_the_limit(tmp_path: Path) -> None:
    with Pipeline(name="snap", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=[{"instruction": str(i)} for i in range(100)])
        task = TextGeneration(llm=EchoAsyncLLM(max_concurrent_requests=16))
        load >> task
    progress = Progress([load.name, task.name])
    progress.attach(pipeline, tmp_path)
    snapshots = _Snapshots(progress)
    progress[load.name].total = 100
    progress[load.name].rows_out = 100
    progress[load.name].finished = time.monotonic()
    task_counters = progress[task.name]
    task_counters.started = time.monotonic() - 10
    task_counters.rows_in, task_counters.in_flight, task_counters.rows_out = 30, 5, 25
    task_counters.failed = 2
    task_counters.output_tokens = 500
    first, second = snapshots.take()
    assert (first.done, first.total, first.finished) == (100, 100, True)
    assert second.done == 25 and second.total == 100 and second.percent == 25.0
    assert second.limit == 16 and second.in_flight == 0  # no request was sent by this LLM
    assert second.failed == 2 and second.retries == 0
    assert second.rate == pytest.approx(2.5, rel=0.05)
    assert second.eta == pytest.approx(30, rel=0.05)
    assert second.tokens_per_second == pytest.approx(50, rel=0.05)
    line = log_line([first, second], 12.0)
    assert line.startswith("Progress 12s: ")
    assert "load_data_from_dicts_0 100/100 (100%) done" in line
    assert "text_generation_0 25/100 (25%) 2.5 rows/s ETA 30s 0/16 in flight 2 failed 50 tok/s" in line
    from rich.console import Console

    console = Console(record=True, width=120, force_terminal=True)
    console.print(rich_table([first, second], 12.0, console.width))
    text = console.export_text()
    assert "in flight" in text and "25/100" in text and "0/16" in text and "elapsed 12s" in text


def test_the_display_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    progress = Progress(["a"])
    monkeypatch.setenv("DISTILABEL_PROGRESS", "0")
    assert type(choose_display(progress)) is Display
    monkeypatch.setenv("DISTILABEL_PROGRESS", "log")
    monkeypatch.setenv("DISTILABEL_PROGRESS_INTERVAL", "2.5")
    display = choose_display(progress)
    assert isinstance(display, LogDisplay) and display.refresh_seconds == 2.5
    monkeypatch.setenv("DISTILABEL_PROGRESS", "live")
    assert isinstance(choose_display(progress), LiveDisplay)
    monkeypatch.setenv("DISTILABEL_PROGRESS", "auto")
    monkeypatch.setenv("DISTILABEL_PROGRESS_INTERVAL", "soon")
    display = choose_display(progress)  # pytest captures stderr: not a terminal
    assert isinstance(display, LogDisplay) and display.refresh_seconds == 15.0


def test_a_blocking_llm_moves_the_progress_during_its_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DISTILABEL_PROGRESS", "log")
    monkeypatch.setenv("DISTILABEL_PROGRESS_INTERVAL", "0.1")
    with Pipeline(name="sync", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=[{"instruction": f"q{i}"} for i in range(4)])
        task = TextGeneration(llm=SlowSyncLLM(), input_batch_size=4)
        load >> task
    with caplog.at_level(logging.INFO, logger="distilabel"):
        distiset = pipeline.run(use_cache=False)
    assert [row["generation"] for row in distiset["default"]["train"]] == [f"Slow: q{i}" for i in range(4)]
    lines = [r.getMessage() for r in caplog.records if r.name == "distilabel.progress"]
    # One batch of 4 inputs, and yet the line moved input by input while it ran.
    mid_batch = {n for n in range(1, 4) for line in lines if f"text_generation_0 {n}/4 " in line}
    assert len(mid_batch) >= 2, lines
    assert any(re.search(r"text_generation_0 [123]/4 .* [1-9]\d* tok/s", line) for line in lines), lines
    assert "text_generation_0 4/4 (100%) done" in lines[-1]
    summary = pipeline.last_run_summary
    assert summary[task.name]["llm"]["requests"] == 4
    assert summary[task.name]["output_tokens"] == 20 and summary.totals["output_tokens"] == 20
    assert summary.totals["requests"] == 4 and summary.totals["input_tokens"] == 8


def test_log_records_print_above_the_live_table(tmp_path: Path) -> None:
    import io

    from rich.console import Console

    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, width=120)
    progress = Progress(["only"])
    progress.run_dir = tmp_path
    display = LiveDisplay(progress, console=console)
    display.start()
    display.update()
    display.stop()
    text = stream.getvalue()
    assert text.count(f"Run folder: {tmp_path}") == 1
    assert "\x1b[1A" in text or "\x1b[2K" in text  # the update redrew the table in place



