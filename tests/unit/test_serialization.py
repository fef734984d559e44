"""dump() / save() / from_dict / from_yaml: type info, no secrets, safe loading."""

import json
import sys
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from distilabel.errors import DistilabelUserError
from distilabel.models.llms import LLM, OpenAILLM

SECRET = "sk-very-secret-value"


class Answer(BaseModel):
    value: int


def test_dump_has_type_info_and_no_secret() -> None:
    llm = OpenAILLM(model="gpt-4o", api_key=SECRET, generation_kwargs={"temperature": 0.3})
    data = llm.dump()
    assert data["type_info"] == {"module": "distilabel.models.llms.openai", "name": "OpenAILLM"}
    assert data["generation_kwargs"] == {"temperature": 0.3}
    assert "api_key" not in data
    assert SECRET not in json.dumps(data)


def test_save_and_load_round_trip_json_and_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    llm = OpenAILLM(model="gpt-4o", generation_kwargs={"max_new_tokens": 7}, structured_output={"schema": Answer})
    for name in ("llm.json", "llm.yaml"):
        path = tmp_path / name
        llm.save(path)
        assert SECRET not in path.read_text()
        loaded = LLM.from_file(path)
        assert isinstance(loaded, OpenAILLM)
        assert loaded.generation_kwargs == {"max_new_tokens": 7}
        assert loaded.structured_output["schema"]["properties"]["value"]["type"] == "integer"
        assert loaded.api_key.get_secret_value() == SECRET, "the key comes back from the environment"


def test_yaml_naming_a_class_outside_distilabel_is_refused(tmp_path: Path) -> None:
    module = "evil_module_that_must_not_be_imported"
    path = tmp_path / "llm.yaml"
    path.write_text(yaml.safe_dump({"model": "x", "type_info": {"module": module, "name": "Payload"}}))
    with pytest.raises(DistilabelUserError, match=f"Refusing to load class 'Payload' from module '{module}'"):
        LLM.from_yaml(path)
    assert module not in sys.modules


def test_yaml_naming_os_system_is_refused_before_import(tmp_path: Path) -> None:
    path = tmp_path / "llm.yaml"
    path.write_text("type_info:\n  module: os\n  name: system\n")
    with pytest.raises(DistilabelUserError, match="only classes from 'distilabel'"):
        LLM.from_yaml(path)


def test_allowed_module_that_is_not_an_llm_is_refused() -> None:
    with pytest.raises(DistilabelUserError, match="is not a LLM"):
        LLM.from_dict({"type_info": {"module": "distilabel.errors", "name": "DistilabelUserError"}})


def test_allowed_modules_opt_in(tmp_path: Path) -> None:
    data = {"type_info": {"module": "tests.unit.custom_llm_module", "name": "PlainLLM"}}
    with pytest.raises(DistilabelUserError, match="allowed_modules"):
        LLM.from_dict(data)
    llm = LLM.from_dict(data, allowed_modules=["tests.unit.custom_llm_module"])
    assert llm.model_name == "plain"


def test_unknown_suffix_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DistilabelUserError, match=r"\.json, \.yaml or \.yml"):
        OpenAILLM(model="x", api_key="k").save(tmp_path / "llm.txt")
