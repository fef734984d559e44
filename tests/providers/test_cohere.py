"""CohereLLM through the real `cohere` SDK (v2 client) against a loopback Chat API."""

from __future__ import annotations

from typing import Any

import pytest

from distilabel.models.llms import CohereLLM
from tests.providers.contract import CHAT, ProviderContract
from tests.servers.cohere_server import CohereServer

pytest.importorskip("cohere")
# The cohere SDK reads pydantic's deprecated `__fields__` when parsing responses.
pytestmark = pytest.mark.filterwarnings("ignore:The `__fields__` attribute is deprecated")


class TestCohereLLM(ProviderContract):
    llm_cls = CohereLLM
    server_cls = CohereServer
    api_key = "co-test"
    api_key_env_var = "COHERE_API_KEY"
    env_vars = ("COHERE_BASE_URL", "CO_API_KEY", "CO_API_URL")
    url_suffix = "/v1"  # like distilabel's default base URL; the SDK adds the version itself
    chat_path = "/v2/chat"
    native_n = False

    def structured_schema_sent(self, body: dict[str, Any]) -> dict[str, Any]:
        assert body["response_format"]["type"] == "json_object"
        return body["response_format"]["json_schema"]

    def test_conversation_sent_as_is(self, server: CohereServer, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        llm.generate_outputs([CHAT])
        [body] = self.chat_requests(server)
        assert body["messages"] == CHAT
        # Header names are case-insensitive: cohere 5 sent `x-client-name`, cohere 7 `X-Client-Name`.
        headers = {name.lower(): value for name, value in server.requests(self.chat_path)[0]["headers"].items()}
        assert headers["x-client-name"] == "distilabel"

    def test_generation_kwargs_on_the_wire(self, server: CohereServer, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        [output] = llm.generate_outputs(
            [[{"role": "user", "content": "a b c d e f"}]],
            temperature=0.3,
            max_tokens=3,
            k=10,
            p=0.5,
            seed=7,
            stop_sequences=["###"],
            frequency_penalty=0.1,
            presence_penalty=0.2,
        )
        assert output["generations"] == ["Echo: a b"]
        [body] = self.chat_requests(server)
        assert {
            k: body[k] for k in ("temperature", "max_tokens", "k", "p", "seed", "stop_sequences")
        } == {
            "temperature": 0.3,
            "max_tokens": 3,
            "k": 10,
            "p": 0.5,
            "seed": 7,
            "stop_sequences": ["###"],
        }
        assert (body["frequency_penalty"], body["presence_penalty"]) == (0.1, 0.2)

    def test_prompt_string(self, server: CohereServer, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        [output] = llm.generate_outputs(["hello"])
        assert output["generations"] == ["Echo: hello"]

    def test_base_url_from_env_var(
        self, server: CohereServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("COHERE_BASE_URL", server.url)
        monkeypatch.setenv("COHERE_API_KEY", self.api_key)
        llm = CohereLLM(model=self.model)
        assert llm.base_url == server.url
        try:
            llm.load()
            assert llm.generate_outputs([CHAT])[0]["generations"] == [
                "Echo: What's the capital of Spain?"
            ]
        finally:
            llm.unload()

    def test_defaults(self) -> None:
        llm = CohereLLM(model=self.model)
        assert llm.base_url == "https://api.cohere.ai/v1"
        assert llm.client_name == "distilabel"
        assert llm.timeout == 120
