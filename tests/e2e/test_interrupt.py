"""Ctrl-C during a run: the process stops within seconds, every finished row is on disk, and
it says so in one line (how many rows, where, how to resume) instead of a traceback."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from tests.unit.pipeline.fakes import EchoAsyncLLM

with Pipeline(name="interrupted", cache_dir=sys.argv[1]) as pipeline:
    load = LoadDataFromDicts(data=[{"instruction": f"q{i}"} for i in range(100000)])
    load >> TextGeneration(name="generate", llm=EchoAsyncLLM(delay=0.05, max_concurrent_requests=16))
print(pipeline.run_dir, flush=True)
pipeline.run()
"""


def test_sigint_stops_quickly_and_keeps_finished_rows(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        cwd=REPO,
        env=env,
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
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        started = time.monotonic()
        process.wait(timeout=10)
        assert time.monotonic() - started < 5
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = process.stderr.read()  # type: ignore[union-attr]
    assert process.returncode in (-signal.SIGINT, 130)  # the status of a program stopped by Ctrl-C
    lines = store.read_text().splitlines()
    records = [json.loads(line) for line in lines]  # every line complete: no torn writes
    assert len(records) > 0
    keys = [tuple(r["k"]) for r in records]
    assert len(set(keys)) == len(keys)
    assert all(r["r"]["generation"] == f"Echo: {r['r']['instruction']}" for r in records)
    # No traceback: the run's summary (a few log lines), then one line saying what was saved.
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    err_lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(err_lines) <= 12, stderr
    last = re.fullmatch(
        r"Interrupted: (\d+) finished rows are saved in (.+); run the same command again to resume from them\.",
        err_lines[-1],
    )
    assert last is not None, stderr
    assert int(last.group(1)) == len(records)
    assert Path(last.group(2)) == run_dir
    assert sum("Interrupted:" in line for line in err_lines) == 1  # said once
    # What the task finished, it sent on: the generator's store holds every row the task saw.
    loaded = {tuple(json.loads(line)["k"]) for line in (run_dir / "steps" / "load_data_from_dicts_0" / "rows.jsonl").read_text().splitlines()}
    assert set(keys) <= loaded
