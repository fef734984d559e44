"""MixtureOfAgentsLLM composing real provider LLMs against loopback servers:
Ollama proposers (through the `ollama` SDK) and an OpenAI aggregator (through `openai`).
"""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

from distilabel.errors import DistilabelUserError
from distilabel.models.llms import LLM, MixtureOfAgentsLLM, OllamaLLM, OpenAILLM
from distilabel.models.llms.moa import MOA_SYSTEM_PROMPT
from tests.providers.contract import CHAT, User
from tests.servers.ollama_server import OllamaServer
from tests.servers.openai_server import OpenAIServer

pytest.importorskip("ollama")
pytest.importorskip("openai")

OPENAI_KEY = "sk-moa-test"
QUESTION = "What's the capital of Spain?"
ANSWER = f"Echo: {QUESTION}"


@pytest.fixture(autouse=True)
def _no_ollama_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OLLAMA_API_KEY", "OLLAMA_HOST"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def ollama() -> Iterator[OllamaServer]:
    with OllamaServer(models=["proposer-a", "proposer-b"]) as server:
        yield server


@pytest.fixture(scope="module")
def openai_server() -> Iterator[OpenAIServer]:
    with OpenAIServer(api_key=OPENAI_KEY) as server:
        yield server


@pytest.fixture
def servers(ollama: OllamaServer, openai_server: OpenAIServer) -> tuple[OllamaServer, OpenAIServer]:
    ollama.configure(fail_next=0, api_key=None)
    ollama.reset()
    openai_server.reset()
    return ollama, openai_server


@pytest.fixture
def make_moa(servers: tuple[OllamaServer, OpenAIServer]) -> Iterator[Any]:
    ollama, openai_server = servers
    created: list[MixtureOfAgentsLLM] = []

    def make(proposers: tuple[str, ...] = ("proposer-a", "proposer-b"), **kwargs: Any) -> MixtureOfAgentsLLM:
        moa = MixtureOfAgentsLLM(
            aggregator_llm=OpenAILLM(model="aggregator", base_url=openai_server.url + "/v1", api_key=OPENAI_KEY),
            proposers_llms=[OllamaLLM(model=name, host=ollama.url) for name in proposers],
            **kwargs,
        )
        created.append(moa)
        return moa

    yield make
    for moa in created:
        moa.unload()


def chat_bodies(server: Any, path: str) -> list[dict[str, Any]]:
    return [record["json"] for record in server.requests(path)]


def test_rounds_feed_answers_forward(servers: Any, make_moa: Any) -> None:
    ollama, openai_server = servers
    moa = make_moa(rounds=2)
    moa.load()
    [output] = moa.generate_outputs([CHAT])
    assert output["generations"] == [ANSWER]
    proposals = chat_bodies(ollama, "/api/chat")
    assert len(proposals) == 4  # 2 proposers x 2 rounds
    first_round = [b for b in proposals if MOA_SYSTEM_PROMPT not in b["messages"][0]["content"]]
    assert len(first_round) == 2 and all(b["messages"] == CHAT for b in first_round)
    [final] = chat_bodies(openai_server, "/v1/chat/completions")
    system = final["messages"][0]
    assert system["role"] == "system"
    assert system["content"].startswith("You are terse.\n\n" + MOA_SYSTEM_PROMPT)
    assert f"1. {ANSWER}\n2. {ANSWER}" in system["content"]
    assert final["messages"][1:] == CHAT[1:]
    assert moa.model_name == "moa-aggregator-proposer-a-proposer-b"


def test_num_generations_go_to_the_aggregator(servers: Any, make_moa: Any) -> None:
    ollama, openai_server = servers
    moa = make_moa()
    moa.load()
    [output] = moa.generate_outputs([CHAT], num_generations=3)
    assert output["generations"] == [ANSWER, f"{ANSWER} [1]", f"{ANSWER} [2]"]
    [final] = chat_bodies(openai_server, "/v1/chat/completions")
    assert final["n"] == 3
    assert len(chat_bodies(ollama, "/api/chat")) == 2


def test_statistics_list_every_request(make_moa: Any) -> None:
    moa = make_moa()
    moa.load()
    [output] = moa.generate_outputs([[{"role": "user", "content": "one two three"}]])
    stats = output["statistics"]
    # Two proposers (3 tokens in, 4 out), then the aggregator, whose prompt holds their answers.
    assert stats["input_tokens"][:2] == [3, 3] and stats["output_tokens"] == [4, 4, 4]
    assert len(stats["input_tokens"]) == 3 and stats["input_tokens"][2] > 3


def test_structured_output_applies_to_the_aggregator(servers: Any, make_moa: Any) -> None:
    ollama, openai_server = servers
    moa = make_moa()
    moa.load()
    [output] = moa.generate_outputs([(CHAT, {"format": "json", "schema": User})])
    User.model_validate_json(output["generations"][0])
    [final] = chat_bodies(openai_server, "/v1/chat/completions")
    assert final["response_format"]["json_schema"]["schema"] == User.model_json_schema()
    assert all("format" not in body for body in chat_bodies(ollama, "/api/chat"))


def test_authentication_error_names_env_var(servers: Any, make_moa: Any) -> None:
    ollama, _ = servers
    ollama.configure(api_key="the-right-key")
    moa = make_moa()
    moa.load()
    with pytest.raises(DistilabelUserError, match="OLLAMA_API_KEY"):
        moa.generate_outputs([CHAT])


def test_rate_limited_proposer_is_retried(servers: Any, make_moa: Any) -> None:
    ollama, _ = servers
    ollama.configure(fail_next=1, fail_all_status=429)
    moa = make_moa()
    moa.load()
    [output] = moa.generate_outputs([CHAT])
    assert output["generations"] == [ANSWER]
    assert ollama.stats()["statuses"] == {429: 1, 200: 2}


def test_failed_proposer_is_left_out(servers: Any, make_moa: Any) -> None:
    _, openai_server = servers
    moa = make_moa(proposers=("proposer-a", "no-such-model"))
    moa.load()
    [output] = moa.generate_outputs([CHAT])
    assert output["generations"] == [ANSWER]
    [final] = chat_bodies(openai_server, "/v1/chat/completions")
    assert f"1. {ANSWER}" in final["messages"][0]["content"]
    assert "2. " not in final["messages"][0]["content"]


def test_bad_request_fails_only_its_row(servers: Any, make_moa: Any) -> None:
    moa = make_moa()
    moa.load()
    bad = [{"role": "user", "content": "break [[status:400]]"}]
    outputs = moa.generate_outputs([bad, CHAT])
    assert outputs[0]["generations"] == [None]
    assert "Simulated error 400 (requested by marker)." in outputs[0]["errors"][0]
    assert outputs[1]["generations"] == [ANSWER]


def test_runtime_parameters_reach_nested_llms(make_moa: Any) -> None:
    moa = make_moa()
    names = moa.runtime_parameters_names
    assert set(names["proposers_llms"]) == {"0", "1"}
    assert "generation_kwargs" in names["aggregator_llm"]
    moa.set_runtime_parameters(
        {
            "aggregator_llm": {"generation_kwargs": {"temperature": 0.1}},
            "proposers_llms": {"1": {"generation_kwargs": {"options": {"temperature": 0.9}}}},
        }
    )
    assert moa.aggregator_llm.generation_kwargs == {"temperature": 0.1}
    assert moa.proposers_llms[1].generation_kwargs == {"options": {"temperature": 0.9}}
    with pytest.raises(DistilabelUserError, match="proposer index"):
        moa.set_runtime_parameters({"proposers_llms": {"7": {}}})


def test_proposers_use_their_generation_kwargs(servers: Any, make_moa: Any) -> None:
    ollama, _ = servers
    moa = make_moa()
    moa.proposers_llms[0].generation_kwargs = {"options": {"num_predict": 2}}
    moa.load()
    moa.generate_outputs([CHAT])
    options = [body.get("options") for body in chat_bodies(ollama, "/api/chat")]
    assert {"num_predict": 2} in options and None in options


def test_dump_round_trip_has_no_secret(make_moa: Any) -> None:
    moa = make_moa(rounds=3)
    dump = moa.dump()
    assert OPENAI_KEY not in json.dumps(dump)
    assert dump["type_info"] == {"module": "distilabel.models.llms.moa", "name": "MixtureOfAgentsLLM"}
    assert dump["aggregator_llm"]["type_info"]["name"] == "OpenAILLM"
    assert [p["model"] for p in dump["proposers_llms"]] == ["proposer-a", "proposer-b"]
    rebuilt = LLM.from_dict(dump)
    assert isinstance(rebuilt, MixtureOfAgentsLLM) and rebuilt.rounds == 3
    assert isinstance(rebuilt.proposers_llms[0], OllamaLLM)
    assert rebuilt.dump() == dump


def test_needs_proposers(servers: Any) -> None:
    _, openai_server = servers
    moa = MixtureOfAgentsLLM(
        aggregator_llm=OpenAILLM(model="aggregator", base_url=openai_server.url + "/v1", api_key=OPENAI_KEY)
    )
    with pytest.raises(DistilabelUserError, match="proposers_llms"):
        moa.load()
