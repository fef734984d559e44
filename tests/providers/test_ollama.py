"""OllamaLLM through the real `ollama` SDK against a loopback Ollama server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from distilabel.errors import DistilabelUserError
from distilabel.models.llms import OllamaLLM
from tests.providers.contract import CHAT, ProviderContract, User
from tests.providers.tiny_tokenizer import make_tiny_tokenizer
from tests.servers.ollama_server import OllamaServer

pytest.importorskip("ollama")


class TestOllamaLLM(ProviderContract):
    llm_cls = OllamaLLM
    server_cls = OllamaServer
    api_key = "ollama-test-key"
    api_key_env_var = "OLLAMA_API_KEY"
    env_vars = ("OLLAMA_HOST",)
    url_field = "host"
    chat_path = "/api/chat"
    native_n = False
    model = "llama-from-the-future:99b"

    def structured_schema_sent(self, body: dict[str, Any]) -> dict[str, Any]:
        return body["format"]

    def test_missing_api_key_names_env_var(self, server: OllamaServer) -> None:
        # A local Ollama needs no key, so none is required up front; a server that
        # wants one refuses, and the error names the variable.
        llm = OllamaLLM(model=self.model, host=server.url)
        llm.load()
        try:
            with pytest.raises(DistilabelUserError, match="OLLAMA_API_KEY"):
                llm.generate_outputs([CHAT])
        finally:
            llm.unload()

    def test_local_server_without_key(self) -> None:
        with OllamaServer() as server:
            llm = OllamaLLM(model=self.model, host=server.url)
            llm.load()
            try:
                [output] = llm.generate_outputs([CHAT])
            finally:
                llm.unload()
            assert output["generations"] == ["Echo: What's the capital of Spain?"]
            [record] = server.requests("/api/chat")
            assert "Authorization" not in record["headers"]

    def test_host_from_env_var(self, server: OllamaServer, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("OLLAMA_HOST", server.url)
        llm = OllamaLLM(model=self.model, api_key=self.api_key)
        llm.load()
        try:
            [output] = llm.generate_outputs([CHAT])
        finally:
            llm.unload()
        assert output["generations"] == ["Echo: What's the capital of Spain?"]

    def test_generation_kwargs_on_the_wire(self, server: OllamaServer, make_llm: Any) -> None:
        llm = make_llm(generation_kwargs={"options": {"temperature": 0.2}})
        llm.load()
        options = {"temperature": 0.3, "top_p": 0.9, "top_k": 5, "num_predict": 3, "stop": ["###"], "seed": 1}
        [output] = llm.generate_outputs([[{"role": "user", "content": "a b c d e f"}]], options=options, keep_alive="5m")
        assert output["generations"] == ["Echo: a b"]
        [body] = self.chat_requests(server)
        assert body["options"] == options
        assert body["keep_alive"] == "5m"
        assert body["stream"] is False
        assert "format" not in body

    def test_json_mode(self, server: OllamaServer, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        [output] = llm.generate_outputs([CHAT], format="json")
        assert json.loads(output["generations"][0]) == {"answer": "Echo: What's the capital of Spain?"}
        assert self.chat_requests(server)[0]["format"] == "json"

    def test_unknown_generation_kwarg(self, make_llm: Any) -> None:
        # Ollama takes sampling parameters inside `options`; the error says so.
        llm = make_llm()
        with pytest.raises(DistilabelUserError, match=r"Did you mean the Ollama option 'temperature'.*options="):
            llm.generate_outputs([CHAT], temperatur=0.5)
        with pytest.raises(ValueError, match="Did you mean the Ollama option 'num_predict'"):
            make_llm(generation_kwargs={"num_predict": 10})
        with pytest.raises(DistilabelUserError, match="Valid names: format, keep_alive"):
            llm.generate_outputs([CHAT], formatt="json")

    def test_unknown_option_names_the_closest(self, make_llm: Any) -> None:
        llm = make_llm()
        with pytest.raises(DistilabelUserError, match="Did you mean 'num_predict'"):
            llm.generate_outputs([CHAT], options={"num_predicts": 10})

    def test_logprobs(self, server: OllamaServer, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        [output] = llm.generate_outputs([[{"role": "user", "content": "hi"}]], logprobs=True, top_logprobs=2)
        assert output["logprobs"] == [
            [
                [{"token": "Echo:", "logprob": -0.05}, {"token": "Echo:~1", "logprob": -1.55}],
                [{"token": " hi", "logprob": -0.1}, {"token": " hi~1", "logprob": -1.6}],
            ]
        ]
        [body] = self.chat_requests(server)
        assert (body["logprobs"], body["top_logprobs"]) == (True, 2)

    def test_prompt_string_goes_to_generate(self, server: OllamaServer, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        [output] = llm.generate_outputs(["Once upon a time"])
        assert output["generations"] == ["Echo: Once upon a time"]
        [record] = server.requests("/api/generate")
        assert record["json"]["prompt"] == "Once upon a time"
        assert record["json"].get("raw") in (None, False)

    def test_tokenizer_id_sends_a_raw_templated_prompt(
        self, server: OllamaServer, make_llm: Any, tmp_path: Path
    ) -> None:
        llm = make_llm(tokenizer_id=make_tiny_tokenizer(tmp_path))
        llm.load()
        [output] = llm.generate_outputs([CHAT], num_generations=2)
        expected_prompt = "<|system|>\nYou are terse.\n<|user|>\nWhat's the capital of Spain?\n<|assistant|>\n"
        assert output["generations"] == [f"Echo: {expected_prompt}"] * 2
        records = server.requests("/api/generate")
        assert len(records) == 2
        assert all(r["json"]["raw"] is True and r["json"]["prompt"] == expected_prompt for r in records)
        assert not server.requests("/api/chat")

    def test_row_structured_output_overrides_format(self, server: OllamaServer, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        [output] = llm.generate_outputs([(CHAT, {"format": "json", "schema": User})], format="json")
        User.model_validate_json(output["generations"][0])
        assert self.chat_requests(server)[0]["format"] == User.model_json_schema()

    def test_empty_answer_keeps_a_reason(self, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        [output] = llm.generate_outputs([[{"role": "user", "content": "[[empty]]"}]])
        assert output["generations"] == [None]
        assert "empty" in output["errors"][0]

    def test_magpie_pre_query_template(self, server: OllamaServer, make_llm: Any, tmp_path: Path) -> None:
        llm = make_llm(
            tokenizer_id=make_tiny_tokenizer(tmp_path),
            use_magpie_template=True,
            magpie_pre_query_template="<|user|>\n",
        )
        llm.load()
        llm.generate_outputs([[{"role": "system", "content": "You write questions."}]])
        [record] = server.requests("/api/generate")
        assert record["json"]["prompt"] == "<|system|>\nYou write questions.\n<|user|>\n"
        assert record["json"]["raw"] is True
