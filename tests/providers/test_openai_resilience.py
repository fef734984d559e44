"""OpenAILLM under faults: response cache, retries, rate limits, adaptive concurrency, circuit breaker.

The real openai SDK talks to the loopback OpenAI server, which counts what it
receives; assertions use the server's counters and receive timestamps.
"""

import collections
import socket
from pathlib import Path
from typing import Any, ClassVar, Dict, Iterator, List

import pytest
from aiohttp import web

from distilabel.exceptions import DistilabelCircuitOpenError
from distilabel.models.llms import OpenAILLM
from distilabel.runtime.cache import ResponseCache
from tests.servers.faults import FailNextMixin
from tests.servers.openai_server import OpenAIServer

SECRET_KEY = "sk-resilience-secret-4242424242"
CHAT = "/v1/chat/completions"


class FlakyOpenAIServer(FailNextMixin, OpenAIServer):
    """The OpenAI server that also fails exactly the next ``fail_next`` chat requests."""

    DEFAULT_CONFIG: ClassVar[Dict[str, Any]] = {**OpenAIServer.DEFAULT_CONFIG, **FailNextMixin.FAIL_NEXT_CONFIG}

    async def handle_chat(self, request: web.Request) -> web.Response:
        return self.take_failure() or await super().handle_chat(request)


def chat(text: str) -> List[Dict[str, str]]:
    return [{"role": "user", "content": text}]


@pytest.fixture
def server() -> Iterator[FlakyOpenAIServer]:
    with FlakyOpenAIServer(api_key=SECRET_KEY, max_recorded_requests=10) as server:
        yield server


def make_llm(server: OpenAIServer, **fields: Any) -> OpenAILLM:
    llm = OpenAILLM(model="gpt-4o", base_url=server.url + "/v1", api_key=SECRET_KEY, **fields)  # type: ignore[arg-type]
    llm.load()
    return llm


def assert_spaced(stamps: List[float], per_minute: float, jitter: float = 0.1) -> None:
    """No stretch of time saw more requests than one every ``60 / per_minute`` seconds.

    ``jitter`` allows for requests sent on time that reach the server late (a new
    connection, the SDK's first call) next to ones that do not.
    """
    rate = per_minute / 60
    stamps = sorted(stamps)
    for i in range(len(stamps)):
        for j in range(i + 1, len(stamps)):
            allowed = 1 + rate * (stamps[j] - stamps[i] + jitter)
            assert j - i + 1 <= allowed, f"{j - i + 1} requests in {stamps[j] - stamps[i]:.3f} s"


# --- the response cache ------------------------------------------------------------------------------


def test_cache_hits_send_nothing_and_hold_no_secret(server: OpenAIServer, tmp_path: Path) -> None:
    cache = ResponseCache.in_directory(tmp_path)
    llm = make_llm(server).use_cache(cache)
    inputs = [chat(f"q{i}") for i in range(20)] + [chat("bad [[status:400]]")]
    first = llm.generate(inputs, temperature=0.5)
    assert first[-1]["generations"] == [None]
    assert server.stats()["by_path"][CHAT] == 21
    server.reset()
    again = llm.generate(inputs, temperature=0.5)
    assert again == first
    assert server.stats()["by_path"] == {CHAT: 1}  # only the failed row is sent again
    stats = llm.request_stats()
    assert (stats["cache_hits"], stats["cache_misses"]) == (20, 22)
    llm.unload()
    cache.close()
    for file in tmp_path.iterdir():
        assert SECRET_KEY.encode() not in file.read_bytes(), file


def test_a_new_llm_with_another_key_reuses_the_cache(server: OpenAIServer, tmp_path: Path) -> None:
    cache = ResponseCache.in_directory(tmp_path)
    llm = make_llm(server).use_cache(cache)
    llm.generate([chat("hello")])
    llm.unload()
    other = OpenAILLM(model="gpt-4o", base_url=server.url + "/v1", api_key="sk-another").use_cache(cache)  # type: ignore[arg-type]
    other.load()
    assert other.generate([chat("hello")])[0]["generations"] == ["Echo: hello"]
    assert server.stats()["total"] == 1
    other.unload()
    cache.close()


# --- retries --------------------------------------------------------------------------------------------


def test_retry_policy_is_made_of_runtime_parameters(server: OpenAIServer) -> None:
    llm = make_llm(server)
    info = {entry["name"]: entry for entry in llm.get_runtime_parameters_info()}
    for name in ("max_retries", "timeout", "max_concurrent_requests", "requests_per_minute",
                 "tokens_per_minute", "circuit_breaker_seconds"):
        assert info[name]["description"], name
    llm.set_runtime_parameters({"max_retries": 2, "requests_per_minute": 90, "circuit_breaker_seconds": 30})
    assert (llm.max_retries, llm.requests_per_minute, llm.circuit_breaker_seconds) == (2, 90, 30)
    llm.unload()


def test_retry_after_is_waited_before_the_retry(server: OpenAIServer) -> None:
    server.configure(fail_next=1, fail_all_status=429, retry_after="1")
    llm = make_llm(server)
    [output] = llm.generate([chat("patience")])
    assert output["generations"] == ["Echo: patience"]
    first, second = server.timestamps(CHAT)
    assert second - first >= 0.95
    assert server.stats()["statuses"] == {429: 1, 200: 1}
    llm.unload()


def test_bad_requests_are_not_retried_and_lost_connections_are(server: OpenAIServer) -> None:
    llm = make_llm(server, max_retries=3)
    [bad] = llm.generate([chat("x [[status:422]]")])
    assert bad["generations"] == [None] and "HTTP 422" in bad["errors"][0]
    assert server.stats()["total"] == 1
    llm.unload()
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = OpenAILLM(model="gpt-4o", base_url=f"http://127.0.0.1:{port}/v1", api_key=SECRET_KEY, max_retries=1)  # type: ignore[arg-type]
    down.load()
    [lost] = down.generate([chat("anyone?")])
    assert lost["generations"] == [None] and "gave up after 2 attempts" in lost["errors"][0]
    assert down.request_stats()["requests"] == 2
    down.unload()


def test_random_429_and_500_faults_over_2000_rows() -> None:
    # The server runs in its own process, so 2000 requests take a few seconds.
    with OpenAIServer(mode="process", api_key=SECRET_KEY, record_bodies=False) as server:
        server.configure(fault_rate=0.1, fault_statuses=[429, 500], seed=11)
        llm = make_llm(server, max_concurrent_requests=200)
        outputs = llm.generate([chat(f"row {i}") for i in range(2000)])
        assert [o["generations"] for o in outputs] == [[f"Echo: row {i}"] for i in range(2000)]
        stats = server.stats()
        assert stats["statuses"][200] == 2000  # each row answered exactly once: none duplicated
        assert stats["faults_injected"] > 100
        assert stats["total"] == 2000 + stats["faults_injected"]
        assert llm.request_stats()["retries"] == stats["faults_injected"]
        llm.unload()


# --- 429 storms: adaptive concurrency and rate limits ---------------------------------------------------


def test_429_storm_shrinks_concurrency_then_every_row_succeeds(server: OpenAIServer) -> None:
    llm = make_llm(server, max_concurrent_requests=32, max_retries=30)
    server.configure(latency=0.005, fail_all_for=1.5, fail_all_status=429, retry_after="0.2")
    outputs = llm.generate([chat(f"s{i}") for i in range(300)])
    assert all(o["generations"] == [f"Echo: s{i}"] for i, o in enumerate(outputs))
    statuses = server.stats()["statuses"]
    assert statuses[200] == 300 and statuses[429] > 0
    stats = llm.request_stats()
    assert stats["min_concurrency_limit"] <= 4  # shrank during the storm
    assert stats["concurrency_limit"] == 32  # and grew back
    assert stats["failed_requests"] == {"HTTP 429": statuses[429]}
    llm.unload()


def test_429_storm_with_a_requests_per_minute_limit_never_bursts(server: OpenAIServer) -> None:
    llm = make_llm(server, requests_per_minute=1200, max_retries=30)  # 20 per second
    server.configure(fail_all_for=1.0, fail_all_status=429, retry_after="0.1")
    outputs = llm.generate([chat(f"r{i}") for i in range(40)])
    assert all(o["generations"] == [f"Echo: r{i}"] for i, o in enumerate(outputs))
    stamps = server.timestamps(CHAT)
    assert len(stamps) > 40 and server.stats()["statuses"][429] > 0  # the storm's 429s are in there too
    assert_spaced(stamps, 1200)
    llm.unload()


def test_requests_per_minute_spaces_requests(server: OpenAIServer) -> None:
    llm = make_llm(server, requests_per_minute=120)  # 2 per second
    llm.generate([chat(f"p{i}") for i in range(8)])
    stamps = sorted(server.timestamps(CHAT))
    assert len(stamps) == 8
    assert_spaced(stamps, 120)
    assert stamps[-1] - stamps[0] >= 3.4  # one every 0.5 s
    assert llm.request_stats()["rate_limit_waits"] == 7
    llm.unload()


# --- circuit breaker ------------------------------------------------------------------------------------


def test_circuit_breaker_stops_a_run_that_cannot_succeed(server: OpenAIServer) -> None:
    server.configure(fail_all_for=60, fail_all_status=500)
    llm = make_llm(server, max_retries=50, circuit_breaker_seconds=1, max_concurrent_requests=8)
    with pytest.raises(DistilabelCircuitOpenError) as raised:
        llm.generate([chat(f"c{i}") for i in range(30)])
    message = str(raised.value)
    assert "OpenAILLM(gpt-4o)" in message and "HTTP 500" in message and "Simulated outage" in message
    assert "Finished rows are kept" in message
    assert llm.request_stats()["circuit_open"]
    sent = server.stats()["total"]
    with pytest.raises(DistilabelCircuitOpenError):
        llm.generate([chat("more")])
    assert server.stats()["total"] == sent  # an open circuit sends nothing
    llm.unload()


def test_failed_requests_are_grouped_by_cause(server: OpenAIServer) -> None:
    llm = make_llm(server, max_retries=0)
    llm.generate([chat("a [[status:400]]"), chat("b [[status:400]]"), chat("c [[status:503]]"), chat("d")])
    stats = llm.request_stats()
    assert stats["failed_requests"] == collections.Counter({"HTTP 400": 2, "HTTP 503": 1})
    assert (stats["requests"], stats["failed_inputs"]) == (4, 3)
    assert stats["input_tokens"] > 0 and stats["output_tokens"] > 0
    llm.unload()
