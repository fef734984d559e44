"""Ctrl-C in the middle of a real run: a child process running a pipeline, sent SIGINT once rows are stored."""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from tests.unit.pipeline.fakes import EchoAsyncLLM

with Pipeline(name="interrupted", cache_dir=sys.argv[1]) as pipeline:
    load = LoadDataFromDicts(data=[{"instruction": f"q{i}"} for i in range(int(sys.argv[2]))])
    load >> TextGeneration(name="generate", llm=EchoAsyncLLM(delay=0.05, max_concurrent_requests=16))
print(pipeline.run_dir, flush=True)
pipeline.run()
"""


@dataclass
class InterruptedRun:
    run_dir: Path
    store: Path  # the task's rows.jsonl
    returncode: int
    stderr: str
    stop_seconds: float  # from SIGINT to the process's exit


def interrupt_a_run(cache_dir: Path, rows: int, settle: float = 0.0, stop_timeout: float = 10.0) -> InterruptedRun:
    """Run ``rows`` rows through an echoing task and press Ctrl-C ``settle`` s after its first stored row."""
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(cache_dir), str(rows)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        run_dir = Path(process.stdout.readline().strip())  # type: ignore[union-attr]
        store = run_dir / "steps" / "generate" / "rows.jsonl"
        for _ in range(300):  # bounded: up to 30 s for the run to start producing
            if store.exists() and store.stat().st_size > 0:
                break
            time.sleep(0.1)
        assert store.exists(), "the run never wrote a row"
        time.sleep(settle)
        process.send_signal(signal.SIGINT)
        started = time.monotonic()
        process.wait(timeout=stop_timeout)
        stop_seconds = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return InterruptedRun(run_dir, store, process.returncode, process.stderr.read(), stop_seconds)  # type: ignore[union-attr]
