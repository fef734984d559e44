"""SelfInstruct: the prompt, one instruction per line, failures, dumps, a pipeline."""

from pathlib import Path
from typing import Any, List, Optional

from pydantic import Field, PrivateAttr

from distilabel.models.llms.base import LLM
from distilabel.models.llms.outputs import prepare_output
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import SelfInstruct


class LinesLLM(LLM):
    """Answers every prompt with ``answer``; keeps the prompts."""

    answer: Optional[str] = "What is a starter?\n\n  How long does dough rise?  \n"
    _sent: List[Any] = PrivateAttr(default_factory=list)
    tokens: List[int] = Field(default_factory=lambda: [30])

    @property
    def model_name(self) -> str:
        return "lines"

    def generate(self, inputs: List[Any], num_generations: int = 1) -> List[Any]:
        self._sent.extend(inputs)
        errors = ["server error"] if self.answer is None else None
        return [prepare_output([self.answer], self.tokens, [9], errors=errors) for _ in inputs]


def run(task: SelfInstruct, rows: List[dict]) -> List[dict]:
    task.load()
    return next(task.process(rows))


def test_prompt_holds_the_seed_count_application_and_criteria() -> None:
    llm = LinesLLM()
    task = SelfInstruct(llm=llm, num_instructions=3, application_description="AI baking assistant")
    assert task.inputs == ["input"]
    assert task.outputs == ["instructions", "model_name"]
    [row] = run(task, [{"input": "Sourdough needs a starter."}])
    [[message]] = llm._sent
    assert message["role"] == "user"
    prompt = message["content"]
    assert "write 3 different user queries" in prompt
    assert "AI baking assistant" in prompt
    assert prompt.rstrip().endswith("# Context\nSourdough needs a starter.\n\n# Queries")
    assert "Incorporate a diverse range of verbs, avoiding repetition." in prompt
    assert row["instructions"] == ["What is a starter?", "How long does dough rise?"]
    assert row["model_name"] == "lines"
    metadata = row["distilabel_metadata"]
    assert metadata["raw_output_self_instruct_0"] == LinesLLM().answer
    assert metadata["statistics_self_instruct_0"] == {"input_tokens": 30, "output_tokens": 9}


def test_defaults_match_distilabel() -> None:
    task = SelfInstruct(llm=LinesLLM())
    assert task.num_instructions == 5
    assert task.application_description == "AI assistant"
    assert task.criteria_for_query_generation.splitlines()[0] == "Incorporate a diverse range of verbs, avoiding repetition."
    assert len(task.criteria_for_query_generation.splitlines()) == 4


def test_a_failed_generation_gives_an_empty_list_and_the_reason() -> None:
    [row] = run(SelfInstruct(llm=LinesLLM(answer=None)), [{"input": "x"}])
    assert row["instructions"] == []
    assert row["distilabel_metadata"]["error_self_instruct_0"] == "server error"
    assert row["distilabel_metadata"]["raw_output_self_instruct_0"] is None


def test_a_row_without_input_fails_alone() -> None:
    rows = run(SelfInstruct(llm=LinesLLM()), [{"input": None}, {"input": "fine"}])
    assert rows[0]["instructions"] == []
    assert "needs an `input` string" in rows[0]["distilabel_metadata"]["error_self_instruct_0"]
    assert rows[1]["instructions"] == ["What is a starter?", "How long does dough rise?"]


def test_template_text_in_the_input_is_not_rendered() -> None:
    llm = LinesLLM()
    run(SelfInstruct(llm=llm), [{"input": "{{ 7 * 7 }} {% raw %}"}])
    assert "{{ 7 * 7 }} {% raw %}" in llm._sent[0][0]["content"]


def test_dump_load_and_pipeline(tmp_path: Path) -> None:
    task = SelfInstruct(llm=LinesLLM(), num_instructions=2, criteria_for_query_generation="Be brief.")
    again = SelfInstruct.from_dict(task.dump(), allowed_modules=[LinesLLM.__module__])
    assert (again.num_instructions, again.criteria_for_query_generation) == (2, "Be brief.")
    with Pipeline(name="self-instruct", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=[{"input": "a"}, {"input": "b"}])
        load >> SelfInstruct(llm=LinesLLM(answer="One?\nTwo?"))
    train = pipeline.run(use_cache=False)["default"]["train"]
    assert train["instructions"] == [["One?", "Two?"], ["One?", "Two?"]]
