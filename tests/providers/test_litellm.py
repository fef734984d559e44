"""LiteLLM through the real `litellm` SDK, routed by model prefix to loopback servers:
`openai/` to the OpenAI server and `anthropic/` to the Anthropic server.
"""

from __future__ import annotations

import json
import os
from typing import Any, ClassVar

import pytest
from aiohttp import web

from distilabel.models.llms import LiteLLM
from tests.providers.contract import CHAT, ProviderContract
from tests.servers.anthropic_server import AnthropicServer
from tests.servers.faults import FailNextMixin
from tests.servers.openai_server import OpenAIServer

# Never let litellm fetch its model cost map from the internet on import.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
pytest.importorskip("litellm")

# litellm's own types trip a pydantic warning when it builds them; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:Item 'summary' on TypedDict:UserWarning")


class FailingOpenAIServer(FailNextMixin, OpenAIServer):
    """The OpenAI server with counted failures (`fail_next`) on chat completions."""

    DEFAULT_CONFIG: ClassVar[dict[str, Any]] = {**OpenAIServer.DEFAULT_CONFIG, **FailNextMixin.FAIL_NEXT_CONFIG}

    async def handle_chat(self, request: web.Request) -> web.Response:
        return self.take_failure() or await super().handle_chat(request)


class LiteLLMContract(ProviderContract):
    url_field = "api_base"

    def chat_requests(self, server: Any) -> list[dict[str, Any]]:
        # LiteLLM strips the provider prefix before sending the model name.
        prefix = self.model.split("/", 1)[0]
        return [{**body, "model": f"{prefix}/{body['model']}"} for body in super().chat_requests(server)]

    def test_api_key_never_dumped_from_generation_kwargs(self, make_llm: Any) -> None:
        llm = make_llm(generation_kwargs={"api_key": "sk-secret-in-kwargs", "temperature": 0.3})
        dump = llm.dump()
        assert "sk-secret-in-kwargs" not in json.dumps(dump)
        assert dump["generation_kwargs"] == {"temperature": 0.3}


class TestLiteLLMOpenAI(LiteLLMContract):
    llm_cls = LiteLLM
    server_cls = FailingOpenAIServer
    api_key = "sk-test"
    api_key_env_var = "OPENAI_API_KEY"
    env_vars = ("OPENAI_BASE_URL", "OPENAI_API_BASE")
    url_suffix = "/v1"
    chat_path = "/v1/chat/completions"
    native_n = True
    model = "openai/model-newer-than-the-sdk-2099"

    def structured_schema_sent(self, body: dict[str, Any]) -> dict[str, Any]:
        assert body["response_format"]["type"] == "json_schema"
        return body["response_format"]["json_schema"]["schema"]

    def test_generation_kwargs_on_the_wire(self, server: OpenAIServer, make_llm: Any) -> None:
        llm = make_llm(generation_kwargs={"temperature": 0.2})
        llm.load()
        [output] = llm.generate_outputs(
            [[{"role": "user", "content": "a b c d e f"}]],
            max_tokens=3,
            top_p=0.9,
            stop=["###"],
            presence_penalty=0.1,
            frequency_penalty=0.2,
        )
        assert output["generations"] == ["Echo: a b"]
        [body] = self.chat_requests(server)
        assert (body["temperature"], body["top_p"], body["max_tokens"]) == (0.2, 0.9, 3)
        assert (body["presence_penalty"], body["frequency_penalty"]) == (0.1, 0.2)
        assert body["stop"] == ["###"]

    def test_defaults_leave_sampling_to_the_provider(self, server: OpenAIServer, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        llm.generate_outputs([CHAT])
        [body] = self.chat_requests(server)
        assert not {"temperature", "top_p", "frequency_penalty", "n", "max_tokens"} & set(body)

    def test_logprobs(self, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        [output] = llm.generate_outputs([[{"role": "user", "content": "hi"}]], logprobs=True, top_logprobs=2)
        assert output["logprobs"] == [
            [
                [{"token": "Echo:", "logprob": -0.05}, {"token": "Echo:~1", "logprob": -1.55}],
                [{"token": " hi", "logprob": -0.1}, {"token": " hi~1", "logprob": -1.6}],
            ]
        ]

    def test_api_base_generation_kwarg(self, server: OpenAIServer) -> None:
        llm = LiteLLM(model=self.model, api_key=self.api_key)
        llm.load()
        try:
            [output] = llm.generate_outputs([CHAT], api_base=server.url + "/v1")
        finally:
            llm.unload()
        assert output["generations"] == ["Echo: What's the capital of Spain?"]

    def test_mock_response_makes_no_request(self, server: OpenAIServer, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        [output] = llm.generate_outputs([CHAT], mock_response="Madrid.")
        assert output["generations"] == ["Madrid."]
        assert server.stats()["total"] == 0


class TestLiteLLMAnthropic(LiteLLMContract):
    llm_cls = LiteLLM
    server_cls = AnthropicServer
    api_key = "sk-ant-test"
    api_key_env_var = "ANTHROPIC_API_KEY"
    env_vars = ("ANTHROPIC_BASE_URL", "ANTHROPIC_API_BASE", "ANTHROPIC_AUTH_TOKEN")
    chat_path = "/v1/messages"
    native_n = False
    model = "anthropic/claude-from-the-future-9"

    def structured_schema_sent(self, body: dict[str, Any]) -> dict[str, Any]:
        # LiteLLM turns a json_schema response format into a forced tool call.
        [tool] = body["tools"]
        assert body["tool_choice"]["name"] == tool["name"]
        return tool["input_schema"]

    def test_system_message_goes_to_system(self, server: AnthropicServer, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        llm.generate_outputs([CHAT])
        [body] = self.chat_requests(server)
        system = body["system"]
        texts = system if isinstance(system, str) else " ".join(block["text"] for block in system)
        assert "You are terse." in texts
        assert all(message["role"] != "system" for message in body["messages"])
