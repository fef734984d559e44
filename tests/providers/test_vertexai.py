"""VertexAILLM through the real `google-genai` SDK against a loopback Gemini REST server."""

from __future__ import annotations

from typing import Any

import pytest

from distilabel.errors import DistilabelUserError
from distilabel.models.llms import VertexAILLM
from distilabel.runtime.retries import ErrorKind
from tests.providers.contract import CHAT, ProviderContract
from tests.servers.gemini_server import GeminiServer

pytest.importorskip("google.genai")

# google-genai subclasses aiohttp.ClientSession, which aiohttp warns about; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:Inheritance class AiohttpClientSession:DeprecationWarning")


class TestVertexAILLM(ProviderContract):
    llm_cls = VertexAILLM
    server_cls = GeminiServer
    api_key = "gemini-test-key"
    api_key_env_var = "GOOGLE_API_KEY"
    env_vars = (
        "GEMINI_API_KEY",
        "GOOGLE_CLOUD_PROJECT",
        "GOOGLE_CLOUD_LOCATION",
        "GOOGLE_GENAI_USE_VERTEXAI",
        "GOOGLE_GEMINI_BASE_URL",
        "GOOGLE_VERTEX_BASE_URL",
        "GOOGLE_APPLICATION_CREDENTIALS",
    )
    chat_path = ":generateContent"
    native_n = True
    model = "gemini-from-the-future-9-pro"

    def chat_requests(self, server: GeminiServer) -> list[dict[str, Any]]:
        # Gemini names the model in the URL and `n` is `candidateCount`: present
        # them the way the shared contract reads request bodies.
        bodies = []
        for record in server.requests():
            if record["path"].endswith(self.chat_path):
                model = record["path"].rsplit("/models/", 1)[1].split(":")[0]
                config = record["json"].get("generationConfig", {})
                bodies.append({**record["json"], "model": model, "n": config.get("candidateCount")})
        return bodies

    def structured_schema_sent(self, body: dict[str, Any]) -> dict[str, Any]:
        config = body["generationConfig"]
        assert config["responseMimeType"] == "application/json"
        return config["responseJsonSchema"]

    def test_authentication_error_names_env_var(self, server: GeminiServer, make_llm: Any) -> None:
        # Google answers an invalid API key with a 400 whose reason is API_KEY_INVALID.
        llm = make_llm(api_key="wrong-key")
        llm.load()
        with pytest.raises(DistilabelUserError, match=self.api_key_env_var) as raised:
            llm.generate_outputs([CHAT])
        assert "wrong-key" not in str(raised.value)
        assert server.stats()["statuses"] == {400: 1}  # not retried

    def test_missing_api_key_names_env_var(self, server: GeminiServer) -> None:
        llm = VertexAILLM(model=self.model, base_url=server.url, vertexai=False)
        with pytest.raises(DistilabelUserError, match="GOOGLE_API_KEY or GEMINI_API_KEY"):
            llm.load()

    def test_gemini_api_key_env_var(self, server: GeminiServer, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("GEMINI_API_KEY", self.api_key)
        llm = VertexAILLM(model=self.model, base_url=server.url)
        llm.load()
        try:
            [output] = llm.generate_outputs([CHAT])
        finally:
            llm.unload()
        assert output["generations"] == ["Echo: What's the capital of Spain?"]
        [record] = server.requests()
        assert record["path"].endswith(f"/models/{self.model}:generateContent")
        assert "/projects/" not in record["path"] and "/publishers/" not in record["path"]

    def test_vertex_ai_express_mode(self, server: GeminiServer, make_llm: Any) -> None:
        llm = make_llm(vertexai=True)
        llm.load()
        [output] = llm.generate_outputs([CHAT], num_generations=2)
        assert output["generations"] == ["Echo: What's the capital of Spain?", "Echo: What's the capital of Spain? [1]"]
        [record] = server.requests()
        assert f"/publishers/google/models/{self.model}:generateContent" in record["path"]

    def test_system_messages_become_the_system_instruction(self, server: GeminiServer, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        conversation = [
            *CHAT,
            {"role": "assistant", "content": "Madrid."},
            {"role": "user", "content": "And of France?"},
        ]
        [output] = llm.generate_outputs([conversation])
        assert output["generations"] == ["Echo: And of France?"]
        [body] = self.chat_requests(server)
        assert body["systemInstruction"]["parts"] == [{"text": "You are terse."}]
        assert [(c["role"], c["parts"][0]["text"]) for c in body["contents"]] == [
            ("user", "What's the capital of Spain?"),
            ("model", "Madrid."),
            ("user", "And of France?"),
        ]

    def test_generation_kwargs_on_the_wire(self, server: GeminiServer, make_llm: Any) -> None:
        llm = make_llm(generation_kwargs={"temperature": 0.2})
        llm.load()
        [output] = llm.generate_outputs(
            [[{"role": "user", "content": "a b c d e f"}]],
            top_p=0.9,
            top_k=5,
            max_output_tokens=3,
            stop_sequences=["###"],
            safety_settings={"HARM_CATEGORY_HATE_SPEECH": "BLOCK_ONLY_HIGH"},
        )
        assert output["generations"] == ["Echo: a b"]
        [body] = self.chat_requests(server)
        config = body["generationConfig"]
        assert (config["temperature"], config["topP"], config["topK"]) == (0.2, 0.9, 5)
        assert (config["maxOutputTokens"], config["stopSequences"]) == (3, ["###"])
        assert body["safetySettings"] == [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_ONLY_HIGH"}]

    def test_logprobs(self, server: GeminiServer, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        [output] = llm.generate_outputs([[{"role": "user", "content": "hi"}]], logprobs=True, top_logprobs=2)
        assert output["logprobs"] == [
            [
                [{"token": "Echo:", "logprob": -0.05}, {"token": "Echo:~1", "logprob": -1.55}],
                [{"token": " hi", "logprob": -0.1}, {"token": " hi~1", "logprob": -1.6}],
            ]
        ]
        config = self.chat_requests(server)[0]["generationConfig"]
        assert (config["responseLogprobs"], config["logprobs"]) == (True, 2)

    def test_prompt_string(self, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        [output] = llm.generate_outputs(["Once upon a time"])
        assert output["generations"] == ["Echo: Once upon a time"]

    def test_rate_limit_retry_delay_comes_from_retry_info(self, server: GeminiServer, make_llm: Any) -> None:
        from google.genai import errors

        error = errors.APIError(
            429,
            {
                "error": {
                    "code": 429,
                    "status": "RESOURCE_EXHAUSTED",
                    "message": "Quota exceeded.",
                    "details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "17s"}],
                }
            },
        )
        info = make_llm()._classify_error(error)
        assert (info.kind, info.status, info.retry_after) == (ErrorKind.RETRY, 429, 17.0)

    def test_sdk_retries_are_off(self, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()

        async def options() -> Any:
            return llm.aclient._api_client._http_options.retry_options

        retry_options = llm._background_loop.run(options())
        llm.unload()
        assert retry_options.attempts == 1
