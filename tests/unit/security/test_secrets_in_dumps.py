"""Credentials given in headers, URLs or extra_body never land in a dump, a saved Distiset or a repr."""

import json
from pathlib import Path

import pytest
import yaml

from distilabel.distiset import Distiset
from distilabel.models.llms import OpenAILLM
from distilabel.pipeline import Pipeline
from distilabel.runtime import cache
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration
from distilabel.utils import secrets
from distilabel.utils.secrets import REDACTED, is_secret_name, redact, redact_url

KEY = "sk-dump-4f1c9e7a2b8d6e0f3a5c"


def leaky_llm(**overrides: object) -> OpenAILLM:
    options = dict(
        model="gpt-4o",
        api_key=KEY,
        base_url=f"https://user:{KEY}@llm.example.com:8443/v1?api_key={KEY}&api-version=2024-06-01",
        default_headers={"Authorization": f"Bearer {KEY}", "X-Api-Key": KEY, "X-Request-Source": "tests"},
        generation_kwargs={"temperature": 0.2, "extra_body": {"hf_token": KEY, "access_token": KEY, "top_k": 5}},
    )
    options.update(overrides)
    return OpenAILLM(**options)


def check_redacted(llm_dump: dict) -> None:
    assert llm_dump["base_url"] == "https://llm.example.com:8443/v1?api-version=2024-06-01"
    assert llm_dump["default_headers"] == {
        "Authorization": REDACTED,
        "X-Api-Key": REDACTED,
        "X-Request-Source": "tests",
    }
    assert llm_dump["generation_kwargs"] == {
        "temperature": 0.2,
        "extra_body": {"hf_token": REDACTED, "access_token": REDACTED, "top_k": 5},
    }
    assert "api_key" not in llm_dump


def test_llm_dump_save_and_repr_redact_every_credential(tmp_path: Path) -> None:
    llm = leaky_llm()
    data = llm.dump()
    check_redacted(data)
    assert KEY not in json.dumps(data)

    for name in ("llm.yaml", "llm.json"):
        llm.save(tmp_path / name)
        text = (tmp_path / name).read_text()
        assert KEY not in text
        saved = yaml.safe_load(text)
        check_redacted(saved)

    for shown in (repr(llm), str(llm)):
        assert KEY not in shown
        assert "'Authorization': '**********'" in shown
        assert "'X-Request-Source': 'tests'" in shown
        assert "https://llm.example.com:8443/v1?api-version=2024-06-01" in shown


def test_pipeline_yaml_of_a_run_a_saved_distiset_and_pipeline_save_hold_no_credential(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, openai_server
) -> None:
    monkeypatch.setenv("DISTILABEL_CACHE_DIR", str(tmp_path / "cache"))
    with Pipeline(name="leaky") as pipeline:
        LoadDataFromDicts(name="load", data=[{"instruction": "hi"}]) >> TextGeneration(name="tg", llm=leaky_llm())
    pipeline.save(tmp_path / "saved.yaml")
    pipeline.save(tmp_path / "saved.json", format="json")

    # Now a run, against the loopback server (the SDK takes no query string in base_url).
    headers = {"X-Api-Key": KEY, "X-Request-Source": "tests"}  # an Authorization would replace the key
    llm = leaky_llm(api_key="sk-test", base_url=f"{openai_server.url}/v1", default_headers=headers)
    with Pipeline(name="leaky") as pipeline:
        LoadDataFromDicts(name="load", data=[{"instruction": "hi"}]) >> TextGeneration(name="tg", llm=llm)
    distiset = pipeline.run(use_cache=False)
    assert distiset["default"]["train"]["generation"] == ["Echo: hi"]
    # The credentials really were sent: redaction is only in what is written.
    assert openai_server.recorder.requests[-1]["json"]["hf_token"] == KEY

    distiset.save_to_disk(tmp_path / "distiset")  # what push_to_hub uploads, on disk
    written = [
        tmp_path / "saved.yaml",
        tmp_path / "saved.json",
        *sorted((tmp_path / "cache").rglob("pipeline.yaml")),
        *[path for path in sorted((tmp_path / "distiset").rglob("*")) if path.is_file()],
    ]
    assert (tmp_path / "distiset" / "pipeline.yaml") in written
    for path in written:
        assert KEY not in path.read_text(errors="replace"), path
    run_yaml = yaml.safe_load((tmp_path / "distiset" / "pipeline.yaml").read_text())
    tg = next(step["step"] for step in run_yaml["pipeline"]["steps"] if step["name"] == "tg")
    assert tg["llm"]["default_headers"] == {"X-Api-Key": REDACTED, "X-Request-Source": "tests"}
    assert tg["llm"]["generation_kwargs"]["extra_body"] == {"hf_token": REDACTED, "access_token": REDACTED, "top_k": 5}
    assert tg["llm"]["base_url"] == f"{openai_server.url}/v1"
    check_redacted(yaml.safe_load((tmp_path / "saved.yaml").read_text())["pipeline"]["steps"][1]["step"]["llm"])
    assert Distiset.load_from_disk(tmp_path / "distiset")["default"]["train"]["generation"] == ["Echo: hi"]


def test_rebuilding_a_dump_drops_redacted_values_and_reads_the_key_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-the-environment")
    rebuilt = OpenAILLM.from_dict(leaky_llm().dump())
    assert rebuilt.default_headers == {"X-Request-Source": "tests"}, "a redacted header is never sent as a literal"
    assert rebuilt.generation_kwargs == {"temperature": 0.2, "extra_body": {"top_k": 5}}
    assert rebuilt.base_url == "https://llm.example.com:8443/v1?api-version=2024-06-01"
    assert rebuilt.api_key.get_secret_value() == "sk-from-the-environment"
    assert REDACTED not in json.dumps(rebuilt.model_dump(mode="json"))


def test_one_definition_of_a_secret_shared_with_the_response_cache() -> None:
    assert cache.is_secret_name is secrets.is_secret_name
    assert cache.strip_url_credentials is secrets.strip_url_credentials
    for name in ("api_key", "apiKey", "X-Api-Key", "Authorization", "hf_token", "client_secret", "Cookie", "password"):
        assert is_secret_name(name), name
    for name in ("max_tokens", "tokenizer_id", "model", "tokens_per_minute", "X-Request-Source", "base_url"):
        assert not is_secret_name(name), name
    # The cache drops what a dump redacts, headers whole.
    assert cache.scrub({"default_headers": {"X-Request-Source": "t"}, "extra_body": {"hf_token": KEY, "top_k": 5}}) == {
        "extra_body": {"top_k": 5}
    }


def test_redaction_of_values() -> None:
    assert redact_url(f"https://{KEY}@h/v1") == "https://h/v1"
    assert redact_url(f"https://h/v1?key={KEY}&alt=json") == "https://h/v1?alt=json"
    assert redact_url("https://h/v1?api-version=1") == "https://h/v1?api-version=1"
    assert redact({"headers": {"X-Custom": f"Bearer {KEY}", "Accept": "json"}}) == {
        "headers": {"X-Custom": REDACTED, "Accept": "json"}
    }
    assert redact({"credentials": {"user": "me", "pass": KEY}}) == {"credentials": {"user": REDACTED, "pass": REDACTED}}
    # Records are data: a dataset column named "token" stays as it is.
    assert redact({"data": [{"token": "Paris", "tag": "LOC"}]}) == {"data": [{"token": "Paris", "tag": "LOC"}]}
    assert redact({"use_auth_token": True, "token": None}) == {"use_auth_token": True, "token": None}
