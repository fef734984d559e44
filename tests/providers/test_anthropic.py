"""AnthropicLLM through the real `anthropic` SDK against a loopback Messages API."""

from __future__ import annotations

from typing import Any

import pytest

from distilabel.models.llms import AnthropicLLM
from tests.providers.contract import CHAT, ProviderContract
from tests.servers.anthropic_server import AnthropicServer

pytest.importorskip("anthropic")


class TestAnthropicLLM(ProviderContract):
    llm_cls = AnthropicLLM
    server_cls = AnthropicServer
    api_key = "sk-ant-test"
    api_key_env_var = "ANTHROPIC_API_KEY"
    env_vars = ("ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN")
    chat_path = "/v1/messages"
    native_n = False
    model = "claude-from-the-future-9"

    def structured_schema_sent(self, body: dict[str, Any]) -> dict[str, Any]:
        [tool] = body["tools"]
        assert body["tool_choice"] == {"type": "tool", "name": tool["name"]}
        return tool["input_schema"]

    def test_system_message_goes_to_system(self, server: AnthropicServer, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        llm.generate_outputs([CHAT])
        [body] = self.chat_requests(server)
        assert body["system"] == "You are terse."
        assert body["messages"] == [{"role": "user", "content": "What's the capital of Spain?"}]

    def test_generation_kwargs_on_the_wire(self, server: AnthropicServer, make_llm: Any) -> None:
        llm = make_llm(generation_kwargs={"temperature": 0.2})
        llm.load()
        [output] = llm.generate_outputs(
            [[{"role": "user", "content": "a b c d e f"}]],
            max_tokens=3,
            stop_sequences=["###"],
            top_p=0.9,
            top_k=5,
        )
        assert output["generations"] == ["Echo: a b"]
        [body] = self.chat_requests(server)
        assert body["max_tokens"] == 3
        assert body["stop_sequences"] == ["###"]
        assert (body["temperature"], body["top_p"], body["top_k"]) == (0.2, 0.9, 5)

    def test_defaults_on_the_wire(self, server: AnthropicServer, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        llm.generate_outputs([CHAT])
        [body] = self.chat_requests(server)
        assert body["max_tokens"] == 128
        # Unset sampling parameters are left to the API (newer models reject some of them).
        assert not {"temperature", "top_p", "top_k", "stop_sequences", "n"} & set(body)

    def test_base_url_from_env_var(
        self, server: AnthropicServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", self.api_key)
        llm = AnthropicLLM(model=self.model)
        assert llm.base_url == server.url
        assert AnthropicLLM.model_fields["timeout"].default == 600.0

    def test_empty_answer_keeps_a_reason(self, server: AnthropicServer, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        [output] = llm.generate_outputs([[{"role": "user", "content": "[[empty]]"}]])
        assert output["generations"] == [None]
        assert "end_turn" in output["errors"][0]

    def test_image_parts_become_image_blocks(self, server: AnthropicServer, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        content = [
            {"type": "text", "text": "Describe"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
        ]
        [output] = llm.generate_outputs([[{"role": "user", "content": content}]])
        assert output["generations"] == ["Echo: Describe"]
        [body] = self.chat_requests(server)
        assert body["messages"][0]["content"][1:] == [
            {
                "type": "image",
                "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
            },
            {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.png"}},
        ]
