"""Two runs that share a run folder exclude each other instead of overwriting each other's rows."""

import asyncio
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Dict, List

import pytest

from distilabel.pipeline import Pipeline
from distilabel.pipeline.run_lock import LOCK_FILE, RunFolderLockedError, RunLock
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from tests.unit.pipeline.fakes import EchoAsyncLLM

_REPO = Path(__file__).resolve().parents[3]
_HOLDER = """
import sys
from distilabel.pipeline.run_lock import RunLock
lock = RunLock(sys.argv[1])
print("locked", flush=True)
sys.stdin.readline()
lock.release()
print("released", flush=True)
"""


def _data(n: int) -> List[Dict[str, Any]]:
    return [{"instruction": f"q{i}"} for i in range(n)]


def _pipeline(cache_dir: Path, llm: EchoAsyncLLM, n: int) -> Pipeline:
    with Pipeline(name="shared", cache_dir=cache_dir) as pipeline:
        LoadDataFromDicts(data=_data(n), batch_size=10) >> TextGeneration(llm=llm)
    return pipeline


def test_a_lock_held_by_another_process_stops_with_its_pid(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=_REPO,
        env={**os.environ, "PYTHONPATH": str(_REPO / "src")},
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunFolderLockedError) as caught:
            RunLock(tmp_path)
        assert f"held by process {holder.pid}" in str(caught.value)
        assert str(tmp_path) in str(caught.value)
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "released"
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    # Released (and the holder gone): the folder can be locked again.
    with RunLock(tmp_path) as lock:
        assert lock.held
        assert (tmp_path / LOCK_FILE).read_text().split()[0] == str(os.getpid())
    assert not lock.held


def test_a_killed_holder_leaves_no_lock_behind(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=_REPO,
        env={**os.environ, "PYTHONPATH": str(_REPO / "src")},
    )
    assert holder.stdout.readline().strip() == "locked"
    holder.kill()
    holder.wait(timeout=30)
    holder.stdin.close()
    holder.stdout.close()
    RunLock(tmp_path).release()


def test_a_second_run_of_the_same_folder_fails_and_the_first_keeps_every_row(
    tmp_path: Path,
) -> None:
    started = threading.Event()
    release = threading.Event()

    async def hold(text: str) -> None:
        started.set()
        while not release.is_set():
            await asyncio.sleep(0.01)

    first_llm = EchoAsyncLLM(max_concurrent_requests=4)
    first_llm._hook = hold
    first = _pipeline(tmp_path, first_llm, 40)
    result: Dict[str, Any] = {}

    def run_first() -> None:
        try:
            result["distiset"] = first.run()
        except BaseException as error:  # reported below
            result["error"] = error

    thread = threading.Thread(target=run_first)
    thread.start()
    try:
        assert started.wait(30)
        # Same pipeline, another max_concurrent_requests: the same run folder.
        second = _pipeline(tmp_path, EchoAsyncLLM(max_concurrent_requests=7), 40)
        with pytest.raises(RunFolderLockedError) as caught:
            second.run()
        assert f"held by process {os.getpid()} (this process)" in str(caught.value)
    finally:
        release.set()
        thread.join(60)
    assert "error" not in result, result.get("error")
    train = result["distiset"]["default"]["train"]
    assert train["generation"] == [f"Echo: q{i}" for i in range(40)]
    assert first.last_run_summary.status == "finished"
    assert first.last_run_summary["text_generation_0"]["rows"] == 40
    # Once the first run is over, the second may run: it reuses every row.
    again = _pipeline(tmp_path, EchoAsyncLLM(max_concurrent_requests=7), 40)
    assert again.run()["default"]["train"]["generation"] == [f"Echo: q{i}" for i in range(40)]
    assert again.last_run_summary["text_generation_0"]["resumed_rows"] == 40
