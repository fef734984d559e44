"""Helpers given one home by the second de-duplication pass: reading an answer's parts
(``utils.llm_text.named_groups``, ``utils.llm_json.json_object``), rendering a prompt with
a tokenizer that may lack a chat template (``render_prompt``'s ``join_without_template``,
``TokenizerChatTemplateMixin``), the embedding steps' base (``TextEmbeddingStep``) and the
example writers' drawn traits (``improving_text_embeddings``)."""

import re
from typing import Any, List, Optional

import pytest

from distilabel.models.llms import MlxLLM, TransformersLLM, vLLM
from distilabel.models.llms.chat_templates import TokenizerChatTemplateMixin, render_prompt
from distilabel.steps import EmbeddingGeneration
from distilabel.steps.embeddings.embedding_generation import TextEmbeddingStep
from distilabel.steps.tasks import GenerateEmbeddings, GenerateTextRetrievalData
from distilabel.steps.tasks.improving_text_embeddings import QUERY_LENGTHS, QUERY_TYPES
from distilabel.utils.llm_json import json_object
from distilabel.utils.llm_text import named_groups
from tests.unit.tasks.fakes import ScriptedLLM

_PAIR = re.compile(r"(?P<question>.+?)ANSWER:(?P<answer>.+)$", re.DOTALL)


def test_named_groups_are_stripped_in_pattern_order_and_none_without_a_match() -> None:
    assert named_groups(_PAIR, " Why? ANSWER: Because. ") == {"question": "Why?", "answer": "Because."}
    assert list(named_groups(_PAIR, "x ANSWER: y")) == ["question", "answer"]
    assert named_groups(_PAIR, "no marker") == {"question": None, "answer": None}
    assert named_groups(_PAIR, None) == {"question": None, "answer": None}


def test_json_object_reads_an_object_and_nothing_else() -> None:
    assert json_object('Here: ```json\n{"a": 1}\n```') == {"a": 1}
    assert json_object("[1, 2]") is None
    assert json_object("not json") is None
    assert json_object(None) is None


class _Tokenizer:
    """Just enough of a tokenizer: a chat template that tags each turn, or none."""

    def __init__(self, chat_template: Optional[str]) -> None:
        self.chat_template = chat_template

    def apply_chat_template(self, conversation: List[dict], tokenize: bool, add_generation_prompt: bool) -> str:
        if self.chat_template is None:
            raise ValueError("no chat template")
        text = "".join(f"<{m['role']}>{m['content']}" for m in conversation)
        return text + ("<assistant>" if add_generation_prompt else "")


_CHAT = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}]


def test_render_prompt_joins_turns_only_when_asked_and_the_template_is_missing() -> None:
    templated = _Tokenizer("tags")
    assert render_prompt(templated, _CHAT, join_without_template=True) == "<system>Be brief.<user>hi<assistant>"
    plain = _Tokenizer(None)
    assert render_prompt(plain, _CHAT, join_without_template=True) == "Be brief.\n\nhi"
    with pytest.raises(ValueError, match="no chat template"):
        render_prompt(plain, _CHAT)
    assert render_prompt(plain, "raw text", join_without_template=True) == "raw text"


@pytest.mark.parametrize(
    ("llm", "joins"),
    [(TransformersLLM(model="m"), True), (MlxLLM(path_or_hf_repo="m"), True), (vLLM(model="m"), False)],
)
def test_local_engines_share_one_prepare_input(llm: Any, joins: bool) -> None:
    assert isinstance(llm, TokenizerChatTemplateMixin)
    llm._tokenizer = _Tokenizer("tags")
    assert llm.prepare_input(_CHAT) == "<system>Be brief.<user>hi<assistant>"
    llm._tokenizer = _Tokenizer(None)
    if joins:
        assert llm.prepare_input(_CHAT) == "Be brief.\n\nhi"
    else:
        with pytest.raises(ValueError):
            llm.prepare_input(_CHAT)


def test_both_embedding_steps_load_their_model_and_write_the_same_columns() -> None:
    from distilabel.models.embeddings.base import Embeddings

    class CharCount(Embeddings):
        @property
        def model_name(self) -> str:
            return "chars"

        def encode(self, inputs: List[str]) -> List[List[float]]:
            return [[float(len(text))] for text in inputs]

    class HiddenStates(ScriptedLLM):
        def get_last_hidden_states(self, inputs: List[Any]) -> List[List[List[float]]]:
            return [[[0.0, 0.0], [1.0, float(len(chat[-1]["content"]))]] for chat in inputs]

    generation = EmbeddingGeneration(embeddings=CharCount())
    from_llm = GenerateEmbeddings(llm=HiddenStates())
    for step, expected in ((generation, [[2.0], [5.0]]), (from_llm, [[1.0, 2.0], [1.0, 5.0]])):
        assert isinstance(step, TextEmbeddingStep)
        step.load()
        rows = next(step.process([{"text": "hi"}, {"text": "hello"}]))
        step.unload()
        assert [row["embedding"] for row in rows] == expected
        assert {row["model_name"] for row in rows} == {step._model.model_name}
        assert step.outputs == ["embedding", "model_name"]


def test_a_row_task_draws_its_traits_reproducibly_in_their_declared_order() -> None:
    task = GenerateTextRetrievalData(llm=ScriptedLLM(), seed=3)
    task.load()
    row = {"task": "Find recipes by ingredient."}
    first, again = task.format_input(row), task.format_input(row)
    assert first == again
    fixed = GenerateTextRetrievalData(llm=ScriptedLLM(), seed=3, query_type="common", query_length="5 to 15 words")
    fixed.load()
    prompt = fixed.format_input(row)[0]["content"]
    assert "common" in prompt and "5 to 15 words" in prompt
    assert QUERY_TYPES == ("extremely long-tail", "long-tail", "common")
    assert QUERY_LENGTHS[1] == "5 to 15 words"
