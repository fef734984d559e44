"""The response cache: stable secret-free keys, hits without requests, crash safety."""

import copy
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, ClassVar, Dict, List, Optional

import pytest
from pydantic import BaseModel, Field, SecretStr, validate_call

from distilabel.models.llms import LLM, AsyncLLM
from distilabel.models.llms.outputs import prepare_output
from distilabel.runtime.cache import (
    ResponseCache,
    request_key_material,
    scrub,
    strip_url_credentials,
)
from distilabel.typing import FormattedInput, GenerateOutput

SECRET = "sk-super-secret-0123456789"


class KeyedLLM(AsyncLLM):
    """Answers with the last message; counts the requests it was sent."""

    model: str = "m"
    base_url: Optional[str] = None
    api_key: Optional[SecretStr] = None
    default_headers: Optional[Dict[str, str]] = None
    sent: ClassVar[List[str]] = []

    @property
    def model_name(self) -> str:
        return self.model

    @validate_call
    async def agenerate(  # type: ignore[override]
        self,
        input: FormattedInput,
        num_generations: int = 1,
        temperature: float = 1.0,
        api_key: Optional[str] = None,
    ) -> GenerateOutput:
        text = input[-1]["content"]  # type: ignore[index]
        type(self).sent.append(text)
        if "fail" in text:
            raise RuntimeError("refused")
        if "empty" in text:
            return prepare_output([""] * num_generations, [1], [0])
        return prepare_output([f"{text}#{i}" for i in range(num_generations)], [3], [num_generations])


class SyncLLM(LLM):
    sent: ClassVar[List[str]] = []

    @property
    def model_name(self) -> str:
        return "sync"

    def generate(self, inputs: List[FormattedInput], num_generations: int = 1, top_k: int = 5) -> List[GenerateOutput]:  # type: ignore[override]
        type(self).sent.extend(i[-1]["content"] for i in inputs)  # type: ignore[index]
        return [prepare_output([i[-1]["content"]] * num_generations) for i in inputs]  # type: ignore[index]


class Answer(BaseModel):
    text: str = Field(description="the answer")


def chat(text: str) -> List[Dict[str, str]]:
    return [{"role": "user", "content": text}]


@pytest.fixture(autouse=True)
def _reset() -> None:
    KeyedLLM.sent = []
    SyncLLM.sent = []


@pytest.fixture
def cache(tmp_path: Path) -> Any:
    cache = ResponseCache.in_directory(tmp_path)
    yield cache
    cache.close()


def key(llm: LLM, text: str = "hi", n: int = 1, **kwargs: Any) -> bytes:
    return llm._cache_key(chat(text), n, kwargs)


# --- keys ---------------------------------------------------------------------------------------------


def test_key_is_stable_and_depends_on_what_is_sent() -> None:
    llm = KeyedLLM(base_url="http://127.0.0.1:1/v1")
    assert key(llm) == key(KeyedLLM(base_url="http://127.0.0.1:1/v1"))
    # Defaults spelled out or left out are the same request.
    assert key(llm) == key(llm, temperature=1.0)
    different = {
        key(llm, "other"),
        key(llm, n=2),
        key(llm, temperature=0.2),
        key(KeyedLLM(model="m2", base_url="http://127.0.0.1:1/v1")),
        key(KeyedLLM(base_url="http://127.0.0.1:2/v1")),
        llm._cache_key((chat("hi"), {"format": "json", "schema": Answer}), 1, {}),  # type: ignore[arg-type]
        llm._cache_key((chat("hi"), {"format": "regex", "schema": "a+"}), 1, {}),  # type: ignore[arg-type]
    }
    assert len(different | {key(llm)}) == 8


def test_key_survives_a_new_process() -> None:
    code = textwrap.dedent(
        """
        import sys; sys.path.insert(0, "tests/unit")
        from test_runtime_cache import KeyedLLM, chat
        print(KeyedLLM(base_url="http://h/v1")._cache_key(chat("hi"), 2, {"temperature": 0.5}).hex())
        """
    )
    root = Path(__file__).resolve().parents[2]
    other = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    here = KeyedLLM(base_url="http://h/v1")._cache_key(chat("hi"), 2, {"temperature": 0.5}).hex()
    assert other.stdout.strip() == here


def test_key_never_contains_secrets() -> None:
    llm = KeyedLLM(
        api_key=SECRET,  # type: ignore[arg-type]
        base_url=f"https://user:{SECRET}@host/v1?key={SECRET}",
        default_headers={"Authorization": f"Bearer {SECRET}"},
    )
    material = request_key_material(llm._cache_identity(), chat("hi"), 1, {"api_key": SECRET, "temperature": 1.0})
    assert SECRET not in material
    assert "host/v1" in material
    # Another key (or none) reaches the same cached responses.
    assert key(llm, api_key=SECRET) == key(KeyedLLM(base_url="https://host/v1"))
    assert strip_url_credentials(f"http://u:{SECRET}@h:8080/p?k={SECRET}") == "http://h:8080/p"
    assert scrub({"hf_token": SECRET, "nested": [{"password": SECRET}], "max_tokens": 3}) == {
        "nested": [{}],
        "max_tokens": 3,
    }


def test_changing_a_field_changes_the_key() -> None:
    llm = KeyedLLM()
    before = key(llm)
    llm.model = "m3"
    assert key(llm) != before
    llm.max_concurrent_requests = 3  # how requests are sent, not what: same key
    assert key(llm) == key(KeyedLLM(model="m3"))


# --- the cache around an LLM ---------------------------------------------------------------------------


def test_hits_send_no_request_and_count(cache: ResponseCache) -> None:
    llm = KeyedLLM().use_cache(cache)
    first = llm.generate([chat("a"), chat("b")], num_generations=2)
    assert KeyedLLM.sent == ["a", "b"]
    again = llm.generate([chat("a"), chat("b")], num_generations=2)
    assert again == first and KeyedLLM.sent == ["a", "b"]
    assert llm.request_stats()["cache_hits"] == 2
    assert llm.request_stats()["requests"] == 2
    assert cache.stats() == {"hits": 2, "misses": 2, "stores": 2, "entries": 2}
    llm.use_cache(None)
    llm.generate([chat("a")], num_generations=2)
    assert KeyedLLM.sent == ["a", "b", "a"]
    llm.unload()


def test_failed_generations_are_not_cached(cache: ResponseCache) -> None:
    llm = KeyedLLM(max_retries=0).use_cache(cache)
    failed, empty, fine = llm.generate([chat("fail"), chat("empty"), chat("fine")])
    assert failed["generations"] == [None] and empty["generations"] == [None]
    assert fine["generations"] == ["fine#0"]
    llm.generate([chat("fail"), chat("empty"), chat("fine")])
    assert KeyedLLM.sent == ["fail", "empty", "fine", "fail", "empty"]
    assert cache.stats()["entries"] == 1
    llm.unload()


def test_sync_llms_use_the_cache_in_generate_outputs(cache: ResponseCache) -> None:
    llm = SyncLLM().use_cache(cache)
    llm.generate_outputs([chat("x"), chat("y")])
    outputs = llm.generate_outputs([chat("y"), chat("z")])
    assert [o["generations"] for o in outputs] == [["y"], ["z"]]
    assert SyncLLM.sent == ["x", "y", "z"]
    assert llm.request_stats()["cache_hits"] == 1


def test_stores_are_readable_before_and_after_they_are_committed(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite", flush_interval=10)
    output = prepare_output(["hello"], [1], [1])
    cache.put(b"k" * 32, output)
    assert cache.get(b"k" * 32) == output  # still pending
    cache.flush()
    reopened = ResponseCache(tmp_path / "c.sqlite")
    assert reopened.get(b"k" * 32) == output
    assert reopened.get(b"x" * 32) is None
    reopened.close()
    cache.close()


def test_copies_share_the_cache_and_pickles_reopen_it(cache: ResponseCache) -> None:
    assert copy.deepcopy(cache) is cache
    cache.put(b"p" * 32, prepare_output(["v"]))
    cache.flush()
    clone = pickle.loads(pickle.dumps(cache))
    assert clone.path == cache.path and clone.get(b"p" * 32) == prepare_output(["v"])
    clone.close()


_CRASHING_WRITER = """
import itertools, sys
from distilabel.runtime.cache import ResponseCache
cache = ResponseCache(sys.argv[1])
out = {"generations": ["x" * 500], "statistics": {"input_tokens": [1], "output_tokens": [1]}}
for i in range(1000):
    cache.put(i.to_bytes(32, "big"), out)
cache.flush()
print("flushed", flush=True)
for i in itertools.count(1000):  # keep writing until killed
    cache.put(i.to_bytes(32, "big"), out)
"""


def test_committed_entries_survive_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "crash.sqlite"
    child = subprocess.Popen([sys.executable, "-c", _CRASHING_WRITER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "flushed"
        time.sleep(0.3)  # it keeps writing and committing: the kill lands mid-transaction
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=10)
        if child.stdout is not None:
            child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    connection.close()
    cache = ResponseCache(path)
    assert all(cache.get(i.to_bytes(32, "big")) is not None for i in range(1000))
    assert cache.stats()["entries"] >= 1000
    cache.close()
