"""The Evol family: EvolInstruct, EvolComplexity, EvolQuality and the two generators —
mutation prompts, seeded choices, parsing, failures, answers, dumps."""

import re
from pathlib import Path
from typing import Any, Dict, List

import pytest
from pydantic import PrivateAttr

from distilabel.models.llms.base import LLM
from distilabel.models.llms.outputs import prepare_output
from distilabel.pipeline import Pipeline
from distilabel.runtime.cache import ResponseCache
from distilabel.steps.tasks import (
    EvolComplexity,
    EvolComplexityGenerator,
    EvolInstruct,
    EvolInstructGenerator,
    EvolQuality,
)
from distilabel.steps.tasks.evol_instruct.evol_complexity.utils import (
    GENERATION_MUTATION_TEMPLATES as COMPLEXITY_GENERATION_TEMPLATES,
)
from distilabel.steps.tasks.evol_instruct.evol_complexity.utils import (
    MUTATION_TEMPLATES as COMPLEXITY_TEMPLATES,
)
from distilabel.steps.tasks.evol_instruct.utils import (
    GENERATION_MUTATION_TEMPLATES,
    MUTATION_TEMPLATES,
    english_nouns,
)
from distilabel.steps.tasks.evol_quality.utils import MUTATION_TEMPLATES as QUALITY_TEMPLATES

GIVEN = re.compile(r"#(?:The )?Given Prompt#:\n(.*?)\n\n#(Rewritten|Created) Prompt#:$", re.S)
GIVEN_RESPONSE = re.compile(r"#Given Prompt#:\n(.*?)\n\n#Given Response#:\n(.*?)\n\n#Rewritten Response#:$", re.S)
FRESH = re.compile(r"^Write a single question or request that uses one or more of these words: (.+)$")


class EvolLLM(LLM):
    """Answers the Evol prompts in their format, deterministically.

    - an in-depth rewrite of P: ``#Rewritten Prompt#:\\n P (harder)``; in breadth: ``New: P``
    - a response rewrite of R: ``#Rewritten Response#: R+``
    - a fresh start with words W: ``Tell me about W``
    - anything else (an answer): ``Answer: <prompt>``
    Prompts holding BREAK get a rewrite with nothing after the header; FAIL, no answer.
    """

    _sent: List[str] = PrivateAttr(default_factory=list)

    @property
    def model_name(self) -> str:
        return "evol-fake"

    def reply(self, prompt: str) -> Any:
        if "FAIL" in prompt:
            return None
        if match := GIVEN.search(prompt):
            given, kind = match.groups()
            if "BREAK" in given:
                return "#Rewritten Prompt#:   "
            return f"#Rewritten Prompt#:\n {given} (harder)" if kind == "Rewritten" else f"New: {given}"
        if match := GIVEN_RESPONSE.search(prompt):
            return f"#Rewritten Response#: {match.group(2)}+"
        if match := FRESH.match(prompt):
            return f"Tell me about {match.group(1)}"
        return f"Answer: {prompt}"

    def generate(self, inputs: List[Any], num_generations: int = 1) -> List[Any]:
        outputs = []
        for chat in inputs:
            prompt = chat[-1]["content"]
            self._sent.append(prompt)
            reply = self.reply(prompt)
            errors = ["refused"] if reply is None else None
            outputs.append(prepare_output([reply], [7], [2], errors=errors))
        return outputs


def mutation_of(prompt: str, templates: Dict[str, str]) -> str:
    """Which template a sent prompt came from."""
    for name, template in templates.items():
        head = template.split("<PROMPT>")[0]
        if prompt.startswith(head) and head:
            return name
    raise AssertionError(f"not a mutation prompt: {prompt[:80]!r}")


def run(task: Any, rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    task.load()
    return next(task.process(rows))


# --- EvolInstruct -----------------------------------------------------------------------------


def test_evol_instruct_evolves_and_parses_after_the_header() -> None:
    llm = EvolLLM()
    task = EvolInstruct(llm=llm, num_evolutions=2, mutation_templates={"CONSTRAINTS": MUTATION_TEMPLATES["CONSTRAINTS"]})
    assert task.inputs == ["instruction"]
    assert task.outputs == ["evolved_instruction", "model_name"]
    [row] = run(task, [{"instruction": "Explain tides."}])
    assert row["evolved_instruction"] == "Explain tides. (harder) (harder)"
    assert row["model_name"] == "evol-fake"
    assert llm._sent[0] == MUTATION_TEMPLATES["CONSTRAINTS"].replace("<PROMPT>", "Explain tides.")
    assert "#Rewritten Prompt#:" in llm._sent[0] and "add one more constraint" in llm._sent[0]
    metadata = row["distilabel_metadata"]
    assert metadata == {"statistics_instruction_evol_instruct_0": {"input_tokens": [7, 7], "output_tokens": [2, 2]}}


def test_evol_instruct_store_evolutions_with_original_and_answers() -> None:
    llm = EvolLLM()
    task = EvolInstruct(
        llm=llm,
        num_evolutions=2,
        store_evolutions=True,
        include_original_instruction=True,
        generate_answers=True,
        mutation_templates={"DEEPENING": MUTATION_TEMPLATES["DEEPENING"]},
    )
    assert task.outputs == ["evolved_instructions", "model_name", "answers"]
    [row] = run(task, [{"instruction": "Sort a list."}])
    assert row["evolved_instructions"] == ["Sort a list.", "Sort a list. (harder)", "Sort a list. (harder) (harder)"]
    assert row["answers"] == [f"Answer: {text}" for text in row["evolved_instructions"]]
    stats = row["distilabel_metadata"]["statistics_answer_evol_instruct_0"]
    assert stats == {"input_tokens": [7, 7, 7], "output_tokens": [2, 2, 2]}


def test_evol_instruct_answer_of_the_last_version() -> None:
    task = EvolInstruct(llm=EvolLLM(), num_evolutions=1, generate_answers=True, mutation_templates={"B": MUTATION_TEMPLATES["BREADTH"]})
    assert task.outputs == ["evolved_instruction", "model_name", "answer"]
    [row] = run(task, [{"instruction": "Name a bird."}])
    assert row["evolved_instruction"] == "New: Name a bird."
    assert row["answer"] == "Answer: New: Name a bird."


def test_evol_instruct_seeded_choices_repeat_and_do_not_depend_on_the_batch() -> None:
    rows = [{"instruction": f"Question number {i}."} for i in range(12)]

    def chosen(seed: int, batch: List[Dict[str, Any]]) -> List[str]:
        llm = EvolLLM()
        run(EvolInstruct(llm=llm, num_evolutions=1, seed=seed), [dict(r) for r in batch])
        return [mutation_of(p, MUTATION_TEMPLATES) for p in llm._sent]

    first = chosen(42, rows)
    assert chosen(42, rows) == first
    assert chosen(42, rows[5:]) == first[5:]  # a row's mutation is its own, whatever the batch
    assert len(set(first)) >= 3  # the rows do not all get the same mutation
    assert chosen(7, rows) != first


def test_evol_instruct_a_broken_rewrite_gives_none_and_keeps_the_raw_outputs() -> None:
    task = EvolInstruct(llm=EvolLLM(), num_evolutions=2, store_evolutions=True, mutation_templates={"C": MUTATION_TEMPLATES["CONCRETIZING"]})
    rows = run(task, [{"instruction": "BREAK this"}, {"instruction": "FAIL please"}, {"instruction": "Fine."}])
    broken, failed, fine = rows
    assert broken["evolved_instructions"] is None
    assert broken["distilabel_metadata"]["error_evol_instruct_0"].startswith("evolution 1 gave an empty instruction")
    assert broken["distilabel_metadata"]["raw_output_evol_instruct_0"] == ["#Rewritten Prompt#:   "]
    assert failed["evolved_instructions"] is None
    assert failed["distilabel_metadata"]["error_evol_instruct_0"] == "evolution 1 failed: refused"
    assert fine["evolved_instructions"] == ["Fine. (harder)", "Fine. (harder) (harder)"]
    assert "error_evol_instruct_0" not in fine["distilabel_metadata"]


def test_evol_instruct_a_row_without_instruction_fails_alone() -> None:
    rows = run(EvolInstruct(llm=EvolLLM(), num_evolutions=1), [{"instruction": None}, {"instruction": "ok"}])
    assert rows[0]["evolved_instruction"] is None
    assert "no instruction to evolve" in rows[0]["distilabel_metadata"]["error_evol_instruct_0"]
    assert rows[1]["evolved_instruction"] is not None


def test_evol_complexity_uses_only_in_depth_rewrites() -> None:
    assert set(COMPLEXITY_TEMPLATES) == {"CONSTRAINTS", "DEEPENING", "CONCRETIZING", "INCREASED_REASONING_STEPS"}
    assert set(MUTATION_TEMPLATES) == set(COMPLEXITY_TEMPLATES) | {"BREADTH"}
    llm = EvolLLM()
    rows = run(EvolComplexity(llm=llm, num_evolutions=1), [{"instruction": f"Task {i}"} for i in range(10)])
    assert all(row["evolved_instruction"] == f"Task {i} (harder)" for i, row in enumerate(rows))
    assert {mutation_of(p, MUTATION_TEMPLATES) for p in llm._sent} <= set(COMPLEXITY_TEMPLATES)


def test_evol_instruct_dump_and_load() -> None:
    task = EvolInstruct(llm=EvolLLM(), num_evolutions=3, store_evolutions=True, seed=5)
    data = task.dump()
    assert data["mutation_templates"] == MUTATION_TEMPLATES
    again = EvolInstruct.from_dict(data, allowed_modules=[EvolLLM.__module__])
    assert (again.num_evolutions, again.store_evolutions, again.seed) == (3, True, 5)
    assert type(EvolComplexity.from_dict(EvolComplexity(llm=EvolLLM(), num_evolutions=1).dump(), allowed_modules=[EvolLLM.__module__])) is EvolComplexity
    with pytest.raises(ValueError, match="at least one template"):
        EvolInstruct(llm=EvolLLM(), num_evolutions=1, mutation_templates={})


# --- EvolQuality ---------------------------------------------------------------------------------


def test_evol_quality_rewrites_the_response() -> None:
    llm = EvolLLM()
    task = EvolQuality(llm=llm, num_evolutions=2)
    assert task.inputs == ["instruction", "response"]
    assert task.outputs == ["evolved_response", "model_name"]
    [row] = run(task, [{"instruction": "What is 2 + 2?", "response": "4"}])
    assert row["evolved_response"] == "4++"
    assert mutation_of(llm._sent[0], QUALITY_TEMPLATES) in QUALITY_TEMPLATES
    assert "#Given Prompt#:\nWhat is 2 + 2?\n\n#Given Response#:\n4\n\n#Rewritten Response#:" in llm._sent[0]
    assert row["distilabel_metadata"]["statistics_evol_quality_0"] == {"input_tokens": [7, 7], "output_tokens": [2, 2]}


def test_evol_quality_store_evolutions_and_failure() -> None:
    task = EvolQuality(llm=EvolLLM(), num_evolutions=2, store_evolutions=True, include_original_response=True)
    assert task.outputs == ["evolved_responses", "model_name"]
    fine, failed = run(task, [{"instruction": "Hi", "response": "Hello"}, {"instruction": "FAIL", "response": "x"}])
    assert fine["evolved_responses"] == ["Hello", "Hello+", "Hello++"]
    assert failed["evolved_responses"] is None
    assert failed["distilabel_metadata"]["error_evol_quality_0"] == "evolution 1 failed: refused"
    assert failed["distilabel_metadata"]["raw_output_evol_quality_0"] == [None]


def test_evol_quality_seeded_and_dumps() -> None:
    rows = [{"instruction": f"Q{i}", "response": f"A{i}"} for i in range(10)]

    def chosen(seed: int) -> List[str]:
        llm = EvolLLM()
        run(EvolQuality(llm=llm, num_evolutions=1, seed=seed), [dict(r) for r in rows])
        return [mutation_of(p, QUALITY_TEMPLATES) for p in llm._sent]

    assert chosen(1) == chosen(1)
    assert len(set(chosen(1))) >= 3
    task = EvolQuality(llm=EvolLLM(), num_evolutions=2, seed=9)
    again = EvolQuality.from_dict(task.dump(), allowed_modules=[EvolLLM.__module__])
    assert (again.num_evolutions, again.seed, again.mutation_templates) == (2, 9, QUALITY_TEMPLATES)


# --- the generators -----------------------------------------------------------------------------


def all_rows(generator: Any) -> List[Any]:
    generator.load()
    return list(generator.process())


def test_evol_instruct_generator_starts_from_nouns_and_filters_by_length() -> None:
    llm = EvolLLM()
    generator = EvolInstructGenerator(llm=llm, num_instructions=3, min_length=60, max_length=200)
    assert generator.outputs == ["instruction", "model_name"]
    assert generator.total_rows == 3
    batches = all_rows(generator)
    rows = [row for batch, _ in batches for row in batch]
    assert len(rows) == 3 and batches[-1][1] is True
    assert all(last is False for _, last in batches[:-1])
    nouns = set(english_nouns())
    for row in rows:
        assert 60 <= len(row["instruction"].encode()) <= 200
        assert row["model_name"] == "evol-fake"
        assert row["instruction"].startswith(("Tell me about", "New: ")), row["instruction"]
        stats = row["distilabel_metadata"]["statistics_instruction_evol_instruct_generator_0"]
        assert len(stats["input_tokens"]) >= 2  # a fresh start is too short: it was rewritten
    first_round = llm._sent[:3]
    for prompt in first_round:
        words = FRESH.match(prompt).group(1).split(", ")
        assert 1 <= len(words) <= 4 and set(words) <= nouns


def test_evol_instruct_generator_is_repeatable_and_answers() -> None:
    def instructions(seed: int) -> List[str]:
        generator = EvolInstructGenerator(llm=EvolLLM(), num_instructions=4, min_length=10, max_length=400, seed=seed)
        return [row["instruction"] for batch, _ in all_rows(generator) for row in batch]

    assert instructions(3) == instructions(3)
    assert instructions(3) != instructions(4)
    generator = EvolInstructGenerator(llm=EvolLLM(), num_instructions=2, min_length=10, generate_answers=True)
    assert generator.outputs == ["instruction", "model_name", "answer"]
    rows = [row for batch, _ in all_rows(generator) for row in batch]
    assert [row["answer"] for row in rows] == [f"Answer: {row['instruction']}" for row in rows]
    assert "statistics_answer_evol_instruct_generator_0" in rows[0]["distilabel_metadata"]


def test_evol_instruct_generator_stops_when_nothing_fits(monkeypatch: pytest.MonkeyPatch, caplog: Any) -> None:
    monkeypatch.setattr(EvolInstructGenerator, "max_rounds_without_progress", 3)
    llm = EvolLLM()
    generator = EvolInstructGenerator(llm=llm, num_instructions=2, min_length=100_000, max_length=200_000)
    assert all_rows(generator) == [([], True)]
    assert len(llm._sent) == 3 * 2
    assert "accepted no instruction in 3 rounds" in caplog.text


def test_evol_instruct_generator_needs_a_fresh_start_template() -> None:
    with pytest.raises(ValueError, match="FRESH_START"):
        EvolInstructGenerator(llm=EvolLLM(), num_instructions=1, mutation_templates=MUTATION_TEMPLATES)
    assert set(GENERATION_MUTATION_TEMPLATES) == {"FRESH_START", *MUTATION_TEMPLATES}


def test_evol_complexity_generator_and_dump() -> None:
    assert set(COMPLEXITY_GENERATION_TEMPLATES) == {"FRESH_START", *COMPLEXITY_TEMPLATES}
    llm = EvolLLM()
    generator = EvolComplexityGenerator(llm=llm, num_instructions=2, min_length=40, max_length=300)
    rows = [row for batch, _ in all_rows(generator) for row in batch]
    assert len(rows) == 2
    assert all(not p.startswith(MUTATION_TEMPLATES["BREADTH"].split("<PROMPT>")[0]) for p in llm._sent)
    again = EvolComplexityGenerator.from_dict(generator.dump(), allowed_modules=[EvolLLM.__module__])
    assert (again.num_instructions, again.min_length, again.max_length) == (2, 40, 300)


def test_generator_asks_repeat_prompts_as_new_samples_with_the_cache(tmp_path: Path) -> None:
    llm = EvolLLM()
    cache = ResponseCache(tmp_path / "responses.sqlite", write_behind=False)
    llm.use_cache(cache)
    generator = EvolInstructGenerator(llm=llm, num_instructions=3, min_length=60, max_length=200)
    first = [row["instruction"] for batch, _ in all_rows(generator) for row in batch]
    asked = len(llm._sent)
    assert [row["instruction"] for batch, _ in all_rows(generator) for row in batch] == first
    assert len(llm._sent) == asked  # the rerun was answered by the cache
    cache.close()


def test_evol_pipeline(tmp_path: Path) -> None:
    with Pipeline(name="evol", cache_dir=tmp_path) as pipeline:
        generator = EvolInstructGenerator(llm=EvolLLM(), num_instructions=2, min_length=10, generate_answers=True)
        quality = EvolQuality(llm=EvolLLM(), num_evolutions=1, input_mappings={"response": "answer"})
        generator >> quality
    train = pipeline.run(use_cache=False)["default"]["train"]
    assert len(train) == 2
    assert train["evolved_response"] == [answer + "+" for answer in train["answer"]]
