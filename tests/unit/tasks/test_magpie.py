"""Magpie and MagpieGenerator: the pre-query template, turns, system prompts, failures,
dumps, and the response cache asking a repeated prompt for new samples."""

import random
from pathlib import Path
from typing import Any, Dict, List

import pytest
from pydantic import PrivateAttr

from distilabel.errors import DistilabelUserError
from distilabel.models.llms import ClientvLLM
from distilabel.models.llms.base import LLM
from distilabel.models.llms.outputs import prepare_output
from distilabel.models.mixins.magpie import MAGPIE_PRE_QUERY_TEMPLATES, MagpieChatTemplateMixin
from distilabel.pipeline import Pipeline
from distilabel.runtime.cache import ResponseCache
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import Magpie, MagpieGenerator
from distilabel.steps.tasks.magpie.base import MAGPIE_MULTI_TURN_SYSTEM_PROMPT
from tests.unit.pipeline.fakes import EchoSyncLLM

PRE_QUERY = "<|im_start|>user\n"


class ChatMLLLM(LLM, MagpieChatTemplateMixin):
    """Renders conversations as ChatML like an instruct model does, Magpie included.

    A prompt that ends with the pre-query template is answered with a new user question
    ("Question 1?", "Question 2?", ...); any other with an answer to the last user
    message. A system prompt holding FAIL_USER / FAIL_ASSISTANT / EMPTY_USER makes that
    turn fail or come back empty.
    """

    _prompts: List[str] = PrivateAttr(default_factory=list)
    _questions: int = PrivateAttr(default=0)

    @property
    def model_name(self) -> str:
        return "chatml-fake"

    def render(self, chat: List[Dict[str, Any]]) -> str:
        text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in chat)
        if self.use_magpie_template and not (chat and chat[-1]["role"] == "user"):
            return self.apply_magpie_pre_query_template(text, chat)
        return text + "<|im_start|>assistant\n"

    def generate(self, inputs: List[Any], num_generations: int = 1, max_new_tokens: int = 64) -> List[Any]:
        outputs = []
        for chat in inputs:
            prompt = self.render(chat)
            self._prompts.append(prompt)
            system = chat[0]["content"] if chat and chat[0]["role"] == "system" else ""
            if prompt.endswith(self.magpie_pre_query_template or "<none>"):
                if "FAIL_USER" in system:
                    reply = None
                elif "EMPTY_USER" in system:
                    reply = "   "
                else:
                    self._questions += 1
                    reply = f"  Question {self._questions}?\n"
            else:
                reply = None if "FAIL_ASSISTANT" in system else f"Answer to {chat[-1]['content']}"
            errors = ["the fake refused"] if reply is None else None
            outputs.append(prepare_output([reply], [len(prompt)], [3], errors=errors))
        return outputs


def make_llm() -> ChatMLLLM:
    return ChatMLLLM(magpie_pre_query_template=PRE_QUERY)


def run(task: Magpie, rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    task.load()
    return next(task.process(rows))


def test_only_instruction_ends_the_prompt_with_the_pre_query_template() -> None:
    llm = make_llm()
    task = Magpie(llm=llm, only_instruction=True)
    assert llm.use_magpie_template is True
    assert task.outputs == ["instruction", "model_name"]
    rows = run(task, [{"system_prompt": "You are a chemist."}, {}])
    assert [r["instruction"] for r in rows] == ["Question 1?", "Question 2?"]
    assert rows[0]["system_prompt"] == "You are a chemist."
    assert rows[0]["model_name"] == "chatml-fake"
    assert llm._prompts == [
        "<|im_start|>system\nYou are a chemist.<|im_end|>\n" + PRE_QUERY,
        PRE_QUERY,
    ]
    metadata = rows[0]["distilabel_metadata"]
    assert metadata == {"statistics_magpie_0": {"input_tokens": [len(llm._prompts[0])], "output_tokens": [3]}}


def test_one_turn_gives_instruction_and_response() -> None:
    task = Magpie(llm=make_llm(), system_prompt="You help with maths.")
    assert task.outputs == ["instruction", "response", "model_name"]
    [row] = run(task, [{"seed": 1}])
    assert row["instruction"] == "Question 1?"
    assert row["response"] == "Answer to Question 1?"
    assert row["seed"] == 1
    assert row["distilabel_metadata"]["statistics_magpie_0"]["output_tokens"] == [3, 3]


def test_multi_turn_conversations_use_the_default_system_prompt() -> None:
    llm = make_llm()
    task = Magpie(llm=llm, n_turns=2)
    assert task.outputs == ["conversation", "model_name"]
    [row] = run(task, [{}])
    assert row["conversation"] == [
        {"role": "user", "content": "Question 1?"},
        {"role": "assistant", "content": "Answer to Question 1?"},
        {"role": "user", "content": "Question 2?"},
        {"role": "assistant", "content": "Answer to Question 2?"},
    ]
    assert llm._prompts[0].startswith(f"<|im_start|>system\n{MAGPIE_MULTI_TURN_SYSTEM_PROMPT}")
    assert llm._prompts[2].endswith("Answer to Question 1?<|im_end|>\n" + PRE_QUERY)


def test_end_with_user_and_include_system_prompt() -> None:
    task = Magpie(llm=make_llm(), n_turns=2, end_with_user=True, include_system_prompt=True, system_prompt="Be short.")
    [row] = run(task, [{}])
    assert [m["role"] for m in row["conversation"]] == ["system", "user", "assistant", "user"]
    assert row["conversation"][0]["content"] == "Be short."
    assert row["conversation"][-1]["content"] == "Question 2?"


def test_system_prompts_with_probabilities_give_their_key() -> None:
    prompts = {"math": ("You teach algebra.", 0.8), "cooking": ("You are a chef.", 0.2)}
    llm = make_llm()
    task = Magpie(llm=llm, only_instruction=True, system_prompt=prompts)
    assert task.outputs == ["instruction", "system_prompt_key", "model_name"]
    random.seed(3)
    rows = run(task, [{} for _ in range(200)])
    keys = [r["system_prompt_key"] for r in rows]
    assert set(keys) == {"math", "cooking"}
    assert 120 < keys.count("math") < 190  # about 80% of 200
    for row, prompt in zip(rows, llm._prompts, strict=True):
        assert prompt.startswith(f"<|im_start|>system\n{prompts[row['system_prompt_key']][0]}<|im_end|>")
    # A row's own system prompt wins, and then there is no key to report.
    [own] = run(task, [{"system_prompt": "Custom."}])
    assert own["system_prompt_key"] is None


def test_system_prompt_list_and_plain_dict() -> None:
    task = Magpie(llm=make_llm(), only_instruction=True, system_prompt=["A.", "B."])
    assert task.outputs == ["instruction", "model_name"]
    random.seed(0)
    run(task, [{} for _ in range(20)])
    assert {p.split("\n")[1].removesuffix("<|im_end|>") for p in task.llm._prompts} == {"A.", "B."}
    keyed = Magpie(llm=make_llm(), only_instruction=True, system_prompt={"a": "A.", "b": "B."})
    rows = run(keyed, [{} for _ in range(20)])
    assert {r["system_prompt_key"] for r in rows} == {"a", "b"}


@pytest.mark.parametrize(
    "system_prompt, match",
    [
        ({"a": ("A.", 0.5), "b": ("B.", 0.2)}, "add up to 1.0"),
        ({"a": ("A.", 1.0), "b": "B."}, "valid tuple"),
        ([], "must not be an empty"),
    ],
)
def test_bad_system_prompts_are_refused(system_prompt: Any, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Magpie(llm=make_llm(), system_prompt=system_prompt)


def test_a_failed_turn_ends_the_conversation_and_keeps_what_was_written() -> None:
    task = Magpie(llm=make_llm(), n_turns=2)
    rows = run(task, [{"system_prompt": "FAIL_ASSISTANT"}, {"system_prompt": "ok"}, {"system_prompt": "EMPTY_USER"}])
    failed, fine, empty = rows
    assert failed["conversation"] is None
    metadata = failed["distilabel_metadata"]
    assert metadata["error_magpie_0"] == "no assistant message at turn 1: the fake refused"
    assert metadata["raw_output_magpie_0"] == [{"role": "user", "content": "Question 1?"}]
    assert [m["role"] for m in fine["conversation"]] == ["user", "assistant", "user", "assistant"]
    assert "error_magpie_0" not in fine["distilabel_metadata"]
    assert empty["conversation"] is None
    assert empty["distilabel_metadata"]["error_magpie_0"] == (
        "no user message at turn 1: the model wrote an empty message"
    )
    assert "raw_output_magpie_0" not in empty["distilabel_metadata"]


def test_one_turn_failure_keeps_the_instruction() -> None:
    task = Magpie(llm=make_llm())
    [row] = run(task, [{"system_prompt": "FAIL_ASSISTANT"}])
    assert row["instruction"] == "Question 1?"
    assert row["response"] is None
    assert "no assistant message" in row["distilabel_metadata"]["error_magpie_0"]


def test_magpie_needs_an_llm_that_can_apply_the_template() -> None:
    with pytest.raises(ValueError, match="renders its own prompts"):
        Magpie(llm=EchoSyncLLM())
    with pytest.raises(ValueError, match="set `magpie_pre_query_template`"):
        Magpie(llm=ChatMLLLM())
    with pytest.raises(ValueError, match="needs `tokenizer`"):
        MagpieGenerator(llm=ClientvLLM(magpie_pre_query_template="qwen2"), num_rows=1)


def test_named_pre_query_templates_resolve() -> None:
    llm = ChatMLLLM(magpie_pre_query_template="qwen2")
    assert llm.magpie_pre_query_template == MAGPIE_PRE_QUERY_TEMPLATES["qwen2"] == "<|im_start|>user\n"
    llm.magpie_pre_query_template = "llama3"
    assert llm.magpie_pre_query_template.endswith("<|start_header_id|>user<|end_header_id|>\n\n")
    with pytest.raises(ValueError, match="needs a magpie_pre_query_template"):
        ChatMLLLM(use_magpie_template=True)


def test_dump_and_load_round_trip() -> None:
    task = Magpie(llm=make_llm(), n_turns=3, end_with_user=True, system_prompt={"a": ("A.", 0.25), "b": ("B.", 0.75)})
    data = task.dump()
    assert data["system_prompt"] == {"a": ["A.", 0.25], "b": ["B.", 0.75]}
    assert data["llm"]["use_magpie_template"] is True
    again = Magpie.from_dict(data, allowed_modules=[ChatMLLLM.__module__])
    assert again.system_prompt == {"a": ("A.", 0.25), "b": ("B.", 0.75)}
    assert (again.n_turns, again.end_with_user, again.outputs) == (3, True, ["conversation", "system_prompt_key", "model_name"])
    assert again.llm.magpie_pre_query_template == PRE_QUERY
    generator = MagpieGenerator(llm=make_llm(), num_rows=7, only_instruction=True)
    loaded = MagpieGenerator.from_dict(generator.dump(), allowed_modules=[ChatMLLLM.__module__])
    assert (loaded.num_rows, loaded.outputs) == (7, ["instruction", "model_name"])


def test_generator_makes_num_rows_in_batches() -> None:
    generator = MagpieGenerator(llm=make_llm(), num_rows=5, batch_size=2, only_instruction=True)
    generator.load()
    batches = list(generator.process())
    assert [(len(rows), last) for rows, last in batches] == [(2, False), (2, False), (1, True)]
    instructions = [row["instruction"] for rows, _ in batches for row in rows]
    assert instructions == [f"Question {i}?" for i in range(1, 6)]
    assert generator.total_rows == 5
    rest = list(MagpieGenerator(llm=make_llm(), num_rows=3, batch_size=2).process(offset=2))
    assert [(len(rows), last) for rows, last in rest] == [(1, True)]


def test_generator_needs_num_rows() -> None:
    generator = MagpieGenerator(llm=make_llm())
    generator.load()
    with pytest.raises(DistilabelUserError, match="needs `num_rows`"):
        next(generator.process())


def test_repeated_prompts_are_new_samples_for_the_cache_and_a_rerun_replays_them(tmp_path: Path) -> None:
    llm = make_llm()
    cache = ResponseCache(tmp_path / "responses.sqlite", write_behind=False)
    llm.use_cache(cache)
    generator = MagpieGenerator(llm=llm, num_rows=4, batch_size=2, only_instruction=True)
    generator.load()
    first = [row["instruction"] for rows, _ in generator.process() for row in rows]
    assert first == ["Question 1?", "Question 2?", "Question 3?", "Question 4?"]
    asked = len(llm._prompts)
    again = [row["instruction"] for rows, _ in generator.process() for row in rows]
    assert again == first  # every ask answered by the cache, in the same order
    assert len(llm._prompts) == asked
    cache.close()


def test_magpie_in_a_pipeline(tmp_path: Path) -> None:
    with Pipeline(name="magpie", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=[{"system_prompt": "You are a gardener."}, {"system_prompt": "You code."}])
        magpie = Magpie(llm=make_llm(), n_turns=1, input_batch_size=1)
        load >> magpie
    train = pipeline.run(use_cache=False)["default"]["train"]
    assert sorted(train["instruction"]) == ["Question 1?", "Question 2?"]
    assert [r.startswith("Answer to Question") for r in train["response"]] == [True, True]
    assert train["model_name"] == ["chatml-fake", "chatml-fake"]


@pytest.mark.parametrize("llm_class", ["TransformersLLM", "vLLM", "ClientvLLM"])
def test_local_llms_end_prompts_with_the_pre_query_template(tmp_path: Path, llm_class: str) -> None:
    from transformers import AutoTokenizer

    import distilabel.models.llms as llms
    from tests.providers.tiny_tokenizer import make_tiny_tokenizer

    directory = make_tiny_tokenizer(tmp_path / "tokenizer")
    kwargs: Dict[str, Any] = {"tokenizer": directory} if llm_class == "ClientvLLM" else {"model": "local"}
    llm = getattr(llms, llm_class)(magpie_pre_query_template="<|user|>\n", **kwargs)
    MagpieGenerator(llm=llm, num_rows=1)  # turns use_magpie_template on
    llm._tokenizer = AutoTokenizer.from_pretrained(directory)  # what load() would set
    assert llm.prepare_input([]) == "<|user|>\n"
    assert llm.prepare_input([{"role": "system", "content": "Be kind."}]) == "<|system|>\nBe kind.\n<|user|>\n"
    turn = [{"role": "user", "content": "Hi"}]
    assert llm.prepare_input(turn) == "<|user|>\nHi\n<|assistant|>\n"  # answers are not Magpie's
