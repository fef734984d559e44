"""The progress display as a person sees it: in a pseudo-terminal, and through a pipe.

A child process runs a pipeline of 240 rows against the loopback OpenAI server with
50 ms of latency and 8 requests in flight (about 1.5 s of work).
"""

import os
import pty
import re
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Tuple

import pytest

from tests.conftest import OPENAI_TEST_KEY
from tests.servers.openai_server import OpenAIServer

ROWS = 240
REPO = Path(__file__).resolve().parents[3]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _env(server: OpenAIServer, **extra: str) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISTILABEL_PROGRESS", "PYTEST"))}
    env.update(
        OPENAI_BASE_URL=server.url + "/v1",
        OPENAI_API_KEY=OPENAI_TEST_KEY,
        PYTHONPATH=str(REPO) + os.pathsep + env.get("PYTHONPATH", ""),
        **extra,
    )
    return env


def _command(cache_dir: Path) -> list:
    return [sys.executable, "-m", "tests.unit.pipeline.progress_run", str(cache_dir), str(ROWS)]


def _run_in_terminal(command: list, env: Dict[str, str], timeout: float = 120) -> Tuple[int, str]:
    """Run ``command`` with a pseudo-terminal as its stdin, stdout and stderr; return what it wrote."""
    master, slave = pty.openpty()
    process = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=REPO, close_fds=True)
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif process.poll() is not None:
                break
        returncode = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
    return returncode, b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture
def slow_server(openai_server: OpenAIServer) -> OpenAIServer:
    openai_server.configure(latency=0.05)
    return openai_server


def test_a_terminal_gets_one_table_refreshed_in_place(slow_server: OpenAIServer, tmp_path: Path) -> None:
    env = _env(slow_server, TERM="xterm-256color", COLUMNS="120", LINES="40")
    returncode, output = _run_in_terminal(_command(tmp_path), env)
    assert returncode == 0, output[-3000:]
    assert f"ROWS {ROWS}" in output
    # The run folder, once, before the table.
    assert output.count("Run folder: ") == 1
    header = re.compile(r"step\s+rows\s+%\s+rows/s\s+ETA\s+in flight\s+retries\s+failed\s+tok/s\s+cost")
    plain = ANSI.sub("", output)
    drawn = len(header.findall(plain))
    assert drawn >= 3, plain[-3000:]  # it was refreshed while the run went on
    # Every redraw goes back over the table it replaces (cursor up, erase line): never a second copy below.
    blocks = re.split(r"\x1b\[1mstep", output)
    for between in blocks[1:-1]:
        assert between.count("\x1b[1A") >= 3, repr(between[:400])
    # The table's last state stays: both steps done, every row counted, the limit shown.
    last = plain[plain.rfind("step ") :]
    line = next(line for line in last.splitlines() if line.startswith("text_generation_0"))
    assert re.search(rf"{ROWS}/{ROWS}\s+100%.*done\s+0/8\s+0\s+0\s+\d+", line), line
    assert re.search(r"load_data_from_dicts_0\s+240/240\s+100%", last)
    # Log records print after the table, not inside it.
    assert "Pipeline finished" in plain[plain.rfind("elapsed ") :]


def test_a_pipe_gets_compact_log_lines_and_a_last_one(slow_server: OpenAIServer, tmp_path: Path) -> None:
    env = _env(slow_server, DISTILABEL_PROGRESS_INTERVAL="0.3")
    result = subprocess.run(_command(tmp_path), env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"ROWS {ROWS}" in result.stdout
    assert "\x1b[" not in result.stderr  # no terminal codes in a log
    lines = [line for line in result.stderr.splitlines() if "distilabel.progress" in line]
    assert "Run folder: " in lines[0]
    periodic = [line for line in lines if "Progress " in line and "(end)" not in line]
    assert len(periodic) >= 2, "\n".join(lines)
    assert all("text_generation_0 " in line and "load_data_from_dicts_0 " in line for line in periodic)
    assert any(re.search(r"text_generation_0 \d+/240 \(\d+%\) [\d.]+ rows/s", line) for line in periodic)
    assert any(re.search(r"\d/8 in flight", line) for line in periodic)
    last = lines[-1]
    assert "Progress (end)" in last
    assert "load_data_from_dicts_0 240/240 (100%) done | text_generation_0 240/240 (100%) done 0/8 in flight" in last


def test_a_short_run_through_a_pipe_still_logs_its_last_line(openai_server: OpenAIServer, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "tests.unit.pipeline.progress_run", str(tmp_path), "3"]
    result = subprocess.run(command, env=_env(openai_server), cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if "distilabel.progress" in line]
    assert len(lines) == 2, lines  # the default interval (15 s) never came: the folder and the last line
    assert "text_generation_0 3/3 (100%) done" in lines[1]


def test_progress_can_be_turned_off(openai_server: OpenAIServer, tmp_path: Path) -> None:
    env = _env(openai_server, DISTILABEL_PROGRESS="0", TERM="xterm")
    returncode, output = _run_in_terminal([*_command(tmp_path)[:-1], "3"], env)
    assert returncode == 0, output[-2000:]
    assert "ROWS 3" in output
    assert "Run folder" not in output and "tok/s" not in output and "Progress" not in output
    assert "Pipeline finished" in output  # the summary is still logged
