"""OpenAILLM through the real openai SDK against the loopback OpenAI server."""

import json
from typing import Any, Iterator, List

import pytest
from pydantic import BaseModel

from distilabel.errors import DistilabelUserError
from distilabel.exceptions import (
    DistilabelOfflineBatchGenerationFailedException,
    DistilabelOfflineBatchGenerationNotFinishedException,
)
from distilabel.models.llms import OpenAILLM
from tests.conftest import OPENAI_TEST_KEY
from tests.servers.openai_server import OpenAIServer


class User(BaseModel):
    name: str
    last_name: str
    id: int


def chat(text: str) -> List[dict]:
    return [{"role": "user", "content": text}]


@pytest.fixture
def llm(openai_env: OpenAIServer) -> Iterator[OpenAILLM]:
    llm = OpenAILLM(model="gpt-4o")
    llm.load()
    yield llm
    llm.unload()


def last_body(server: OpenAIServer, path: str = "/v1/chat/completions") -> dict:
    return server.requests(path)[-1]["json"]


def test_chat_generation_with_statistics(llm: OpenAILLM) -> None:
    [output] = llm.generate([chat("What's the capital of Spain?")])
    assert output["generations"] == ["Echo: What's the capital of Spain?"]
    assert output["statistics"] == {"input_tokens": [5], "output_tokens": [6]}


def test_num_generations_uses_n(llm: OpenAILLM, openai_env: OpenAIServer) -> None:
    [output] = llm.generate([chat("hi")], num_generations=3)
    assert output["generations"] == ["Echo: hi", "Echo: hi [1]", "Echo: hi [2]"]
    assert last_body(openai_env)["n"] == 3
    assert openai_env.stats()["by_path"]["/v1/chat/completions"] == 1


def test_generation_kwargs_map_to_the_request(llm: OpenAILLM, openai_env: OpenAIServer) -> None:
    llm.generate(
        [chat("hi")],
        max_new_tokens=20,
        temperature=0.3,
        top_p=0.9,
        frequency_penalty=0.1,
        presence_penalty=0.2,
        stop=["\n"],
        extra_body={"seed": 7},
    )
    body = last_body(openai_env)
    assert body["max_tokens"] == 20
    assert (body["temperature"], body["top_p"]) == (0.3, 0.9)
    assert (body["frequency_penalty"], body["presence_penalty"]) == (0.1, 0.2)
    assert body["stop"] == ["\n"]
    assert body["seed"] == 7
    assert body["model"] == "gpt-4o"


def test_stop_and_max_new_tokens_shape_the_answer(llm: OpenAILLM) -> None:
    [stopped] = llm.generate([chat("one two three")], stop="two")
    assert stopped["generations"] == ["Echo: one "]
    [truncated] = llm.generate([chat("one two three four")], max_new_tokens=2)
    assert truncated["generations"] == ["Echo: one"]
    assert truncated["statistics"]["output_tokens"] == [2]


def test_logprobs_and_top_logprobs(llm: OpenAILLM) -> None:
    [output] = llm.generate([chat("a b")], logprobs=True, top_logprobs=2)
    [per_token] = output["logprobs"]
    assert len(per_token) == 3  # "Echo:", " a", " b"
    assert all(len(candidates) == 2 for candidates in per_token)
    assert per_token[0][0]["token"] == "Echo:"
    assert isinstance(per_token[0][0]["logprob"], float)


def test_plain_string_prompt_uses_completions_api(llm: OpenAILLM, openai_env: OpenAIServer) -> None:
    [output] = llm.generate(["Once upon a time"], num_generations=2, logprobs=True)
    assert output["generations"] == ["Echo: Once upon a time", "Echo: Once upon a time [1]"]
    assert output["statistics"]["input_tokens"] == [4]
    assert len(output["logprobs"]) == 2
    assert openai_env.stats()["by_path"]["/v1/completions"] == 1


def test_json_mode(llm: OpenAILLM, openai_env: OpenAIServer) -> None:
    [output] = llm.generate([chat("Answer in JSON")], response_format="json")
    assert isinstance(json.loads(output["generations"][0]), dict)
    assert last_body(openai_env)["response_format"] == {"type": "json_object"}
    llm.generate([chat("Answer in JSON")], response_format={"type": "json_object"})
    assert last_body(openai_env)["response_format"] == {"type": "json_object"}


def test_structured_output_from_pydantic_model_validates(openai_env: OpenAIServer) -> None:
    llm = OpenAILLM(model="gpt-4o", structured_output={"schema": User})
    llm.load()
    outputs = llm.generate([chat(f"Create user {i}") for i in range(5)])
    for output in outputs:
        User.model_validate_json(output["generations"][0])
    response_format = last_body(openai_env)["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["name"] == "User"
    assert response_format["json_schema"]["schema"]["required"] == ["name", "last_name", "id"]
    llm.unload()


def test_structured_output_per_row_with_dict_schema(llm: OpenAILLM, openai_env: OpenAIServer) -> None:
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
        "required": ["city", "population"],
        "additionalProperties": False,
    }
    structured, plain = llm.generate([(chat("A city"), {"format": "json", "schema": schema}), chat("free text")])
    value = json.loads(structured["generations"][0])
    assert isinstance(value["city"], str) and isinstance(value["population"], int)
    assert plain["generations"] == ["Echo: free text"]
    bodies = openai_env.requests("/v1/chat/completions")
    formats = [body["json"].get("response_format") for body in bodies]
    assert {"type": "json_schema", "json_schema": {"name": "output", "schema": schema, "strict": True}} in formats
    assert None in formats


def test_default_headers_are_sent(openai_env: OpenAIServer) -> None:
    llm = OpenAILLM(model="gpt-4o", default_headers={"X-Team": "data"})
    llm.load()
    llm.generate([chat("hi")])
    headers = {k.lower(): v for k, v in openai_env.requests("/v1/chat/completions")[-1]["headers"].items()}
    assert headers["x-team"] == "data"
    llm.unload()


def test_missing_api_key_names_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    llm = OpenAILLM(model="gpt-4o")
    with pytest.raises(DistilabelUserError, match="set the OPENAI_API_KEY environment variable"):
        llm.load()


def test_wrong_api_key_stops_with_a_clear_error(openai_env: OpenAIServer) -> None:
    llm = OpenAILLM(model="gpt-4o", api_key="sk-wrong-key-1234")
    llm.load()
    with pytest.raises(DistilabelUserError) as error:
        llm.generate([chat("hi"), chat("there")])
    message = str(error.value)
    assert "OPENAI_API_KEY" in message
    assert "sk-wrong-key-1234" not in message
    assert openai_env.stats()["statuses"] == {401: openai_env.stats()["total"]}
    llm.unload()


def test_bad_request_fails_only_its_row(llm: OpenAILLM, openai_env: OpenAIServer) -> None:
    good, bad, good_too = llm.generate([chat("a"), chat("b [[status:400]]"), chat("c")], num_generations=2)
    assert good["generations"] == ["Echo: a", "Echo: a [1]"]
    assert good_too["generations"] == ["Echo: c", "Echo: c [1]"]
    assert bad["generations"] == [None, None]
    assert bad["errors"][0].startswith("BadRequestError (HTTP 400): Simulated error 400")
    assert openai_env.stats()["by_path_status"]["/v1/chat/completions"][400] == 1, "a 400 is never retried"


def test_empty_completion_is_none_with_reason(llm: OpenAILLM) -> None:
    empty, null, fine = llm.generate([chat("x [[empty]]"), chat("y [[null]]"), chat("z")])
    assert empty["generations"] == [None]
    assert "empty completion" in empty["errors"][0]
    assert null["generations"] == [None]
    assert "content_filter" in null["errors"][0]
    assert fine["generations"] == ["Echo: z"]


def test_rate_limit_storm_is_retried_until_success(openai_env: OpenAIServer) -> None:
    openai_env.configure(fail_all_for=0.5, fail_all_status=429, retry_after="0.1")
    llm = OpenAILLM(model="gpt-4o", max_retries=20)
    llm.load()
    outputs = llm.generate([chat(f"q{i}") for i in range(5)])
    assert [o["generations"][0] for o in outputs] == [f"Echo: q{i}" for i in range(5)]
    statuses = openai_env.stats()["statuses"]
    assert statuses[429] >= 5 and statuses[200] == 5
    llm.unload()


def test_random_server_errors_are_retried(openai_env: OpenAIServer) -> None:
    openai_env.configure(fault_rate=0.3, fault_statuses=[500, 503, 429], seed=3)
    llm = OpenAILLM(model="gpt-4o", max_retries=10)
    llm.load()
    llm.__pydantic_private__  # noqa: B018 - the LLM is loaded
    outputs = llm.generate([chat(f"q{i}") for i in range(40)])
    assert all(o["generations"][0] == f"Echo: q{i}" for i, o in enumerate(outputs))
    assert openai_env.stats()["faults_injected"] > 0
    llm.unload()


def test_gives_up_after_max_retries_with_reason(openai_env: OpenAIServer) -> None:
    llm = OpenAILLM(model="gpt-4o", max_retries=1)
    llm.load()
    [output] = llm.generate([chat("x [[status:503]]")])
    assert output["generations"] == [None]
    assert "HTTP 503" in output["errors"][0] and "gave up after 2 attempts" in output["errors"][0]
    assert openai_env.stats()["total"] == 2
    llm.unload()


def test_timeout_fails_the_row(openai_env: OpenAIServer) -> None:
    llm = OpenAILLM(model="gpt-4o", timeout=1.5, max_retries=0)
    llm.load()
    slow, fast = llm.generate([chat("x [[sleep:5]]"), chat("y")])
    assert slow["generations"] == [None]
    assert "no response within 1.5 s" in slow["errors"][0]
    assert fast["generations"] == ["Echo: y"]
    llm.unload()


def test_requests_in_flight_respect_the_limit(openai_env: OpenAIServer) -> None:
    openai_env.configure(latency=0.02)
    llm = OpenAILLM(model="gpt-4o", max_concurrent_requests=4)
    llm.load()
    llm.generate([chat(str(i)) for i in range(30)])
    assert openai_env.stats()["max_in_flight"] <= 4
    llm.unload()


# --- offline batch generation -------------------------------------------------------------


@pytest.fixture
def batch_llm(openai_env: OpenAIServer) -> Iterator[OpenAILLM]:
    llm = OpenAILLM(model="gpt-4o", use_offline_batch_generation=True)
    llm.load()
    yield llm
    llm.unload()


def test_batch_first_call_creates_jobs_and_raises(batch_llm: OpenAILLM, openai_env: OpenAIServer) -> None:
    assert batch_llm.jobs_ids is None
    with pytest.raises(DistilabelOfflineBatchGenerationNotFinishedException) as not_finished:
        batch_llm.generate_outputs([chat("a"), chat("b")], num_generations=2, temperature=0.5)
    assert not_finished.value.jobs_ids == batch_llm.jobs_ids
    assert len(batch_llm.jobs_ids) == 1
    [batch] = openai_env.batches()
    assert batch["endpoint"] == "/v1/chat/completions"
    [uploaded] = [f for f in openai_env.files() if f["purpose"] == "batch"]
    assert uploaded["bytes"] > 0
    # Still running: the next call raises again without creating new jobs.
    with pytest.raises(DistilabelOfflineBatchGenerationNotFinishedException):
        batch_llm.generate_outputs([chat("a"), chat("b")], num_generations=2)
    assert len(openai_env.batches()) == 1


def test_batch_results_come_back_in_input_order(batch_llm: OpenAILLM, openai_env: OpenAIServer) -> None:
    inputs = [chat(f"question {i}") for i in range(12)] + [chat("bad [[status:400]]")]
    with pytest.raises(DistilabelOfflineBatchGenerationNotFinishedException):
        batch_llm.generate_outputs(inputs, num_generations=2)
    openai_env.complete_batches()
    outputs = batch_llm.generate_outputs(inputs, num_generations=2)
    assert [o["generations"][0] for o in outputs[:12]] == [f"Echo: question {i}" for i in range(12)]
    assert outputs[0]["generations"][1] == "Echo: question 0 [1]"
    assert outputs[12]["generations"] == [None, None]
    assert "HTTP 400" in outputs[12]["errors"][0]
    assert batch_llm.jobs_ids is None, "collected jobs are forgotten, so the next call starts new ones"


def test_batch_splits_at_the_request_limit(batch_llm: OpenAILLM, openai_env: OpenAIServer) -> None:
    batch_llm._batch_max_requests = 2
    inputs = [chat(f"q{i}") for i in range(5)]
    with pytest.raises(DistilabelOfflineBatchGenerationNotFinishedException) as not_finished:
        batch_llm.generate_outputs(inputs)
    assert len(not_finished.value.jobs_ids) == 3
    openai_env.complete_batches()
    outputs = batch_llm.generate_outputs(inputs)
    assert [o["generations"][0] for o in outputs] == [f"Echo: q{i}" for i in range(5)]


def test_batch_splits_at_the_size_limit(batch_llm: OpenAILLM, openai_env: OpenAIServer) -> None:
    batch_llm._batch_max_bytes = 600
    inputs = [chat("x" * 150 + str(i)) for i in range(6)]
    with pytest.raises(DistilabelOfflineBatchGenerationNotFinishedException) as not_finished:
        batch_llm.generate_outputs(inputs)
    assert len(not_finished.value.jobs_ids) > 1
    assert all(f["bytes"] <= 600 for f in openai_env.files() if f["purpose"] == "batch")
    openai_env.complete_batches()
    assert len(batch_llm.generate_outputs(inputs)) == 6


def test_batch_polling_blocks_until_done(openai_env: OpenAIServer) -> None:
    openai_env.configure(batch_auto_complete_after=2)
    llm = OpenAILLM(model="gpt-4o", use_offline_batch_generation=True, offline_batch_generation_block_until_done=1)
    llm.load()
    outputs = llm.generate_outputs([chat("What's the capital of Spain?")])
    assert outputs[0]["generations"] == ["Echo: What's the capital of Spain?"]
    llm.unload()


@pytest.mark.parametrize(
    ("status", "message", "expected"),
    [
        ("failed", "Input file has 3 malformed lines", "Input file has 3 malformed lines"),
        ("expired", None, "did not finish within its completion window"),
        ("cancelled", None, "was cancelled"),
    ],
)
def test_batch_that_ends_without_results_says_which_and_why(
    batch_llm: OpenAILLM, openai_env: OpenAIServer, status: str, message: Any, expected: str
) -> None:
    with pytest.raises(DistilabelOfflineBatchGenerationNotFinishedException):
        batch_llm.generate_outputs([chat("a")])
    [job_id] = batch_llm.jobs_ids
    openai_env.set_batch_status(job_id, status, error_message=message)
    with pytest.raises(DistilabelOfflineBatchGenerationFailedException) as failed:
        batch_llm.generate_outputs([chat("a")])
    assert failed.value.job_id == job_id
    assert failed.value.status == status
    assert job_id in str(failed.value) and expected in str(failed.value)


def test_api_key_never_reaches_logs_or_dump(
    openai_env: OpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    llm = OpenAILLM(model="gpt-4o", api_key=OPENAI_TEST_KEY)
    llm.load()
    llm.generate([chat("x [[status:400]]"), chat("y")])
    assert OPENAI_TEST_KEY not in caplog.text
    assert OPENAI_TEST_KEY not in json.dumps(llm.dump())
    assert OPENAI_TEST_KEY not in repr(llm)
    llm.unload()


def test_unknown_generation_kwarg_lists_valid_names_and_closest(llm: OpenAILLM, openai_env: OpenAIServer) -> None:
    with pytest.raises(DistilabelUserError) as error:
        llm.generate([chat("hi")], max_tokens=10)
    message = str(error.value)
    assert "Unknown generation kwarg 'max_tokens' for OpenAILLM" in message
    assert "Did you mean 'max_new_tokens'?" in message
    assert "temperature" in message and "top_logprobs" in message
    assert openai_env.stats()["total"] == 0, "nothing is sent"


def test_wrong_type_names_the_parameter(llm: OpenAILLM, openai_env: OpenAIServer) -> None:
    with pytest.raises(DistilabelUserError, match="'max_new_tokens'.*'many'"):
        llm.generate([chat("hi")], max_new_tokens="many")
    assert openai_env.stats()["total"] == 0
    # Strings that do parse (from a CLI or YAML) are coerced.
    llm.generate([chat("hi")], max_new_tokens="5", temperature="0.5")
    body = last_body(openai_env)
    assert (body["max_tokens"], body["temperature"]) == (5, 0.5)
