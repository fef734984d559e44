"""Issue 6 through the pipeline: never pay twice, never lose a row.

``LoadDataFromDicts >> TextGeneration(OpenAILLM)`` with the real openai SDK against
the loopback OpenAI server, which injects faults and counts what it receives; every
assertion on requests reads the server's own counters.
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Iterator, List

import pytest

from distilabel.exceptions import DistilabelCircuitOpenError
from distilabel.models.llms import OpenAILLM
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from tests.e2e.resilience_pipelines import API_KEY, text_generation
from tests.servers.openai_server import OpenAIServer

REPO = Path(__file__).resolve().parents[2]
CHAT = "/v1/chat/completions"


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer(api_key=API_KEY, record_bodies=False, latency=0.002) as server:
        yield server


def generations(distiset) -> List[str]:  # type: ignore[no-untyped-def]
    return distiset["default"]["train"]["generation"]


def expected(rows: int) -> List[str]:
    return [f"Echo: q{i}" for i in range(rows)]


def successes(server: OpenAIServer) -> int:
    return server.stats()["by_path_status"].get(CHAT, {}).get(200, 0)


def stored_keys(path: Path) -> List[tuple]:
    """The keys of the rows a step stored (a line being written right now is left out)."""
    keys = []
    for line in path.read_text().splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "k" in record:
            keys.append(tuple(record["k"]))
    return keys


def assert_spaced(stamps: List[float], per_minute: float, jitter: float = 0.1) -> None:
    """No stretch of time saw more requests than one every ``60 / per_minute`` s (allowing ``jitter``)."""
    rate = per_minute / 60
    stamps = sorted(stamps)
    for i in range(len(stamps)):
        for j in range(i + 1, len(stamps)):
            allowed = 1 + rate * (stamps[j] - stamps[i] + jitter)
            assert j - i + 1 <= allowed, f"{j - i + 1} requests in {stamps[j] - stamps[i]:.3f} s"


# --- faults --------------------------------------------------------------------------------------------


def test_random_429_and_500_over_2000_rows(tmp_path: Path) -> None:
    with OpenAIServer(mode="process", api_key=API_KEY, record_bodies=False) as server:
        server.configure(fault_rate=0.1, fault_statuses=[429, 500], seed=5)
        pipeline = text_generation(tmp_path, server.url + "/v1", 2000, llm_fields={"max_concurrent_requests": 200})
        distiset = pipeline.run()
        assert generations(distiset) == expected(2000)
        stats = server.stats()
        assert successes(server) == 2000  # every row answered exactly once: none duplicated
        assert stats["faults_injected"] > 100
    summary = pipeline.last_run_summary
    assert summary.status == "finished" and summary.leaves == {"generate": 2000}
    assert summary.totals["requests"] == 2000 + stats["faults_injected"]
    assert summary.totals["retries"] == stats["faults_injected"]
    assert summary.totals["failed_rows"] == 0
    failed = summary["generate"]["llm"]["failed_requests"]
    assert set(failed) <= {"HTTP 429", "HTTP 500"} and sum(failed.values()) == stats["faults_injected"]
    written = json.loads((pipeline.run_dir / "summary.json").read_text())
    assert written["totals"] == summary.totals and written["status"] == "finished"


def test_a_429_storm_is_waited_out_without_exceeding_the_rate_limit(server: OpenAIServer, tmp_path: Path) -> None:
    rpm = 2400  # 40 requests per second
    pipeline = text_generation(
        tmp_path, server.url + "/v1", 100, llm_fields={"requests_per_minute": rpm, "max_retries": 60}
    )
    server.configure(fail_all_for=5, fail_all_status=429, retry_after="0.2")
    distiset = pipeline.run()
    assert generations(distiset) == expected(100)
    stats = server.stats()
    assert stats["statuses"][429] > 20 and successes(server) == 100
    assert_spaced(server.timestamps(CHAT), rpm)
    llm = pipeline.last_run_summary["generate"]["llm"]
    assert llm["failed_requests"] == {"HTTP 429": stats["statuses"][429]}
    assert llm["rate_limit_waits"] > 0


def test_an_open_circuit_stops_the_run_keeps_its_rows_and_resumes(server: OpenAIServer, tmp_path: Path) -> None:
    rows = 1000
    fields = {"max_concurrent_requests": 8, "max_retries": 50, "circuit_breaker_seconds": 1}
    pipeline = text_generation(tmp_path, server.url + "/v1", rows, llm_fields=fields)
    store = pipeline.run_dir / "steps" / "generate" / "rows.jsonl"

    def outage() -> None:  # the provider goes down once some rows are done
        for _ in range(3000):  # bounded: 30 s
            if store.exists() and len(stored_keys(store)) >= 50:
                server.configure(fail_all_for=60, fail_all_status=500)
                return
            time.sleep(0.01)

    watcher = threading.Thread(target=outage)
    watcher.start()
    try:
        with pytest.raises(DistilabelCircuitOpenError, match="Finished rows are kept"):
            pipeline.run()
    finally:
        watcher.join()
    assert pipeline.last_run_summary.status == "circuit_open"
    kept = len(stored_keys(store))
    assert 50 <= kept < rows
    server.configure(fail_all_for=0)  # the provider is back
    before = successes(server)
    again = text_generation(tmp_path, server.url + "/v1", rows, llm_fields=fields)
    assert generations(again.run()) == expected(rows)
    assert successes(server) - before == rows - kept  # only the rows not finished were sent
    assert again.last_run_summary["generate"]["resumed_rows"] == kept


# --- resume -------------------------------------------------------------------------------------------


def kill_midway(cache_dir: Path, base_url: str, rows: int, concurrency: int, after_rows: int) -> Path:
    """Run the pipeline in a child process and SIGKILL it once ``after_rows`` rows are stored; its run folder."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.resilience_pipelines", str(cache_dir), base_url, str(rows), str(concurrency)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        run_dir = Path(process.stdout.readline().strip())  # type: ignore[union-attr]
        store = run_dir / "steps" / "generate" / "rows.jsonl"
        for _ in range(3000):  # bounded: 30 s
            if store.exists() and len(stored_keys(store)) >= after_rows:
                break
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return run_dir


def test_sigkill_midway_then_resume_gives_exactly_the_rows_of_a_clean_run(tmp_path: Path) -> None:
    rows, concurrency = 2000, 16
    with OpenAIServer(mode="process", api_key=API_KEY, record_bodies=False, latency=0.005) as server:
        base_url = server.url + "/v1"
        run_dir = kill_midway(tmp_path, base_url, rows, concurrency, after_rows=300)
        store = run_dir / "steps" / "generate" / "rows.jsonl"
        killed_with = len(stored_keys(store))
        assert 300 <= killed_with < rows, "the kill must land in the middle of the run"

        pipeline = text_generation(tmp_path, base_url, rows, llm_fields={"max_concurrent_requests": concurrency})
        assert pipeline.run_dir == run_dir  # the same code is the same pipeline
        distiset = pipeline.run()
        assert generations(distiset) == expected(rows)  # none missing, none duplicated, in order
        keys = stored_keys(store)
        assert sorted(keys) == [(i,) for i in range(rows)]
        assert successes(server) <= rows + concurrency  # only the requests in flight were sent twice
    summary = pipeline.last_run_summary
    assert summary["generate"]["resumed_rows"] >= killed_with
    # Every row not resumed is either sent again or, when its answer was stored before the kill
    # but the row was not, answered from the cache (issue 16); exactly, no more, no fewer.
    llm = summary["generate"]["llm"]
    assert llm["requests"] + llm["cache_hits"] == rows - summary["generate"]["resumed_rows"]


def test_sigkill_at_100_ms_latency_pays_again_only_for_the_requests_in_flight(tmp_path: Path) -> None:
    rows, concurrency = 1000, 64
    with OpenAIServer(mode="process", api_key=API_KEY, record_bodies=False, latency=0.1) as server:
        base_url = server.url + "/v1"
        run_dir = kill_midway(tmp_path, base_url, rows, concurrency, after_rows=200)
        answered_at_kill = successes(server)  # answers the killed run was sent
        store = run_dir / "steps" / "generate" / "rows.jsonl"
        assert len(stored_keys(store)) < rows, "the kill must land in the middle of the run"
        time.sleep(0.3)  # the server finishes the requests that were in flight
        server.reset()

        pipeline = text_generation(tmp_path, base_url, rows, llm_fields={"max_concurrent_requests": concurrency})
        assert generations(pipeline.run()) == expected(rows)
        # Every answer that reached the killed run was stored as it arrived: the rerun asks again
        # only for answers still on their way (in flight, or unread in the socket), at most one per slot.
        resent = successes(server) - (rows - answered_at_kill)
        assert resent <= concurrency
    summary = pipeline.last_run_summary["generate"]
    # Answers stored whose rows were not written come back from the cache, unpaid.
    assert summary["llm"]["requests"] + summary["llm"]["cache_hits"] + summary["resumed_rows"] == rows


def test_a_finished_pipeline_sends_nothing_again_even_with_a_step_added(server: OpenAIServer, tmp_path: Path) -> None:
    url = server.url + "/v1"
    assert generations(text_generation(tmp_path, url, 200).run()) == expected(200)
    assert successes(server) == 200
    server.reset()

    again = text_generation(tmp_path, url, 200)
    assert generations(again.run()) == expected(200)
    assert server.stats()["total"] == 0
    assert again.last_run_summary["generate"]["resumed_rows"] == 200

    extended = text_generation(tmp_path, url, 200, keep_columns=True)
    assert extended.run_dir != again.run_dir  # another pipeline...
    distiset = extended.run()
    assert server.stats()["total"] == 0  # ...that reuses every upstream row and response
    assert distiset["default"]["train"].column_names == ["instruction", "generation"]
    assert generations(distiset) == expected(200)
    for path in tmp_path.rglob("*"):  # rows, dumps, logs, summaries, the response cache
        if path.is_file():
            assert API_KEY.encode() not in path.read_bytes(), path


def test_editing_a_step_resends_its_requests_only(server: OpenAIServer, tmp_path: Path) -> None:
    url = server.url + "/v1"
    text_generation(tmp_path, url, 50, keep_columns=True).run()
    server.reset()
    # A changed generation kwarg is another request: the task's stale rows are not reused.
    hotter = text_generation(tmp_path, url, 50, keep_columns=True)
    hotter.run(parameters={"generate": {"llm": {"generation_kwargs": {"temperature": 0.2}}}})
    assert successes(server) == 50
    assert hotter.last_run_summary["generate"]["resumed_rows"] == 0
    assert hotter.last_run_summary["load"]["resumed_rows"] == 50  # upstream rows are reused
    server.reset()
    # Settings that do not change the output (retries, limits) keep every row.
    relaxed = text_generation(tmp_path, url, 50, keep_columns=True, llm_fields={"max_retries": 2, "timeout": 30})
    relaxed.run()
    assert server.stats()["total"] == 0
    # use_cache=False starts fresh: every request is sent again.
    text_generation(tmp_path, url, 50, keep_columns=True).run(use_cache=False)
    assert successes(server) == 50
    server.reset()
    # And a step's own use_cache=False: that step (and what follows it) starts fresh.
    own = text_generation(tmp_path, url, 50, keep_columns=True, use_cache=False)
    assert generations(own.run()) == expected(50)
    assert successes(server) == 50
    assert own.last_run_summary["keep"]["resumed_rows"] == 0


def test_failed_rows_are_sent_again_on_the_next_run(server: OpenAIServer, tmp_path: Path) -> None:
    url = server.url + "/v1"
    data = [{"instruction": "q0"}, {"instruction": "q1 [[status:400]]"}, {"instruction": "q2"}]

    def build() -> Pipeline:
        with Pipeline(name="failures", cache_dir=tmp_path) as pipeline:
            load = LoadDataFromDicts(name="load", data=data)
            load >> TextGeneration(name="generate", llm=OpenAILLM(model="gpt-4o", base_url=url, api_key=API_KEY))
        return pipeline

    first = build()
    first.run()
    assert first.last_run_summary["generate"]["failed"] == 1
    assert "HTTP 400" in next(iter(first.last_run_summary["generate"]["errors"]))
    server.reset()
    # An HTTP 400 is permanent: a plain rerun keeps the row failed and sends nothing.
    plain = build()
    assert generations(plain.run())[1] is None
    assert server.stats()["total"] == 0
    assert plain.last_run_summary["generate"]["kept_failed_rows"] == 1
    # Asked to, a rerun sends the failed row again, and only it.
    second = build()
    distiset = second.run(retry_failed=True)
    assert server.stats()["total"] == 1  # the failed row only
    assert generations(distiset)[0] == "Echo: q0" and generations(distiset)[1] is None
    assert second.last_run_summary["generate"]["retried_inputs"] == 1


# --- offline batch generation ---------------------------------------------------------------------


def test_offline_batch_jobs_are_recorded_and_polled_again(server: OpenAIServer, tmp_path: Path) -> None:
    def build() -> Pipeline:
        return text_generation(tmp_path, server.url + "/v1", 30, llm_fields={"use_offline_batch_generation": True})

    first = build()
    first.run()  # returns: no traceback, the run waits for its jobs
    summary = first.last_run_summary
    assert summary.status == "waiting_for_batch_jobs"
    jobs = summary.offline_batch_jobs["generate"]
    assert len(server.batches()) == 1 and jobs == [server.batches()[0]["id"]]
    assert "run the pipeline again" in summary.message
    recorded = json.loads((first.run_dir / "offline_batch_jobs.json").read_text())
    assert recorded["generate"]["jobs_ids"] == jobs
    assert jobs[0] in (first.run_dir / "pipeline.yaml").read_text()

    second = build()
    second.run()
    assert second.last_run_summary.status == "waiting_for_batch_jobs"
    assert len(server.batches()) == 1  # polled the same job, created none
    assert second.last_run_summary.offline_batch_jobs["generate"] == jobs

    server.complete_batches()
    third = build()
    distiset = third.run()
    assert third.last_run_summary.status == "finished"
    assert generations(distiset) == expected(30)
    assert len(server.batches()) == 1
    assert not (third.run_dir / "offline_batch_jobs.json").exists()
    server.reset()
    build().run()
    assert server.stats()["total"] == 0  # finished: nothing to poll
