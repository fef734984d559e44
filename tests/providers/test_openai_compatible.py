"""AzureOpenAILLM, AnyscaleLLM and TogetherLLM through the openai SDK against loopback servers."""

import json
from typing import Any, Callable, Dict, Iterator, Tuple, Type

import pytest
from pydantic import BaseModel

from distilabel.errors import DistilabelUserError
from distilabel.models.llms import LLM, AnyscaleLLM, AzureOpenAILLM, OpenAILLM, TogetherLLM
from tests.servers.azure_server import AzureOpenAIServer
from tests.servers.openai_server import OpenAIServer

KEY = "provider-secret-key"


class Character(BaseModel):
    name: str
    level: int


def chat(text: str) -> list:
    return [{"role": "user", "content": text}]


def _azure_env(server: OpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", server.url)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_API_VERSION", "2024-10-21")


def _env_setter(prefix: str) -> Callable[[OpenAIServer, pytest.MonkeyPatch], None]:
    def set_env(server: OpenAIServer, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv(f"{prefix}_BASE_URL", server.url + "/v1")
        monkeypatch.setenv(f"{prefix}_API_KEY", KEY)

    return set_env


# class, server class, env setup, the API key variable, the request path
PROVIDERS: Dict[str, Tuple[Type[OpenAILLM], Type[OpenAIServer], Callable, str, str]] = {
    "azure": (AzureOpenAILLM, AzureOpenAIServer, _azure_env, "AZURE_OPENAI_API_KEY", "/openai/deployments/my-deployment/chat/completions"),
    "anyscale": (AnyscaleLLM, OpenAIServer, _env_setter("ANYSCALE"), "ANYSCALE_API_KEY", "/v1/chat/completions"),
    "together": (TogetherLLM, OpenAIServer, _env_setter("TOGETHER"), "TOGETHER_API_KEY", "/v1/chat/completions"),
}


@pytest.fixture(params=sorted(PROVIDERS))
def provider(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Dict[str, Any]]:
    llm_class, server_class, set_env, key_var, path = PROVIDERS[request.param]
    with server_class(api_key=KEY) as server:
        set_env(server, monkeypatch)
        yield {"cls": llm_class, "server": server, "key_var": key_var, "path": path}


def make(provider: Dict[str, Any], **kwargs: Any) -> OpenAILLM:
    llm = provider["cls"](model="my-deployment", **kwargs)
    llm.load()
    return llm


def test_chat_n_and_statistics(provider: Dict[str, Any]) -> None:
    llm = make(provider)
    [output] = llm.generate([chat("hello there")], num_generations=3)
    assert output["generations"] == ["Echo: hello there", "Echo: hello there [1]", "Echo: hello there [2]"]
    assert output["statistics"] == {"input_tokens": [2], "output_tokens": [11]}  # 3 + 4 + 4 whitespace tokens
    assert provider["server"].stats()["by_path"] == {provider["path"]: 1}
    llm.unload()


def test_structured_output_returns_valid_json(provider: Dict[str, Any]) -> None:
    llm = make(provider, structured_output={"schema": Character})
    outputs = llm.generate([chat(f"character {i}") for i in range(3)])
    for output in outputs:
        Character.model_validate_json(output["generations"][0])
    body = provider["server"].requests(provider["path"])[-1]["json"]
    assert body["response_format"]["type"] == "json_schema"
    llm.unload()


def test_authentication_error_names_the_variable(provider: Dict[str, Any]) -> None:
    llm = make(provider, api_key="wrong")
    with pytest.raises(DistilabelUserError, match=provider["key_var"]):
        llm.generate([chat("hi")])
    llm.unload()


def test_missing_key_names_the_variable(provider: Dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(provider["key_var"])
    with pytest.raises(DistilabelUserError, match=f"set the {provider['key_var']} environment variable"):
        provider["cls"](model="my-deployment").load()


def test_rate_limit_then_success(provider: Dict[str, Any]) -> None:
    provider["server"].configure(fail_all_for=0.3, retry_after="0.05")
    llm = make(provider, max_retries=30)
    [output] = llm.generate([chat("eventually")])
    assert output["generations"] == ["Echo: eventually"]
    assert provider["server"].stats()["statuses"][429] >= 1
    llm.unload()


def test_bad_request_fails_only_that_row(provider: Dict[str, Any]) -> None:
    llm = make(provider)
    bad, good = llm.generate([chat("x [[status:400]]"), chat("fine")])
    assert bad["generations"] == [None] and "HTTP 400" in bad["errors"][0]
    assert good["generations"] == ["Echo: fine"]
    llm.unload()


def test_dump_round_trip_without_secret(provider: Dict[str, Any]) -> None:
    llm = provider["cls"](model="my-deployment", generation_kwargs={"temperature": 0.2})
    data = llm.dump()
    assert KEY not in json.dumps(data)
    rebuilt = LLM.from_dict(data)
    assert type(rebuilt) is provider["cls"]
    assert rebuilt.generation_kwargs == {"temperature": 0.2}
    assert rebuilt.api_key.get_secret_value() == KEY


def test_azure_needs_an_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AZURE_OPENAI_ENDPOINT", raising=False)
    with pytest.raises(DistilabelUserError, match="AZURE_OPENAI_ENDPOINT"):
        AzureOpenAILLM(model="d", api_key="k").load()
