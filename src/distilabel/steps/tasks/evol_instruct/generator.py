"""``EvolInstructGenerator``: Evol-Instruct from nothing. Each slot starts from a question
written around a few random nouns and is rewritten until a version's length falls between
``min_length`` and ``max_length``; that version is a new instruction, and the slot starts over."""

import random
from typing import TYPE_CHECKING, Any, ClassVar, Dict, List, Optional, Tuple

from pydantic import Field

from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.steps.base import DISTILABEL_METADATA_KEY
from distilabel.steps.tasks.base import GeneratorTask
from distilabel.steps.tasks.evol_instruct.utils import (
    GENERATION_MUTATION_TEMPLATES,
    MutationTemplatesMixin,
    add_statistics,
    apply_mutation,
    english_nouns,
    parse_evolved_instruction,
)

if TYPE_CHECKING:
    from distilabel.typing import ChatType
    from distilabel.typing.steps import GeneratorStepOutput, StepColumns

_FRESH_START = "FRESH_START"


class _Slot:
    """One instruction in the making: the prompt it is at and what it cost so far."""

    __slots__ = ("fresh", "statistics", "text")

    def __init__(self, text: str) -> None:
        self.restart(text)

    def restart(self, text: str) -> None:
        self.text = text
        self.fresh = True  # ``text`` is a fresh-start prompt, sent as it is
        self.statistics: Dict[str, List[int]] = {"input_tokens": [], "output_tokens": []}


class EvolInstructGenerator(MutationTemplatesMixin, GeneratorTask):
    """Generate ``num_instructions`` instructions from nothing with Evol-Instruct.

    ``num_instructions`` slots evolve in rounds. A slot starts with the
    ``FRESH_START`` template filled with one to four random English nouns and sent as
    it is; afterwards each round wraps the slot's latest text in a mutation drawn from
    ``mutation_templates`` (drawing ``FRESH_START`` starts the slot over). A version
    whose length in bytes is within ``[min_length, max_length]`` becomes an
    instruction and its slot starts over. Rows are yielded as they are accepted. The
    draws come from a generator seeded with ``seed``, so a run is repeatable (and a
    rerun is answered by the response cache).

    Attributes:
        num_instructions: how many instructions to generate.
        generate_answers: also answer each instruction.
        mutation_templates: name -> mutation prompt with ``<PROMPT>``; must hold ``FRESH_START``.
        min_length: the fewest bytes an accepted instruction has (a runtime parameter).
        max_length: the most bytes an accepted instruction has (a runtime parameter).
        seed: the seed of the nouns and mutations drawn (a runtime parameter).

    Output columns:
        - instruction (`str`): the generated instruction.
        - answer (`str`): its answer (``generate_answers=True``).
        - model_name (`str`): the model that generated it.

    The generation stops early, with a warning, after ``max_rounds_without_progress``
    rounds in a row accept nothing (e.g. lengths the model never reaches).

    Examples:
        ```python
        from distilabel.steps.tasks import EvolInstructGenerator

        generator = EvolInstructGenerator(llm=llm, num_instructions=10, min_length=64, max_length=512)
        generator.load()
        for rows, last in generator.process():
            print([row["instruction"] for row in rows])
        ```
    """

    num_instructions: int
    generate_answers: bool = False
    mutation_templates: Dict[str, str] = GENERATION_MUTATION_TEMPLATES
    min_length: RuntimeParameter[int] = Field(
        default=512,
        description="Defines the length (in bytes) that the generated instruction needs to be higher than, to be considered valid.",
    )
    max_length: RuntimeParameter[int] = Field(
        default=1024,
        description="Defines the length (in bytes) that the generated instruction needs to be lower than, to be considered valid.",
    )
    seed: RuntimeParameter[int] = Field(
        default=42, description="The seed of the random choice of seed words and mutations."
    )

    max_rounds_without_progress: ClassVar[int] = 50
    _required_templates: ClassVar[Tuple[str, ...]] = (_FRESH_START,)

    @property
    def outputs(self) -> "StepColumns":
        columns = ["instruction", "model_name"]
        if self.generate_answers:
            columns.append("answer")
        return columns

    @property
    def total_rows(self) -> Optional[int]:
        return self.num_instructions

    def format_output(  # type: ignore[override]
        self, instruction: Optional[str], answer: Optional[str] = None
    ) -> Dict[str, Any]:
        """The output columns for one instruction (and its answer)."""
        output: Dict[str, Any] = {"instruction": instruction, "model_name": self.llm.model_name}
        if self.generate_answers:
            output["answer"] = answer
        return output

    # --- prompts --------------------------------------------------------------------------------

    def _fresh_start(self, rng: random.Random) -> str:
        nouns = english_nouns()
        words = [rng.choice(nouns) for _ in range(rng.choice([1, 2, 3, 4]))]
        return apply_mutation(self.mutation_templates[_FRESH_START], ", ".join(words))

    def _prompt_for(self, slot: _Slot, rng: random.Random) -> "ChatType":
        if not slot.fresh:
            name = rng.choice(self.mutation_templates_names)
            if name == _FRESH_START:
                slot.text, slot.fresh = self._fresh_start(rng), True
            else:
                return [{"role": "user", "content": apply_mutation(self.mutation_templates[name], slot.text)}]
        return [{"role": "user", "content": slot.text}]

    def _accepts(self, text: str) -> bool:
        return self.min_length <= len(text.encode("utf-8")) <= self.max_length  # type: ignore[operator]

    # --- generation ---------------------------------------------------------------------------

    def process(self, offset: int = 0) -> "GeneratorStepOutput":
        """Evolve instructions until ``num_instructions`` are accepted.

        Args:
            offset: how many instructions were already generated (they are not made again).

        Yields:
            ``(rows, is_last_batch)``, with the rows accepted in each round.
        """
        rng = random.Random(self.seed)
        self._reset_draws()
        wanted = max(self.num_instructions - offset, 0)
        slots = [_Slot(self._fresh_start(rng)) for _ in range(min(wanted, self.num_instructions))]
        produced = idle_rounds = 0
        if not slots:
            yield [], True
            return
        while produced < wanted:
            prompts = [self._prompt_for(slot, rng) for slot in slots]
            # The same fresh-start prompt may come up again: each ask is a new sample.
            outputs = self._generate_and_account(self._sampled(prompts))
            accepted = []
            for slot, output in zip(slots, outputs, strict=True):
                add_statistics(slot.statistics, output)
                text = (output.get("generations") or [None])[0]
                evolved = parse_evolved_instruction(text) if text is not None else ""
                if evolved and self._accepts(evolved):
                    accepted.append((evolved, slot.statistics))
                if not evolved or self._accepts(evolved):
                    slot.restart(self._fresh_start(rng))
                else:
                    slot.text, slot.fresh = evolved, False
            accepted = accepted[: wanted - produced]
            idle_rounds = 0 if accepted else idle_rounds + 1
            if not accepted and idle_rounds < self.max_rounds_without_progress:
                continue
            produced += len(accepted)
            done = produced >= wanted or idle_rounds >= self.max_rounds_without_progress
            if idle_rounds >= self.max_rounds_without_progress:
                self._logger.warning(
                    "%s %r accepted no instruction in %d rounds in a row (min_length=%s, max_length=%s):"
                    " stopping with %d of %d instructions.",
                    type(self).__name__, self.name, idle_rounds, self.min_length, self.max_length, produced, wanted,
                )
            yield self._rows(accepted), done
            if done:
                return

    def _rows(self, accepted: List[Any]) -> List[Dict[str, Any]]:
        name = self.name
        answers: List[Optional[str]] = [None] * len(accepted)
        answer_outputs: List[Any] = [None] * len(accepted)
        if self.generate_answers and accepted:
            answer_outputs = self._generate_and_account(
                [[{"role": "user", "content": text}] for text, _ in accepted]
            )
            answers = [(output.get("generations") or [None])[0] for output in answer_outputs]
        rows = []
        for (text, statistics), answer, output in zip(accepted, answers, answer_outputs, strict=True):
            metadata: Dict[str, Any] = {f"statistics_instruction_{name}": statistics}
            if output is not None:
                answer_stats: Dict[str, List[int]] = {"input_tokens": [], "output_tokens": []}
                add_statistics(answer_stats, output)
                metadata[f"statistics_answer_{name}"] = answer_stats
                if answer is None:
                    metadata[f"error_{name}"] = f"answering failed: {(output.get('errors') or ['no generation'])[0]}"
            rows.append({**self.format_output(text, answer), DISTILABEL_METADATA_KEY: metadata})
        return rows


__all__ = ["EvolInstructGenerator"]
