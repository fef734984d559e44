"""Ctrl-C during a run: the process stops within seconds, every finished row is on disk, and
it says so in one line (how many rows, where, how to resume) instead of a traceback."""

import json
import re
import signal
from pathlib import Path

from tests.e2e.interrupting import interrupt_a_run


def test_sigint_stops_quickly_and_keeps_finished_rows(tmp_path: Path) -> None:
    run = interrupt_a_run(tmp_path, rows=100000, settle=0.5, stop_timeout=10)
    assert run.stop_seconds < 5
    run_dir, store, stderr = run.run_dir, run.store, run.stderr
    assert run.returncode in (-signal.SIGINT, 130)  # the status of a program stopped by Ctrl-C
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
