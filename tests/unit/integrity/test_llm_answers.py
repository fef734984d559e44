"""Answers that used to corrupt a run: half an emoji, and an HTTP 200 with no choices.

Both go through the real openai SDK against the loopback OpenAI server.
"""

from pathlib import Path
from typing import Any, ClassVar, Dict, Iterator, List

import pytest

from distilabel.models.llms import OpenAILLM
from distilabel.models.llms.outputs import finalize_output
from distilabel.pipeline import Pipeline
from distilabel.pipeline.row_store import RowStore
from distilabel.runtime.cache import ResponseCache, request_key
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from tests.conftest import OPENAI_TEST_KEY
from tests.servers.openai_server import OpenAIServer, last_user_text

_CUT_EMOJI = "\ud83c"  # the first half of 🌊 (U+1F30A): what a cut at max_tokens leaves


class _NoChoicesServer(OpenAIServer):
    """Answers a prompt holding ``[[no_choices]]`` with HTTP 200 and ``"choices": []``, while ``drop_choices``."""

    DEFAULT_CONFIG: ClassVar[Dict[str, Any]] = {**OpenAIServer.DEFAULT_CONFIG, "drop_choices": True}

    def chat_completion(self, body: Dict[str, Any]) -> Dict[str, Any]:
        completion = super().chat_completion(body)
        if self.config["drop_choices"] and "[[no_choices]]" in last_user_text(body["messages"]):
            completion["choices"] = []
        return completion


@pytest.fixture
def no_choices_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[_NoChoicesServer]:
    with _NoChoicesServer(api_key=OPENAI_TEST_KEY) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.url + "/v1")
        monkeypatch.setenv("OPENAI_API_KEY", OPENAI_TEST_KEY)
        yield server


def _pipeline(tmp_path: Path, instructions: List[str]) -> Pipeline:
    with Pipeline(name="answers", cache_dir=tmp_path, enable_metadata=True) as pipeline:
        load = LoadDataFromDicts(data=[{"instruction": text} for text in instructions])
        load >> TextGeneration(llm=OpenAILLM(model="gpt-4o-mini"), name="gen")
    return pipeline


def _chat_requests(server: OpenAIServer) -> int:
    return server.stats()["by_path"].get("/v1/chat/completions", 0)


# --- a lone surrogate ---------------------------------------------------------------------------


def test_half_an_emoji_is_stored_and_the_run_finishes(
    tmp_path: Path, openai_env: OpenAIServer
) -> None:
    openai_env.configure(reply_template="Echo: {prompt} " + _CUT_EMOJI)
    instructions = [f"wave {i}" for i in range(4)]
    pipeline = _pipeline(tmp_path, instructions)
    train = pipeline.run()["default"]["train"]
    summary = pipeline.last_run_summary
    assert summary.status == "finished"
    assert summary["gen"]["failed"] == 0
    assert train["generation"] == [f"Echo: wave {i} \ufffd" for i in range(4)]
    stored = RowStore.read_sorted(pipeline.run_dir / "steps" / "gen")
    assert [row["generation"] for row in stored] == train["generation"]
    assert _chat_requests(openai_env) == 4

    # A rerun neither aborts nor pays: the rows and the cached answers are there.
    again = _pipeline(tmp_path, instructions)
    assert again.run()["default"]["train"]["generation"] == train["generation"]
    assert again.last_run_summary.status == "finished"
    assert _chat_requests(openai_env) == 4

    # Another version of the pipeline (no rows to reuse) gets the answers from the response cache.
    with Pipeline(name="answers", cache_dir=tmp_path, enable_metadata=True) as other:
        load = LoadDataFromDicts(data=[{"instruction": text} for text in instructions])
        load >> TextGeneration(llm=OpenAILLM(model="gpt-4o-mini"), name="gen", add_raw_input=False)
    assert other.run()["default"]["train"]["generation"] == train["generation"]
    assert other.last_run_summary["gen"]["llm"]["cache_hits"] == 4
    assert _chat_requests(openai_env) == 4


def test_the_response_cache_stores_a_lone_surrogate_without_losing_its_batch(
    tmp_path: Path,
) -> None:
    cache = ResponseCache.in_directory(tmp_path)
    good = {"generations": ["fine"], "statistics": {"input_tokens": [1], "output_tokens": [1]}}
    bad = {
        "generations": ["cut " + _CUT_EMOJI],
        "statistics": {"input_tokens": [1], "output_tokens": [1]},
    }
    cache.put(b"a" * 32, good)
    cache.put(b"b" * 32, bad)
    cache.flush()  # the writer commits both in one transaction
    cache.close()
    reopened = ResponseCache.in_directory(tmp_path)
    assert reopened.get(b"a" * 32) == good
    assert reopened.get(b"b" * 32) == bad
    reopened.close()


def test_a_prompt_with_a_lone_surrogate_has_a_cache_key() -> None:
    assert len(request_key("prompt " + _CUT_EMOJI)) == 32
    assert request_key("plain") != request_key("plain " + _CUT_EMOJI)


def test_finalize_output_replaces_a_lone_surrogate_and_joins_a_split_pair() -> None:
    output = finalize_output(
        {"generations": ["cut " + _CUT_EMOJI, "pair \ud83c\udf0a"], "statistics": {}},
        num_generations=2,
    )
    assert output["generations"] == ["cut \ufffd", "pair 🌊"]
    assert "errors" not in output


# --- HTTP 200 with no choices -------------------------------------------------------------------


def test_no_choices_fails_the_row_with_a_reason_and_a_rerun_retries_it(
    tmp_path: Path, no_choices_server: _NoChoicesServer
) -> None:
    instructions = ["q0", "q1 [[no_choices]]", "q2"]
    pipeline = _pipeline(tmp_path, instructions)
    rows = pipeline.run()["default"]["train"].to_list()
    assert [row["generation"] for row in rows] == ["Echo: q0", None, "Echo: q2"]
    error = rows[1]["distilabel_metadata"]["error_gen"]
    assert "empty `choices`" in error
    assert pipeline.last_run_summary["gen"]["failed"] == 1
    assert _chat_requests(no_choices_server) == 3

    # The failed row is not complete: the next run asks for it again, and only for it.
    no_choices_server.configure(drop_choices=False)
    again = _pipeline(tmp_path, instructions)
    rows = again.run()["default"]["train"].to_list()
    assert [row["generation"] for row in rows] == [
        "Echo: q0",
        "Echo: q1 [[no_choices]]",
        "Echo: q2",
    ]
    assert "error_gen" not in rows[1]["distilabel_metadata"]
    assert again.last_run_summary["gen"]["retried_inputs"] == 1
    assert _chat_requests(no_choices_server) == 4


def test_no_choices_from_generate(no_choices_server: _NoChoicesServer) -> None:
    llm = OpenAILLM(model="gpt-4o-mini")
    llm.load()
    try:
        [one] = llm.generate([[{"role": "user", "content": "a [[no_choices]]"}]], num_generations=1)
        [three] = llm.generate(
            [[{"role": "user", "content": "b [[no_choices]]"}]], num_generations=3
        )
    finally:
        llm.unload()
    assert one["generations"] == [None] and "empty `choices`" in one["errors"][0]
    assert three["generations"] == [None, None, None]
    assert all("empty `choices`" in error for error in three["errors"])


def test_fewer_generations_than_asked_for_fail_the_missing_ones() -> None:
    output = finalize_output({"generations": ["one"], "statistics": {}}, num_generations=3)
    assert output["generations"] == ["one", None, None]
    assert output["errors"] == [None] + ["the LLM answered with 1 of the 3 generations asked for"] * 2


def test_a_sync_llm_returning_nothing_fails_its_rows(tmp_path: Path) -> None:
    from tests.unit.pipeline.fakes import EchoSyncLLM

    class NothingLLM(EchoSyncLLM):
        def generate(
            self, inputs: List[Any], num_generations: int = 1, top_k: int = 1
        ) -> List[Any]:
            outputs = super().generate(inputs, num_generations)
            return [
                {"generations": [], "statistics": {}}
                if "nothing" in output["generations"][0]
                else output
                for output in outputs
            ]

    with Pipeline(name="nothing", cache_dir=tmp_path, enable_metadata=True) as pipeline:
        load = LoadDataFromDicts(data=[{"instruction": "q"}, {"instruction": "nothing"}])
        load >> TextGeneration(llm=NothingLLM(), name="gen")
    [good, row] = pipeline.run()["default"]["train"].to_list()
    assert good["generation"] == "Sync: q"
    assert row["generation"] is None
    assert "returned 0 of the 1 generations" in row["distilabel_metadata"]["error_gen"]
    assert pipeline.last_run_summary["gen"]["failed"] == 1
