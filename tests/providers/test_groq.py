"""GroqLLM through the real `groq` SDK against a loopback Groq chat API."""

from __future__ import annotations

from typing import Any

import pytest

from distilabel.models.llms import GroqLLM
from tests.providers.contract import CHAT, ProviderContract
from tests.servers.groq_server import GroqServer

pytest.importorskip("groq")


class TestGroqLLM(ProviderContract):
    llm_cls = GroqLLM
    server_cls = GroqServer
    api_key = "gsk-test"
    api_key_env_var = "GROQ_API_KEY"
    env_vars = ("GROQ_BASE_URL",)
    chat_path = "/openai/v1/chat/completions"
    native_n = False  # Groq accepts only n=1

    def structured_schema_sent(self, body: dict[str, Any]) -> dict[str, Any]:
        assert body["response_format"]["type"] == "json_schema"
        return body["response_format"]["json_schema"]["schema"]

    def test_generation_kwargs_on_the_wire(self, server: GroqServer, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        [output] = llm.generate_outputs(
            [[{"role": "user", "content": "a b c d e f"}]],
            max_new_tokens=3,
            temperature=0.3,
            top_p=0.5,
            seed=7,
            stop=["###"],
            frequency_penalty=0.1,
            presence_penalty=0.2,
        )
        assert output["generations"] == ["Echo: a b"]
        [body] = self.chat_requests(server)
        assert body["max_completion_tokens"] == 3
        assert {k: body[k] for k in ("temperature", "top_p", "seed", "stop")} == {
            "temperature": 0.3,
            "top_p": 0.5,
            "seed": 7,
            "stop": ["###"],
        }
        assert (body["frequency_penalty"], body["presence_penalty"]) == (0.1, 0.2)

    def test_json_mode(self, server: GroqServer, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        [output] = llm.generate_outputs([CHAT], response_format="json")
        assert output["generations"] == ['{"answer": "Echo: What\'s the capital of Spain?"}']
        [body] = self.chat_requests(server)
        assert body["response_format"] == {"type": "json_object"}

    def test_defaults(self, server: GroqServer, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("GROQ_BASE_URL", server.url)
        llm = GroqLLM(model=self.model)
        assert llm.base_url == server.url
        assert (llm.max_retries, llm.timeout) == (2, 120)
