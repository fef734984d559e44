"""InferenceEndpointsLLM through the real `huggingface_hub` client against a loopback TGI server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from distilabel.errors import DistilabelUserError
from distilabel.models.llms import LLM, InferenceEndpointsLLM
from tests.providers.contract import CHAT, ProviderContract, User
from tests.providers.tiny_tokenizer import make_tiny_tokenizer
from tests.servers.tgi_server import TGIServer

pytest.importorskip("huggingface_hub")

TEMPLATED_CHAT = "<|system|>\nYou are terse.\n<|user|>\nWhat's the capital of Spain?\n<|assistant|>\n"


class TestInferenceEndpointsLLM(ProviderContract):
    llm_cls = InferenceEndpointsLLM
    server_cls = TGIServer
    api_key = "hf_test_token"
    api_key_env_var = "HF_TOKEN"
    env_vars = ("HUGGING_FACE_HUB_TOKEN",)
    chat_path = "/v1/chat/completions"
    native_n = False
    model = "meta-llama/Llama-from-the-future-99B"

    def structured_schema_sent(self, body: dict[str, Any]) -> dict[str, Any]:
        assert body["response_format"]["type"] == "json"
        return body["response_format"]["value"]

    @pytest.fixture(autouse=True)
    def _no_saved_token(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        # huggingface_hub falls back to the token `hf auth login` saved; tests must not see one.
        import huggingface_hub.constants

        monkeypatch.setattr(huggingface_hub.constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))

    def test_missing_api_key_names_env_var(self, server: TGIServer) -> None:
        # Hugging Face's own servers (model_id / endpoint_name) need a token...
        llm = InferenceEndpointsLLM(model_id=self.model)
        with pytest.raises(DistilabelUserError, match="HF_TOKEN"):
            llm.load()
        # ... a self-hosted TGI at `base_url` may not: it refuses, naming the variable.
        llm = InferenceEndpointsLLM(base_url=server.url)
        llm.load()
        try:
            with pytest.raises(DistilabelUserError, match="HF_TOKEN"):
                llm.generate_outputs([CHAT])
        finally:
            llm.unload()

    def test_dump_round_trip_has_no_secret(self, make_llm: Any) -> None:
        llm = make_llm(structured_output={"schema": User}, tokenizer_id=None, model_display_name="shown")
        dump = llm.dump()
        assert "api_key" not in dump and self.api_key not in json.dumps(dump)
        assert dump["model_id"] == self.model and "model" not in dump
        rebuilt = LLM.from_dict(dump)
        assert isinstance(rebuilt, InferenceEndpointsLLM)
        assert (rebuilt.model_id, rebuilt.base_url, rebuilt.model_name) == (self.model, llm.base_url, "shown")
        assert rebuilt.dump() == dump

    def test_target_is_required_and_unambiguous(self) -> None:
        with pytest.raises(ValueError, match="needs one of `model_id`"):
            InferenceEndpointsLLM()
        with pytest.raises(ValueError, match="not both"):
            InferenceEndpointsLLM(model_id=self.model, endpoint_name="my-endpoint")

    def test_generation_kwargs_on_the_chat_route(self, server: TGIServer, make_llm: Any) -> None:
        llm = make_llm(generation_kwargs={"temperature": 0.5})
        llm.load()
        [output] = llm.generate_outputs(
            [[{"role": "user", "content": "a b c d e f"}]],
            max_new_tokens=3,
            top_p=0.9,
            seed=7,
            stop_sequences=["###"],
            frequency_penalty=0.1,
            presence_penalty=0.2,
        )
        assert output["generations"] == ["Echo: a b"]
        [body] = self.chat_requests(server)
        assert body["max_tokens"] == 3
        assert (body["temperature"], body["top_p"], body["seed"]) == (0.5, 0.9, 7)
        assert body["stop"] == ["###"]
        assert (body["frequency_penalty"], body["presence_penalty"]) == (0.1, 0.2)

    def test_chat_logprobs(self, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        [output] = llm.generate_outputs([[{"role": "user", "content": "hi"}]], logprobs=True, top_logprobs=2)
        assert output["logprobs"] == [
            [
                [{"token": "Echo:", "logprob": -0.05}, {"token": "Echo:~1", "logprob": -1.55}],
                [{"token": " hi", "logprob": -0.1}, {"token": " hi~1", "logprob": -1.6}],
            ]
        ]

    def test_regex_grammar(self, server: TGIServer, make_llm: Any) -> None:
        llm = make_llm(structured_output={"format": "regex", "schema": r"(yes|no), \d+"})
        llm.load()
        [output] = llm.generate_outputs([CHAT])
        assert output["generations"] == ["yes, 1"]
        [body] = self.chat_requests(server)
        assert body["response_format"] == {"type": "regex", "value": r"(yes|no), \d+"}

    def test_tgi_grammar_form_is_accepted(self, server: TGIServer, make_llm: Any) -> None:
        schema = User.model_json_schema()
        llm = make_llm(structured_output={"type": "json", "value": schema})
        llm.load()
        [output] = llm.generate_outputs([CHAT])
        User.model_validate_json(output["generations"][0])

    def test_text_generation_route_with_tokenizer(self, server: TGIServer, make_llm: Any, tmp_path: Path) -> None:
        llm = make_llm(tokenizer_id=make_tiny_tokenizer(tmp_path))
        llm.load()
        [output] = llm.generate_outputs(
            [(CHAT, {"format": "json", "schema": User})], num_generations=2, top_k=5, repetition_penalty=1.1
        )
        assert len(output["generations"]) == 2
        for text in output["generations"]:
            User.model_validate_json(text)
        # The tiny tokenizer splits the templated prompt into 11 whitespace tokens.
        assert output["statistics"]["input_tokens"] == [11, 11]
        assert output["statistics"]["output_tokens"] == [len(text.split()) for text in output["generations"]]
        records = server.requests("/")
        assert len(records) == 2 and not server.requests(self.chat_path)
        body = records[0]["json"]
        assert body["inputs"] == TEMPLATED_CHAT
        params = body["parameters"]
        assert params["details"] is True
        assert params["grammar"] == {"type": "json", "value": User.model_json_schema()}
        assert (params["top_k"], params["repetition_penalty"], params["max_new_tokens"]) == (5, 1.1, 128)

    def test_text_generation_route_for_prompt_strings(self, server: TGIServer, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        [output] = llm.generate_outputs(["Once upon a time"], top_n_tokens=2, watermark=True)
        assert output["generations"] == ["Echo: Once upon a time"]
        assert output["statistics"]["output_tokens"] == [5]
        assert output["logprobs"][0][0] == [{"token": "Echo:", "logprob": -0.05}, {"token": "Echo:~1", "logprob": -1.55}]
        [record] = server.requests("/")
        assert record["json"]["parameters"]["top_n_tokens"] == 2
        assert record["json"]["parameters"]["watermark"] is True

    def test_tgi_validation_error_fails_only_its_row(self, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        outputs = llm.generate_outputs(["a", "b"], top_p=1.0)
        for output in outputs:
            assert output["generations"] == [None]
            assert "`top_p` must be > 0.0 and < 1.0" in output["errors"][0]

    def test_overloaded_text_generation_is_retried(self, server: TGIServer, make_llm: Any) -> None:
        # huggingface_hub turns TGI's 429 into an OverloadedError without a status;
        # the provider reads the status from the HTTP error it was raised from.
        server.configure(fail_next=1, fail_all_status=429)
        llm = make_llm()
        llm.load()
        [output] = llm.generate_outputs(["Once upon a time"])
        assert output["generations"] == ["Echo: Once upon a time"]
        assert server.stats()["statuses"] == {429: 1, 200: 1}

    def test_model_is_accepted_as_model_id(self, server: TGIServer) -> None:
        llm = InferenceEndpointsLLM(model=self.model, base_url=server.url, api_key=self.api_key)
        assert llm.model_id == self.model and llm.model_name == self.model

    def test_magpie_pre_query_template(self, server: TGIServer, make_llm: Any, tmp_path: Path) -> None:
        llm = make_llm(
            tokenizer_id=make_tiny_tokenizer(tmp_path),
            use_magpie_template=True,
            magpie_pre_query_template="<|user|>\n",
        )
        llm.load()
        llm.generate_outputs([[{"role": "system", "content": "You write questions."}]])
        [record] = server.requests("/")
        assert record["json"]["inputs"] == "<|system|>\nYou write questions.\n<|user|>\n"

    def test_magpie_needs_a_tokenizer(self) -> None:
        with pytest.raises(ValueError, match="tokenizer_id"):
            InferenceEndpointsLLM(model_id=self.model, use_magpie_template=True, magpie_pre_query_template="llama3")

    def test_docs_example_runs_against_a_local_server(
        self, server: TGIServer, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # distilabel's docs: `InferenceEndpointsLLM(model=...)`, then `generate_outputs`;
        # HF_INFERENCE_ENDPOINT sends serverless requests to the loopback server.
        monkeypatch.setenv("HF_INFERENCE_ENDPOINT", server.url)
        monkeypatch.setenv("HF_TOKEN", self.api_key)
        llm = InferenceEndpointsLLM(model="meta-llama/Meta-Llama-3.1-70B-Instruct")
        llm.load()
        try:
            [output] = llm.generate_outputs(inputs=[[{"role": "user", "content": "What's the capital of Spain?"}]])
        finally:
            llm.unload()
        assert output["generations"] == ["Echo: What's the capital of Spain?"]
        [record] = server.requests()
        assert record["path"] == "/models/meta-llama/Meta-Llama-3.1-70B-Instruct/v1/chat/completions"
        assert record["json"]["model"] == "meta-llama/Meta-Llama-3.1-70B-Instruct"


def test_offline_mode_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub

    # huggingface_hub reads HF_HUB_OFFLINE once, at import; set what it read.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    llm = InferenceEndpointsLLM(base_url="http://127.0.0.1:9", api_key="hf_x")
    with pytest.raises(DistilabelUserError, match="HF_HUB_OFFLINE"):
        llm.load()
