"""Acceptance: the docs' LlamaCppLLM structured-output examples, with the embedded model.

Over 50 generations each, every JSON answer validates against the ``User`` schema
and every regex answer matches the pattern.

The token budgets are the docs' own: 50 for JSON, 200 for the regex. At 50 the
grammar caps the two names at 11 characters and the id at six digits (see
``distilabel.models.structured.budget``), so the answer always closes before the
budget runs out; every capped answer still follows the ``User`` schema.
"""

import json
import re

import pytest
from pydantic import BaseModel

from distilabel.models.llms import LlamaCppLLM
from tests.local.conftest import LLAMA_CPP_MISSING

pytest.importorskip("llama_cpp", reason=LLAMA_CPP_MISSING)

N = 50


class User(BaseModel):
    name: str
    last_name: str
    id: int


@pytest.mark.slow
def test_json_schema_example(smollm2_path: str) -> None:
    llm = LlamaCppLLM(
        model_path=smollm2_path,
        n_gpu_layers=-1,
        n_ctx=1024,
        structured_output={"format": "json", "schema": User},
    )
    llm.load()
    try:
        chat = [{"role": "user", "content": "Create a user profile for the following marathon"}]
        # 10 inputs x 5 generations = 50 answers.
        result = llm.generate([chat] * 10, num_generations=N // 10, max_new_tokens=50)
    finally:
        llm.unload()
    answers = [text for output in result for text in output["generations"]]
    assert len(answers) == N
    for text in answers:
        assert text is not None, result
        User.model_validate(json.loads(text))


@pytest.mark.slow
def test_regex_example(smollm2_path: str) -> None:
    pattern = r"<name>(.*?)</name>.*?<grade>(.*?)</grade>"
    llm = LlamaCppLLM(
        model_path=smollm2_path,
        n_gpu_layers=-1,
        n_ctx=1024,
        structured_output={"format": "regex", "schema": pattern},
    )
    llm.load()
    try:
        chat = [
            {
                "role": "system",
                "content": "You are Simpsons' fans who loves assigning grades from A to E, where A is the best and E is the worst.",
            },
            {"role": "user", "content": "What's up with Homer Simpson?"},
        ]
        result = llm.generate([chat] * 10, num_generations=N // 10, max_new_tokens=200)
    finally:
        llm.unload()
    answers = [text for output in result for text in output["generations"]]
    assert len(answers) == N
    for text in answers:
        assert text is not None, result
        match = re.search(pattern, text, re.DOTALL)
        assert match is not None, text
        assert match.group(1) is not None and match.group(2) is not None
