"""Self-tests of the OpenAI loopback server, driven by the real `openai` SDK."""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import openai
import pytest
from pydantic import BaseModel, Field

from tests.servers.base import AdminError
from tests.servers.openai_server import OpenAIServer, instance_for_schema

REPO_ROOT = Path(__file__).resolve().parents[2]
MODEL = "gpt-4o-mini"


# ------------------------------------------------------------------ fixtures


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as srv:
        yield srv


@pytest.fixture
def client(server: OpenAIServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.url + "/v1", api_key="sk-test", max_retries=0) as sdk:
        yield sdk


def chat(client: openai.OpenAI, text: str, **kwargs: Any) -> Any:
    return client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": text}], **kwargs
    )


def upload_batch_file(client: openai.OpenAI, lines: list[dict[str, Any]]) -> str:
    payload = "".join(json.dumps(line) + "\n" for line in lines).encode()
    return client.files.create(file=("batch.jsonl", payload), purpose="batch").id


def batch_lines(count: int, fail_at: set[int] = frozenset()) -> list[dict[str, Any]]:
    lines = []
    for i in range(count):
        text = f"question {i}" + (" [[status:400]]" if i in fail_at else "")
        lines.append(
            {
                "custom_id": f"req-{i}",
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": {"model": MODEL, "messages": [{"role": "user", "content": text}]},
            }
        )
    return lines


def read_jsonl(client: openai.OpenAI, file_id: str) -> list[dict[str, Any]]:
    text = client.files.content(file_id).text
    return [json.loads(line) for line in text.splitlines() if line]


# ---------------------------------------------------------------------- chat


def test_chat_echoes_last_user_message(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="my-model",
        messages=[
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": "hello big world"},
        ],
        temperature=0.7,
        top_p=0.9,
        frequency_penalty=0.1,
        presence_penalty=0.1,
        seed=1,
    )
    assert completion.object == "chat.completion"
    assert completion.model == "my-model"
    assert completion.id.startswith("chatcmpl-")
    choice = completion.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content == "Echo: hello big world"
    assert choice.finish_reason == "stop"
    assert choice.logprobs is None
    assert completion.usage is not None
    assert completion.usage.prompt_tokens == 2 + 1 + 1 + 3
    assert completion.usage.completion_tokens == 4
    assert completion.usage.total_tokens == 11


def test_chat_content_parts(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model=MODEL,
        messages=[
            {
                "role": "user",
                "content": [{"type": "text", "text": "part one"}, {"type": "text", "text": "two"}],
            }
        ],
    )
    assert completion.choices[0].message.content == "Echo: part one\ntwo"


def test_chat_n_choices_are_distinct(client: openai.OpenAI) -> None:
    completion = chat(client, "hi", n=3)
    assert [c.index for c in completion.choices] == [0, 1, 2]
    contents = [c.message.content for c in completion.choices]
    assert contents == ["Echo: hi", "Echo: hi [1]", "Echo: hi [2]"]
    assert completion.usage.completion_tokens == 2 + 3 + 3


def test_chat_logprobs(client: openai.OpenAI) -> None:
    completion = chat(client, "one two three", logprobs=True, top_logprobs=3, n=2)
    for choice in completion.choices:
        entries = choice.logprobs.content
        assert "".join(e.token for e in entries) == choice.message.content
        for entry in entries:
            assert entry.bytes == list(entry.token.encode())
            assert len(entry.top_logprobs) == 3
            assert entry.top_logprobs[0].token == entry.token
            assert entry.top_logprobs[0].logprob == entry.logprob
            values = [t.logprob for t in entry.top_logprobs]
            assert values == sorted(values, reverse=True)
    # logprobs without top_logprobs gives empty alternatives.
    plain = chat(client, "x", logprobs=True)
    assert plain.choices[0].logprobs.content[0].top_logprobs == []


def test_chat_stop(client: openai.OpenAI) -> None:
    assert chat(client, "hello world again", stop="world").choices[0].message.content == (
        "Echo: hello "
    )
    completion = chat(client, "a b c d", stop=["zzz", " d", " b"])
    assert completion.choices[0].message.content == "Echo: a"
    assert completion.choices[0].finish_reason == "stop"


def test_chat_max_tokens_truncates(client: openai.OpenAI) -> None:
    completion = chat(client, "one two three four", max_tokens=3)
    assert completion.choices[0].message.content == "Echo: one two"
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage.completion_tokens == 3
    completion = chat(client, "one two three four", max_completion_tokens=2)
    assert completion.choices[0].message.content == "Echo: one"
    assert completion.choices[0].finish_reason == "length"
    # A limit that is not reached changes nothing.
    completion = chat(client, "one", max_tokens=50)
    assert completion.choices[0].finish_reason == "stop"


def test_chat_json_object(client: openai.OpenAI) -> None:
    completion = chat(client, "give json", response_format={"type": "json_object"})
    assert json.loads(completion.choices[0].message.content) == {"answer": "Echo: give json"}


class Color(str, enum.Enum):
    RED = "red"
    BLUE = "blue"


class Address(BaseModel):
    street: str
    zip_code: str = Field(min_length=5, max_length=5)


class Person(BaseModel):
    name: str
    age: int = Field(ge=18, le=130)
    score: float = Field(gt=0, lt=1)
    active: bool
    color: Color
    kind: Literal["human", "robot"]
    version: Literal[2]
    tags: list[str] = Field(min_length=2, max_length=4)
    address: Address
    previous: list[Address]
    nickname: str | None = None
    extra: dict[str, int]
    pair: tuple[int, str]
    born: dt.date
    seen: dt.datetime
    friend: Person | None = None


def test_chat_json_schema_from_pydantic(client: openai.OpenAI) -> None:
    schema = Person.model_json_schema()
    completion = chat(
        client,
        "describe someone",
        n=2,
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "Person", "schema": schema, "strict": False},
        },
    )
    for choice in completion.choices:
        person = Person.model_validate_json(choice.message.content)
        assert 18 <= person.age <= 130
        assert len(person.tags) >= 2
        assert len(person.address.zip_code) == 5
    assert Person.model_validate_json(completion.choices[0].message.content).name == (
        "Echo: describe someone"
    )


def test_chat_parse_helper_with_pydantic(client: openai.OpenAI) -> None:
    completion = client.chat.completions.parse(
        model=MODEL, messages=[{"role": "user", "content": "hi"}], response_format=Address
    )
    parsed = completion.choices[0].message.parsed
    assert isinstance(parsed, Address)
    assert len(parsed.zip_code) == 5


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "integer", "exclusiveMinimum": 10, "exclusiveMaximum": 12},
        {"type": "integer", "minimum": 7, "multipleOf": 5},
        {"type": "number", "minimum": -3.5, "maximum": -3.0},
        {"type": "string", "minLength": 40},
        {"type": "string", "maxLength": 3},
        {"type": ["null", "string"]},
        {
            "allOf": [{"$ref": "#/definitions/A"}, {"required": ["b"], "properties": {"b": {}}}],
            "definitions": {
                "A": {"type": "object", "properties": {"a": {"const": 3}}, "required": ["a"]}
            },
        },
        {
            "oneOf": [
                {"type": "null"},
                {"type": "array", "items": {"enum": [1, 2]}, "minItems": 2, "uniqueItems": True},
            ]
        },
        {"type": "array", "prefixItems": [{"type": "boolean"}, {"type": "null"}], "items": False},
        {"type": "object", "required": ["x"], "additionalProperties": {"type": "integer"}},
        {"type": "object", "minProperties": 2, "additionalProperties": {"type": "string"}},
    ],
)
def test_instance_for_schema_handwritten(schema: dict[str, Any]) -> None:
    value = instance_for_schema(schema, "t")
    assert _validates(value, schema, schema), value


def _validates(value: Any, schema: Any, root: dict[str, Any]) -> bool:
    """A tiny validator for the keywords used by the parametrized schemas above."""
    if schema is True or schema == {}:
        return True
    if schema is False:
        return False
    if "$ref" in schema:
        target = root
        for part in schema["$ref"][2:].split("/"):
            target = target[part]
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    checks = []
    if "allOf" in schema:
        checks += [_validates(value, s, root) for s in schema["allOf"]]
    if "oneOf" in schema:
        checks.append(sum(_validates(value, s, root) for s in schema["oneOf"]) == 1)
    if "const" in schema:
        checks.append(value == schema["const"])
    if "enum" in schema:
        checks.append(value in schema["enum"])
    types = schema.get("type")
    types = [types] if isinstance(types, str) else types
    if types is not None:
        py = {
            "integer": int,
            "number": (int, float),
            "string": str,
            "boolean": bool,
            "null": type(None),
            "array": list,
            "object": dict,
        }
        checks.append(any(isinstance(value, py[t]) for t in types))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        checks.append(value >= schema.get("minimum", value))
        checks.append(value <= schema.get("maximum", value))
        if "exclusiveMinimum" in schema:
            checks.append(value > schema["exclusiveMinimum"])
        if "exclusiveMaximum" in schema:
            checks.append(value < schema["exclusiveMaximum"])
        if "multipleOf" in schema:
            checks.append(value % schema["multipleOf"] == 0)
    if isinstance(value, str):
        checks.append(schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", 10**9))
    if isinstance(value, list):
        checks.append(len(value) >= schema.get("minItems", 0))
        if schema.get("uniqueItems"):
            checks.append(len({json.dumps(v) for v in value}) == len(value))
        prefix = schema.get("prefixItems", [])
        for i, item in enumerate(value):
            sub = prefix[i] if i < len(prefix) else schema.get("items", {})
            checks.append(_validates(item, sub, root))
    if isinstance(value, dict):
        checks.append(all(k in value for k in schema.get("required", [])))
        checks.append(len(value) >= schema.get("minProperties", 0))
        props = schema.get("properties", {})
        for key, item in value.items():
            sub = props.get(key, schema.get("additionalProperties", {}))
            checks.append(_validates(item, sub, root))
    return all(checks)


# ---------------------------------------------------------- legacy completions


def test_completions(client: openai.OpenAI) -> None:
    completion = client.completions.create(
        model="gpt-3.5-turbo-instruct", prompt="say a b c", n=2, logprobs=2
    )
    assert completion.object == "text_completion"
    assert [c.text for c in completion.choices] == ["Echo: say a b c", "Echo: say a b c [1]"]
    logprobs = completion.choices[0].logprobs
    assert "".join(logprobs.tokens) == completion.choices[0].text
    assert len(logprobs.token_logprobs) == len(logprobs.tokens) == len(logprobs.text_offset)
    assert all(len(top) == 2 for top in logprobs.top_logprobs)
    assert logprobs.top_logprobs[0][logprobs.tokens[0]] == logprobs.token_logprobs[0]
    assert completion.usage.prompt_tokens == 4


def test_completions_prompt_list_stop_and_max_tokens(client: openai.OpenAI) -> None:
    completion = client.completions.create(
        model="m", prompt=["one two three", "x y"], max_tokens=2, stop="y"
    )
    assert [c.index for c in completion.choices] == [0, 1]
    assert completion.choices[0].text == "Echo: one"
    assert completion.choices[0].finish_reason == "length"
    assert completion.choices[1].text == "Echo: x "
    assert completion.choices[1].finish_reason == "stop"


def test_models(client: openai.OpenAI) -> None:
    ids = [m.id for m in client.models.list()]
    assert "gpt-4o-mini" in ids
    assert client.models.retrieve("anything").id == "anything"


# ----------------------------------------------------------- errors and auth


def test_wrong_api_key_is_401(server: OpenAIServer) -> None:
    bad = openai.OpenAI(base_url=server.url + "/v1", api_key="sk-wrong", max_retries=0)
    with bad, pytest.raises(openai.AuthenticationError) as info:
        chat(bad, "hi")
    assert info.value.status_code == 401
    assert info.value.code == "invalid_api_key"
    assert server.stats()["statuses"] == {401: 1}
    # Credentials never end up in the recorded requests.
    headers = server.requests()[0]["headers"]
    assert all(name.lower() != "authorization" for name in headers)


def test_custom_api_key_and_auth_disabled() -> None:
    with OpenAIServer(api_key="sk-other") as srv:
        with openai.OpenAI(base_url=srv.url + "/v1", api_key="sk-other", max_retries=0) as sdk:
            assert chat(sdk, "ok").choices[0].message.content == "Echo: ok"
        srv.configure(api_key=None)
        with openai.OpenAI(base_url=srv.url + "/v1", api_key="anything", max_retries=0) as sdk:
            assert chat(sdk, "ok").choices[0].message.content == "Echo: ok"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, openai.BadRequestError),
        (404, openai.NotFoundError),
        (429, openai.RateLimitError),
        (500, openai.InternalServerError),
        (503, openai.InternalServerError),
    ],
)
def test_status_markers(client: openai.OpenAI, status: int, error: type[Exception]) -> None:
    with pytest.raises(error) as info:
        chat(client, f"please fail [[status:{status}]]")
    assert info.value.status_code == status
    body = info.value.response.json()
    assert set(body["error"]) == {"message", "type", "param", "code"}
    if status == 429:
        assert info.value.response.headers["retry-after"] == "0"


def test_empty_null_and_sleep_markers(client: openai.OpenAI) -> None:
    empty = chat(client, "[[empty]]")
    assert empty.choices[0].message.content == ""
    assert empty.usage.completion_tokens == 0
    null = chat(client, "[[null]]")
    assert null.choices[0].message.content is None
    assert null.choices[0].finish_reason == "content_filter"
    start = time.perf_counter()
    slow = chat(client, "wait [[sleep:0.3]]")
    assert time.perf_counter() - start >= 0.3
    assert slow.choices[0].message.content == "Echo: wait [[sleep:0.3]]"


def test_invalid_requests_are_400(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        chat(client, "x", max_tokens=0)
    with pytest.raises(openai.BadRequestError):
        chat(client, "x", top_logprobs=2)
    with pytest.raises(openai.BadRequestError):
        chat(client, "x", temperature=5)
    with pytest.raises(openai.BadRequestError):
        chat(client, "x", response_format={"type": "json_schema", "json_schema": {"schema": {}}})


def test_unknown_route_is_openai_404(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client.get("/nope", cast_to=object)
    assert info.value.response.json()["error"]["message"].startswith("Unknown request URL")


# ------------------------------------------------- faults, outages, latency


def test_fault_rate_all(client: openai.OpenAI, server: OpenAIServer) -> None:
    server.configure(fault_rate=1.0, fault_statuses=[500])
    with pytest.raises(openai.InternalServerError):
        chat(client, "x")
    assert server.stats()["faults_injected"] == 1


def test_fault_rate_statistics(client: openai.OpenAI, server: OpenAIServer) -> None:
    server.configure(fault_rate=0.5, fault_statuses=(429, 500), seed=123)
    outcomes = {"ok": 0, 429: 0, 500: 0}
    for _ in range(200):
        try:
            chat(client, "x")
            outcomes["ok"] += 1
        except openai.APIStatusError as exc:
            outcomes[exc.status_code] += 1
    stats = server.stats()
    assert 60 <= stats["faults_injected"] <= 140
    assert stats["faults_injected"] == outcomes[429] + outcomes[500]
    assert stats["statuses"] == {
        k: v for k, v in {200: outcomes["ok"], 429: outcomes[429], 500: outcomes[500]}.items() if v
    }
    assert outcomes[429] > 0 and outcomes[500] > 0
    assert stats["total"] == 200


def test_fail_all_for_then_healthy(client: openai.OpenAI, server: OpenAIServer) -> None:
    server.configure(fail_all_for=0.5)
    with pytest.raises(openai.RateLimitError) as info:
        chat(client, "x")
    assert info.value.response.headers["retry-after"] == "0"
    time.sleep(0.6)
    assert chat(client, "x").choices[0].message.content == "Echo: x"
    server.configure(fail_all_until=time.time() + 0.3, fail_all_status=503)
    with pytest.raises(openai.InternalServerError) as info:
        chat(client, "x")
    assert info.value.status_code == 503
    time.sleep(0.4)
    assert chat(client, "x").choices[0].message.content == "Echo: x"


def test_sdk_retries_through_a_429_storm(server: OpenAIServer) -> None:
    server.configure(fail_all_for=0.4, retry_after="0.05", fail_all_status=429)
    with openai.OpenAI(base_url=server.url + "/v1", api_key="sk-test", max_retries=50) as sdk:
        assert chat(sdk, "x").choices[0].message.content == "Echo: x"
    stats = server.stats()
    assert stats["statuses"][429] >= 3
    assert stats["statuses"][200] == 1
    stamps = server.timestamps("/v1/chat/completions")
    assert len(stamps) == stats["total"]
    assert stamps == sorted(stamps)


def test_latency_fixed_and_random(client: openai.OpenAI, server: OpenAIServer) -> None:
    server.configure(latency=0.2)
    start = time.perf_counter()
    chat(client, "x")
    assert time.perf_counter() - start >= 0.2
    server.configure(latency=("uniform", 0.05, 0.1))
    start = time.perf_counter()
    chat(client, "x")
    assert time.perf_counter() - start >= 0.05
    server.configure(latency=("loguniform", 0.01, 0.02))
    chat(client, "x")
    with pytest.raises(AdminError):
        server.configure(latency=("gauss", 1, 2))
    with pytest.raises(ValueError):
        server.configure(no_such_key=1)


def test_stats_requests_and_reset(client: openai.OpenAI, server: OpenAIServer) -> None:
    chat(client, "first", max_tokens=5)
    client.models.list()
    records = server.requests("/v1/chat/completions")
    assert len(records) == 1
    assert records[0]["json"]["messages"][0]["content"] == "first"
    assert records[0]["json"]["max_tokens"] == 5
    assert records[0]["method"] == "POST"
    assert records[0]["status"] == 200
    stats = server.stats()
    assert stats["by_path"] == {"/v1/chat/completions": 1, "/v1/models": 1}
    assert stats["in_flight"] == 0
    assert len(stats["timestamps"]) == 2
    server.reset()
    assert server.stats()["total"] == 0
    assert server.requests() == []


def test_max_recorded_requests(client: openai.OpenAI, server: OpenAIServer) -> None:
    server.configure(max_recorded_requests=3)
    for i in range(5):
        chat(client, f"m{i}")
    records = server.requests()
    assert [r["json"]["messages"][0]["content"] for r in records] == ["m2", "m3", "m4"]
    assert server.stats()["total"] == 5


@pytest.mark.asyncio
async def test_async_client_concurrency(server: OpenAIServer) -> None:
    server.configure(latency=0.2)
    async with openai.AsyncOpenAI(
        base_url=server.url + "/v1", api_key="sk-test", max_retries=0
    ) as sdk:
        start = time.perf_counter()
        results = await asyncio.gather(
            *(
                sdk.chat.completions.create(
                    model=MODEL, messages=[{"role": "user", "content": f"q{i}"}]
                )
                for i in range(20)
            )
        )
        elapsed = time.perf_counter() - start
    assert [r.choices[0].message.content for r in results] == [f"Echo: q{i}" for i in range(20)]
    assert elapsed < 2.0  # concurrent, not 20 * 0.2 s
    assert server.stats()["max_in_flight"] >= 10


# --------------------------------------------------------------------- files


def test_files_roundtrip(client: openai.OpenAI, server: OpenAIServer) -> None:
    data = b"line one\nline two\n" * 100
    uploaded = client.files.create(file=("data.jsonl", data), purpose="batch")
    assert uploaded.id.startswith("file-")
    assert uploaded.bytes == len(data)
    assert uploaded.filename == "data.jsonl"
    assert uploaded.purpose == "batch"
    assert uploaded.status == "processed"
    assert uploaded.object == "file"
    assert client.files.retrieve(uploaded.id).id == uploaded.id
    assert client.files.content(uploaded.id).content == data
    assert server.file_content(uploaded.id) == data
    assert [f.id for f in client.files.list()] == [uploaded.id]
    assert [f["id"] for f in server.files()] == [uploaded.id]
    deleted = client.files.delete(uploaded.id)
    assert deleted.deleted is True
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(uploaded.id)
    assert server.files() == []


def test_file_upload_limit_and_bad_purpose(client: openai.OpenAI, server: OpenAIServer) -> None:
    server.configure(max_file_bytes=1000)
    client.files.create(file=("ok.jsonl", b"x" * 1000), purpose="batch")
    with pytest.raises(openai.BadRequestError) as info:
        client.files.create(file=("big.jsonl", b"x" * 5000), purpose="batch")
    assert "maximum" in info.value.message
    with pytest.raises(openai.BadRequestError):
        client.files.create(file=("ok.jsonl", b"x"), purpose="nonsense")  # type: ignore[arg-type]


# ------------------------------------------------------------------- batches


def test_batch_lifecycle(client: openai.OpenAI, server: OpenAIServer) -> None:
    lines = batch_lines(20, fail_at={7})
    file_id = upload_batch_file(client, lines)
    batch = client.batches.create(
        input_file_id=file_id,
        endpoint="/v1/chat/completions",
        completion_window="24h",
        metadata={"job": "selftest"},
    )
    assert batch.status == "validating"
    assert batch.metadata == {"job": "selftest"}
    assert client.batches.retrieve(batch.id).status == "in_progress"
    assert client.batches.retrieve(batch.id).status == "in_progress"  # no progress on its own

    changed = server.complete_batches()
    assert [b["id"] for b in changed] == [batch.id]
    done = client.batches.retrieve(batch.id)
    assert done.status == "completed"
    assert done.completed_at is not None and done.in_progress_at is not None
    assert done.request_counts.total == 20
    assert done.request_counts.completed == 19
    assert done.request_counts.failed == 1

    outputs = read_jsonl(client, done.output_file_id)
    custom_ids = [o["custom_id"] for o in outputs]
    expected = [f"req-{i}" for i in range(20) if i != 7]
    assert custom_ids != expected, "output order should be shuffled"
    assert sorted(custom_ids) == sorted(expected)
    for line in outputs:
        assert line["error"] is None
        assert line["response"]["status_code"] == 200
        completion = openai.types.chat.ChatCompletion.model_validate(line["response"]["body"])
        number = line["custom_id"].split("-")[1]
        assert completion.choices[0].message.content == f"Echo: question {number}"

    errors = read_jsonl(client, done.error_file_id)
    assert [e["custom_id"] for e in errors] == ["req-7"]
    assert errors[0]["response"]["status_code"] == 400
    assert errors[0]["response"]["body"]["error"]["type"] == "invalid_request_error"
    assert errors[0]["error"] is None

    output_meta = client.files.retrieve(done.output_file_id)
    assert output_meta.purpose == "batch_output"
    assert [b.id for b in client.batches.list()] == [batch.id]
    assert server.batches()[0]["status"] == "completed"


def test_batch_without_errors_has_no_error_file(
    client: openai.OpenAI, server: OpenAIServer
) -> None:
    batch = client.batches.create(
        input_file_id=upload_batch_file(client, batch_lines(3)),
        endpoint="/v1/chat/completions",
        completion_window="24h",
    )
    done = server.set_batch_status(batch.id, "completed")
    assert done["status"] == "completed"
    assert done["error_file_id"] is None
    assert len(read_jsonl(client, done["output_file_id"])) == 3


def test_batch_too_many_requests_fails(client: openai.OpenAI, server: OpenAIServer) -> None:
    server.configure(max_batch_requests=3)
    batch = client.batches.create(
        input_file_id=upload_batch_file(client, batch_lines(4)),
        endpoint="/v1/chat/completions",
        completion_window="24h",
    )
    failed = client.batches.retrieve(batch.id)
    assert failed.status == "failed"
    assert failed.failed_at is not None
    assert "maximum of 3" in failed.errors.data[0].message
    with pytest.raises(AdminError):
        server.set_batch_status(batch.id, "completed")


def test_batch_invalid_line_fails(client: openai.OpenAI, server: OpenAIServer) -> None:
    lines = batch_lines(2)
    lines[1]["url"] = "/v1/embeddings"
    batch = client.batches.create(
        input_file_id=upload_batch_file(client, lines),
        endpoint="/v1/chat/completions",
        completion_window="24h",
    )
    assert [b["status"] for b in server.complete_batches()] == ["failed"]
    failed = client.batches.retrieve(batch.id)
    assert failed.errors.data[0].line == 2
    assert failed.errors.data[0].code == "mismatched_endpoint"


def test_batch_forced_failed_and_expired(client: openai.OpenAI, server: OpenAIServer) -> None:
    file_id = upload_batch_file(client, batch_lines(3))
    first = client.batches.create(
        input_file_id=file_id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    second = client.batches.create(
        input_file_id=file_id, endpoint="/v1/chat/completions", completion_window="24h"
    )
    server.set_batch_status(first.id, "failed", error_message="quota exhausted")
    failed = client.batches.retrieve(first.id)
    assert failed.status == "failed"
    assert failed.errors.data[0].message == "quota exhausted"

    server.set_batch_status(second.id, "expired")
    expired = client.batches.retrieve(second.id)
    assert expired.status == "expired"
    assert expired.expired_at is not None
    assert expired.output_file_id is None
    errors = read_jsonl(client, expired.error_file_id)
    assert sorted(e["custom_id"] for e in errors) == ["req-0", "req-1", "req-2"]
    assert all(e["error"]["code"] == "batch_expired" for e in errors)
    assert [b.id for b in client.batches.list()] == [second.id, first.id]
    with pytest.raises(AdminError):
        server.set_batch_status(first.id, "exploded")


def test_batch_cancel(client: openai.OpenAI) -> None:
    batch = client.batches.create(
        input_file_id=upload_batch_file(client, batch_lines(2)),
        endpoint="/v1/chat/completions",
        completion_window="24h",
    )
    cancelling = client.batches.cancel(batch.id)
    assert cancelling.status == "cancelling"
    assert cancelling.cancelling_at is not None
    cancelled = client.batches.retrieve(batch.id)
    assert cancelled.status == "cancelled"
    assert cancelled.cancelled_at is not None
    with pytest.raises(openai.ConflictError):
        client.batches.cancel(batch.id)


def test_batch_auto_complete_after_polls(client: openai.OpenAI, server: OpenAIServer) -> None:
    server.configure(batch_auto_complete_after=3)
    batch = client.batches.create(
        input_file_id=upload_batch_file(client, batch_lines(5)),
        endpoint="/v1/chat/completions",
        completion_window="24h",
    )
    statuses = []
    while batch.status not in ("completed", "failed"):
        batch = client.batches.retrieve(batch.id)
        statuses.append(batch.status)
    assert statuses == ["in_progress", "in_progress", "completed"]
    assert len(read_jsonl(client, batch.output_file_id)) == 5


def test_batch_create_validation(client: openai.OpenAI) -> None:
    not_batch = client.files.create(file=("x.jsonl", b"{}\n"), purpose="user_data").id
    with pytest.raises(openai.BadRequestError):
        client.batches.create(
            input_file_id=not_batch, endpoint="/v1/chat/completions", completion_window="24h"
        )
    with pytest.raises(openai.BadRequestError):
        client.batches.create(
            input_file_id="file-missing", endpoint="/v1/chat/completions", completion_window="24h"
        )
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve("batch_missing")


def test_completions_batch(client: openai.OpenAI, server: OpenAIServer) -> None:
    lines = [
        {
            "custom_id": f"c{i}",
            "method": "POST",
            "url": "/v1/completions",
            "body": {"model": "m", "prompt": f"p{i}"},
        }
        for i in range(3)
    ]
    batch = client.batches.create(
        input_file_id=upload_batch_file(client, lines),
        endpoint="/v1/completions",
        completion_window="24h",
    )
    done = server.set_batch_status(batch.id, "completed")
    texts = {
        line["custom_id"]: line["response"]["body"]["choices"][0]["text"]
        for line in read_jsonl(client, done["output_file_id"])
    }
    assert texts == {"c0": "Echo: p0", "c1": "Echo: p1", "c2": "Echo: p2"}


def test_reset_clear_state(client: openai.OpenAI, server: OpenAIServer) -> None:
    upload_batch_file(client, batch_lines(1))
    server.reset()
    assert len(server.files()) == 1
    server.reset(clear_state=True)
    assert server.files() == []


# --------------------------------------------------------- lifecycle / modes


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_thread_mode_stop_really_stops() -> None:
    srv = OpenAIServer().start()
    try:
        port = srv.port
        assert srv.url == f"http://127.0.0.1:{port}"
        assert _port_open(port)
        thread = srv._thread
    finally:
        srv.stop()
    assert thread is not None and not thread.is_alive()
    assert not _port_open(port)
    srv.stop()  # idempotent


def test_process_mode() -> None:
    srv = OpenAIServer(mode="process", latency=0.01, max_batch_requests=10)
    with srv:
        process = srv._process
        assert process is not None and process.poll() is None
        with openai.OpenAI(base_url=srv.url + "/v1", api_key="sk-test", max_retries=0) as sdk:
            assert chat(sdk, "from a process").choices[0].message.content == (
                "Echo: from a process"
            )
            assert srv.get_config()["max_batch_requests"] == 10
            srv.configure(fault_rate=1.0, fault_statuses=[503])
            with pytest.raises(openai.InternalServerError):
                chat(sdk, "x")
            srv.configure(fault_rate=0.0)
            batch = sdk.batches.create(
                input_file_id=upload_batch_file(sdk, batch_lines(4, fail_at={0})),
                endpoint="/v1/chat/completions",
                completion_window="24h",
            )
            done = srv.set_batch_status(batch.id, "completed")
            assert done["request_counts"] == {"total": 4, "completed": 3, "failed": 1}
            assert len(read_jsonl(sdk, done["output_file_id"])) == 3
        stats = srv.stats()
        assert stats["statuses"][200] >= 3
        assert stats["statuses"][503] == 1
        assert srv.requests("/v1/chat/completions")[0]["json"]["model"] == MODEL
        srv.reset()
        assert srv.stats()["total"] == 0
    assert process.poll() is not None
    assert not srv.running


def test_module_entry_point_prints_url() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.servers.openai_server", "--port", "0", "--latency", "0.05"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        with openai.OpenAI(base_url=url + "/v1", api_key="sk-test", max_retries=0) as sdk:
            start = time.perf_counter()
            assert chat(sdk, "cli").choices[0].message.content == "Echo: cli"
            assert time.perf_counter() - start >= 0.05
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()


@pytest.mark.slow
@pytest.mark.asyncio
async def test_throughput_process_mode(capsys: pytest.CaptureFixture[str]) -> None:
    """2000 requests, 500 in flight, 50 ms latency: prints the wall time (not asserted)."""
    total, in_flight = 2000, 500
    with OpenAIServer(mode="process", latency=0.05) as srv:
        sdk = openai.AsyncOpenAI(
            base_url=srv.url + "/v1",
            api_key="sk-test",
            max_retries=0,
            http_client=openai.DefaultAioHttpClient(),
        )
        async with sdk:
            gate = asyncio.Semaphore(in_flight)

            async def one(i: int) -> str:
                async with gate:
                    completion = await sdk.chat.completions.create(
                        model=MODEL, messages=[{"role": "user", "content": f"q{i}"}]
                    )
                return completion.choices[0].message.content

            start = time.perf_counter()
            answers = await asyncio.gather(*(one(i) for i in range(total)))
            elapsed = time.perf_counter() - start
        stats = srv.stats()
    assert answers[1234] == "Echo: q1234"
    assert stats["statuses"] == {200: total}
    with capsys.disabled():
        print(
            f"\n[throughput] {total} requests, {in_flight} in flight, 50 ms latency: "
            f"{elapsed:.2f} s ({total / elapsed:.0f} req/s), "
            f"server max_in_flight={stats['max_in_flight']}"
        )
