"""Acceptance: the docs' LlamaCppLLM structured-output examples, with the embedded model.

Over 50 generations each, every JSON answer validates against the ``User`` schema
and every regex answer matches the pattern.

The token budgets are 100 (the docs use 50 and 200): at 50 the 135M model sometimes
writes a name so long that the answer is cut before ``}``, and no grammar can fit
two strings and a 16-digit id into 50 tokens for sure; at 100 the grammar's length
caps guarantee the answer closes. 100 also keeps the regex test quick.
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
        result = llm.generate([chat] * 10, num_generations=N // 10, max_new_tokens=100)
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
        result = llm.generate([chat] * 10, num_generations=N // 10, max_new_tokens=100)
    finally:
        llm.unload()
    answers = [text for output in result for text in output["generations"]]
    assert len(answers) == N
    for text in answers:
        assert text is not None, result
        match = re.search(pattern, text, re.DOTALL)
        assert match is not None, text
        assert match.group(1) is not None and match.group(2) is not None
