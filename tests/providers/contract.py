"""The behaviour every remote provider must show, as a test base class.

A provider's test module subclasses `ProviderContract`, names its LLM class,
its loopback server and its environment variables, and says how its native
structured-output mechanism appears on the wire; the tests here then drive the
real SDK against that server: a chat, `num_generations=3`, token statistics,
structured output, an authentication error, a 429 followed by success, a 400
that fails only its row, a missing API key, and a `dump()` / `from_dict()`
round trip without secrets.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Iterator

import pytest
from pydantic import BaseModel

from distilabel.errors import DistilabelUserError
from distilabel.models.llms.base import LLM, AsyncLLM
from tests.servers.base import LoopbackServer


class User(BaseModel):
    name: str
    last_name: str
    id: int


USER_SCHEMA: dict[str, Any] = {
    "title": "Town",
    "type": "object",
    "properties": {"town": {"type": "string"}, "population": {"type": "integer"}},
    "required": ["town", "population"],
}

CHAT = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "What's the capital of Spain?"},
]


class ProviderContract:
    """Shared provider tests; subclasses fill in the class attributes and hooks."""

    llm_cls: ClassVar[type[AsyncLLM]]
    server_cls: ClassVar[type[LoopbackServer]]
    api_key: ClassVar[str]
    api_key_env_var: ClassVar[str]
    url_field: ClassVar[str] = "base_url"
    url_suffix: ClassVar[str] = ""
    env_vars: ClassVar[tuple[str, ...]] = ()
    chat_path: ClassVar[str]
    native_n: ClassVar[bool]
    model: ClassVar[str] = "model-newer-than-the-sdk-2099"

    # --- hooks ----------------------------------------------------------------------

    def structured_schema_sent(self, body: dict[str, Any]) -> dict[str, Any]:
        """The JSON schema found in a request body sent with structured output."""
        raise NotImplementedError

    # --- fixtures ---------------------------------------------------------------------

    @pytest.fixture(autouse=True)
    def _clean_env(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for name in (self.api_key_env_var, *self.env_vars):
            monkeypatch.delenv(name, raising=False)

    @pytest.fixture(scope="class")
    @classmethod
    def class_server(cls) -> Iterator[LoopbackServer]:
        with cls.server_cls(api_key=cls.api_key) as server:
            yield server

    @pytest.fixture
    def server(self, class_server: LoopbackServer) -> LoopbackServer:
        class_server.configure(fail_next=0)
        class_server.reset()
        return class_server

    @pytest.fixture
    def make_llm(self, server: LoopbackServer) -> Iterator[Any]:
        created: list[AsyncLLM] = []

        def make(**kwargs: Any) -> AsyncLLM:
            fields = {
                "model": self.model,
                self.url_field: server.url + self.url_suffix,
                "api_key": self.api_key,
                **kwargs,
            }
            llm = self.llm_cls(**fields)
            created.append(llm)
            return llm

        yield make
        for llm in created:
            llm.unload()

    # --- helpers ------------------------------------------------------------------------

    def chat_requests(self, server: LoopbackServer) -> list[dict[str, Any]]:
        return [record["json"] for record in server.requests(self.chat_path)]

    # --- the contract ---------------------------------------------------------------------

    def test_chat(self, server: LoopbackServer, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        [output] = llm.generate_outputs([CHAT])
        assert output["generations"] == ["Echo: What's the capital of Spain?"]
        assert "errors" not in output
        [body] = self.chat_requests(server)
        assert body["model"] == self.model

    def test_num_generations(self, server: LoopbackServer, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        [output] = llm.generate_outputs([CHAT], num_generations=3)
        assert len(output["generations"]) == 3
        assert all(
            g and g.startswith("Echo: What's the capital of Spain?") for g in output["generations"]
        )
        requests = self.chat_requests(server)
        if self.native_n:
            assert len(requests) == 1 and requests[0]["n"] == 3
        else:
            assert len(requests) == 3 and all(r.get("n") in (None, 1) for r in requests)

    def test_statistics(self, server: LoopbackServer, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        outputs = llm.generate_outputs([[{"role": "user", "content": "one two three"}]] * 2)
        for output in outputs:
            # The server counts whitespace tokens: 3 in, "Echo: one two three" = 4 out.
            assert output["statistics"] == {"input_tokens": [3], "output_tokens": [4]}

    @pytest.mark.parametrize("spec", [User, USER_SCHEMA], ids=["pydantic", "json-schema"])
    def test_structured_output(self, server: LoopbackServer, make_llm: Any, spec: Any) -> None:
        llm = make_llm(structured_output={"schema": spec})
        llm.load()
        [output] = llm.generate_outputs([[{"role": "user", "content": "Create a user profile"}]])
        [text] = output["generations"]
        assert text is not None, output
        value = json.loads(text)
        expected = spec.model_json_schema() if spec is User else spec
        if spec is User:
            User.model_validate(value)
        else:
            assert isinstance(value["town"], str) and isinstance(value["population"], int)
        [body] = self.chat_requests(server)
        assert self.structured_schema_sent(body) == expected

    def test_row_structured_output(self, server: LoopbackServer, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        outputs = llm.generate_outputs([(CHAT, {"format": "json", "schema": User}), CHAT])
        User.model_validate_json(outputs[0]["generations"][0])
        assert outputs[1]["generations"] == ["Echo: What's the capital of Spain?"]

    def test_authentication_error_names_env_var(
        self, server: LoopbackServer, make_llm: Any
    ) -> None:
        llm = make_llm(api_key="wrong-key")
        llm.load()
        with pytest.raises(DistilabelUserError, match=self.api_key_env_var) as raised:
            llm.generate_outputs([CHAT])
        assert "wrong-key" not in str(raised.value)
        assert server.stats()["statuses"] == {401: 1}  # not retried

    def test_rate_limit_is_retried(self, server: LoopbackServer, make_llm: Any) -> None:
        server.configure(fail_next=2, fail_all_status=429)
        llm = make_llm()
        llm.load()
        [output] = llm.generate_outputs([CHAT])
        assert output["generations"] == ["Echo: What's the capital of Spain?"]
        assert server.stats()["statuses"] == {429: 2, 200: 1}

    def test_server_error_is_retried(self, server: LoopbackServer, make_llm: Any) -> None:
        server.configure(fail_next=1, fail_all_status=503)
        llm = make_llm()
        llm.load()
        [output] = llm.generate_outputs([CHAT])
        assert output["generations"] == ["Echo: What's the capital of Spain?"]
        assert server.stats()["statuses"] == {503: 1, 200: 1}

    def test_retries_give_up(self, server: LoopbackServer, make_llm: Any) -> None:
        server.configure(fail_next=10, fail_all_status=429)
        llm = make_llm(max_retries=1)
        llm.load()
        [output] = llm.generate_outputs([CHAT])
        assert output["generations"] == [None]
        assert "gave up after 2 attempts" in output["errors"][0]
        assert server.stats()["statuses"] == {429: 2}

    def test_bad_request_fails_only_its_row(self, server: LoopbackServer, make_llm: Any) -> None:
        llm = make_llm()
        llm.load()
        bad = [{"role": "user", "content": "break [[status:400]]"}]
        outputs = llm.generate_outputs([bad, CHAT])
        assert outputs[0]["generations"] == [None]
        assert "Simulated error 400 (requested by marker)." in outputs[0]["errors"][0]
        assert outputs[1]["generations"] == ["Echo: What's the capital of Spain?"]
        assert "errors" not in outputs[1]
        assert server.stats()["statuses"] == {400: 1, 200: 1}  # not retried

    def test_missing_api_key_names_env_var(self, server: LoopbackServer) -> None:
        llm = self.llm_cls(model=self.model, **{self.url_field: server.url + self.url_suffix})
        with pytest.raises(DistilabelUserError, match=self.api_key_env_var):
            llm.load()

    def test_api_key_from_env_var(
        self, server: LoopbackServer, make_llm: Any, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv(self.api_key_env_var, self.api_key)
        llm = self.llm_cls(model=self.model, **{self.url_field: server.url + self.url_suffix})
        try:
            llm.load()
            [output] = llm.generate_outputs([CHAT])
        finally:
            llm.unload()
        assert output["generations"] == ["Echo: What's the capital of Spain?"]

    def test_dump_round_trip_has_no_secret(self, make_llm: Any) -> None:
        llm = make_llm(structured_output={"schema": User}, generation_kwargs={})
        dump = llm.dump()
        assert "api_key" not in dump
        assert self.api_key not in json.dumps(dump)
        assert dump["type_info"] == {
            "module": self.llm_cls.__module__,
            "name": self.llm_cls.__name__,
        }
        rebuilt = LLM.from_dict(dump)
        assert type(rebuilt) is self.llm_cls
        assert rebuilt.model == self.model
        assert getattr(rebuilt, self.url_field) == getattr(llm, self.url_field)
        assert rebuilt.dump() == dump

    def test_unknown_generation_kwarg(self, make_llm: Any) -> None:
        llm = make_llm()
        with pytest.raises(DistilabelUserError, match="Did you mean 'temperature'"):
            llm.generate_outputs([CHAT], temperatur=0.5)
