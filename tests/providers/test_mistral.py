"""MistralLLM through the real `mistralai` SDK against a loopback Mistral chat API."""

from __future__ import annotations

from typing import Any

import pytest

from distilabel.models.llms import MistralLLM
from tests.providers.contract import CHAT, ProviderContract
from tests.servers.mistral_server import MistralServer

pytest.importorskip("mistralai")


class TestMistralLLM(ProviderContract):
    llm_cls = MistralLLM
    server_cls = MistralServer
    api_key = "mistral-test"
    api_key_env_var = "MISTRAL_API_KEY"
    url_field = "endpoint"
    chat_path = "/v1/chat/completions"
    native_n = True

    def structured_schema_sent(self, body: dict[str, Any]) -> dict[str, Any]:
        assert body["response_format"]["type"] == "json_schema"
        return body["response_format"]["json_schema"]["schema"]

    def test_generation_kwargs_on_the_wire(self, server: MistralServer, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        [output] = llm.generate_outputs(
            [[{"role": "user", "content": "a b c d e f"}]],
            max_new_tokens=3,
            temperature=0.3,
            top_p=0.5,
            random_seed=7,
            stop=["###"],
            frequency_penalty=0.1,
            presence_penalty=0.2,
        )
        assert output["generations"] == ["Echo: a b"]
        [body] = self.chat_requests(server)
        assert {
            k: body[k] for k in ("max_tokens", "temperature", "top_p", "random_seed", "stop")
        } == {
            "max_tokens": 3,
            "temperature": 0.3,
            "top_p": 0.5,
            "random_seed": 7,
            "stop": ["###"],
        }
        assert (body["frequency_penalty"], body["presence_penalty"]) == (0.1, 0.2)

    def test_num_generations_statistics(self, server: MistralServer, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        [output] = llm.generate_outputs([[{"role": "user", "content": "one"}]], num_generations=2)
        assert output["generations"] == ["Echo: one", "Echo: one [1]"]
        # One request: the prompt is counted once, the completions together.
        assert output["statistics"] == {"input_tokens": [1], "output_tokens": [5]}

    def test_logprobs(self, server: MistralServer, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        [output] = llm.generate_outputs(
            [[{"role": "user", "content": "x"}]], logprobs=True, top_logprobs=2
        )
        [per_token] = output["logprobs"]
        assert [candidates[0]["token"] for candidates in per_token] == ["Echo:", " x"]
        assert all(len(candidates) == 2 for candidates in per_token)
        assert all(c["logprob"] <= 0 for candidates in per_token for c in candidates)

    def test_max_concurrent_requests(self, server: MistralServer, make_llm: Any) -> None:
        server.configure(latency=0.05)
        try:
            llm = make_llm(max_concurrent_requests=2)
            llm.load()
            outputs = llm.generate_outputs([CHAT] * 6)
        finally:
            server.configure(latency=None)
        assert all(o["generations"] == ["Echo: What's the capital of Spain?"] for o in outputs)
        assert server.stats()["max_in_flight"] <= 2

    def test_defaults(self) -> None:
        llm = MistralLLM(model=self.model)
        assert llm.endpoint == "https://api.mistral.ai"
        assert (llm.max_retries, llm.timeout, llm.max_concurrent_requests) == (6, 120, 64)
