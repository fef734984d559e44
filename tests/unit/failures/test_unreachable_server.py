"""A server that is not running, or that drops connections: say so, with its address, and stop early.

The real openai SDK (over its aiohttp transport, the one `OpenAILLM` uses) reports a
refused connection as `APITimeoutError: Request timed out`; the errors here name
what the socket saw instead.
"""

import json
import socket
import struct
import threading
from pathlib import Path
from typing import Iterator, List

import pytest

from distilabel.errors import DistilabelUserError
from distilabel.models.llms import OpenAILLM
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration

pytest.importorskip("openai", reason="the openai extra is not installed")

KEY = "sk-unreachable-test"


def chat(text: str) -> List[dict]:
    return [{"role": "user", "content": text}]


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ResettingServer:
    """Accepts each connection, reads the request, and resets it (RST, no response)."""

    def __init__(self) -> None:
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.socket.settimeout(0.05)  # accept() wakes up to see stop()
        self.port = self.socket.getsockname()[1]
        self.connections = 0
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stopped.is_set():
            try:
                connection, _ = self.socket.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            try:
                connection.settimeout(5)
                connection.recv(65536)
            except OSError:
                pass
            # Linger 0: close() sends RST instead of FIN.
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.close()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        self.socket.close()


@pytest.fixture
def resetting_server() -> Iterator[ResettingServer]:
    server = ResettingServer()
    yield server
    server.stop()


def test_refused_connections_stop_after_a_few_attempts_naming_host_and_port(
    closed_port: int,
) -> None:
    llm = OpenAILLM(model="gpt-4o", base_url=f"http://127.0.0.1:{closed_port}/v1", api_key=KEY)  # type: ignore[arg-type]
    llm.load()
    try:
        with pytest.raises(DistilabelUserError) as raised:
            llm.generate([chat(f"q{i}") for i in range(5)])
    finally:
        llm.unload()
    message = str(raised.value)
    assert f"cannot connect to 127.0.0.1:{closed_port} (connection refused)" in message
    assert f"http://127.0.0.1:{closed_port}/v1" in message
    assert "timed out" not in message.lower()
    stats = llm.request_stats()
    # Each of the 5 inputs got at most its first try and one retry (the default allows 7 tries each).
    assert 5 <= stats["requests"] <= 10
    # Every failure is the refused connection (a request still in flight at the stop is cancelled).
    assert set(stats["failed_requests"]) == {"ConnectionRefusedError"}
    assert 3 <= stats["failed_requests"]["ConnectionRefusedError"] <= stats["requests"]


def test_a_pipeline_against_a_server_that_is_not_running_stops_with_that_error(
    closed_port: int, tmp_path: Path
) -> None:
    with Pipeline(name="down", cache_dir=tmp_path) as pipeline:
        LoadDataFromDicts(data=[{"instruction": f"q{i}"} for i in range(20)]) >> TextGeneration(
            name="generate",
            llm=OpenAILLM(
                model="gpt-4o", base_url=f"http://127.0.0.1:{closed_port}/v1", api_key=KEY
            ),  # type: ignore[arg-type]
        )
    with pytest.raises(
        DistilabelUserError,
        match=rf"cannot connect to 127\.0\.0\.1:{closed_port} \(connection refused\)",
    ):
        pipeline.run(use_cache=False)
    summary = json.loads((pipeline.run_dir / "summary.json").read_text())
    assert summary["status"] == "failed"
    assert f"127.0.0.1:{closed_port}" in summary["message"]
    assert set(pipeline.last_run_summary["generate"]["llm"]["failed_requests"]) == {
        "ConnectionRefusedError"
    }


def test_a_reset_connection_is_reported_as_a_reset_not_a_timeout(
    resetting_server: ResettingServer,
) -> None:
    port = resetting_server.port
    llm = OpenAILLM(
        model="gpt-4o", base_url=f"http://127.0.0.1:{port}/v1", api_key=KEY, max_retries=1
    )  # type: ignore[arg-type]
    llm.load()
    try:
        [output] = llm.generate([chat("anyone?")])
    finally:
        llm.unload()
    # The server was reached, so this is retried like any lost connection, then fails the row.
    assert output["generations"] == [None]
    [error] = output["errors"]
    assert error.startswith(
        f"ConnectionResetError: the connection to 127.0.0.1:{port} was lost (connection reset)"
    )
    assert "gave up after 2 attempts" in error
    assert "timed out" not in error.lower()
    assert llm.request_stats()["failed_requests"] == {"ConnectionResetError": 2}
    assert resetting_server.connections == 2


def test_every_row_lost_to_resets_fails_the_run(
    resetting_server: ResettingServer, tmp_path: Path
) -> None:
    port = resetting_server.port
    with Pipeline(name="resets", cache_dir=tmp_path) as pipeline:
        LoadDataFromDicts(data=[{"instruction": f"q{i}"} for i in range(3)]) >> TextGeneration(
            name="generate",
            llm=OpenAILLM(
                model="gpt-4o", base_url=f"http://127.0.0.1:{port}/v1", api_key=KEY, max_retries=0
            ),  # type: ignore[arg-type]
        )
    from distilabel.pipeline import DistilabelRunFailedError

    with pytest.raises(DistilabelRunFailedError) as raised:
        pipeline.run(use_cache=False)
    assert raised.value.steps == ["generate"]
    assert f"the connection to 127.0.0.1:{port} was lost (connection reset)" in str(raised.value)
    rows = raised.value.distiset["default"]["train"]
    assert rows["generation"] == [None, None, None]
