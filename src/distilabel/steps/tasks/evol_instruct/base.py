"""``EvolInstruct``: rewrite each instruction ``num_evolutions`` times, each time with a
mutation drawn at random (harder in depth, or a new one in breadth), and optionally answer
the results.

Reference: Xu et al., "WizardLM: Empowering Large Language Models to Follow Complex
Instructions" (2023), https://arxiv.org/abs/2304.12244.
"""

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from pydantic import Field

from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.steps.base import DISTILABEL_METADATA_KEY, StepInput
from distilabel.steps.column_property import column_property
from distilabel.steps.tasks.base import Task, _upstream_metadata
from distilabel.steps.tasks.evol_instruct.utils import (
    MUTATION_TEMPLATES,
    Chain,
    MutationTemplatesMixin,
    add_statistics,
    apply_mutation,
    evolution_columns,
    evolve,
    one_message,
    parse_evolved_instruction,
    row_random,
)

if TYPE_CHECKING:
    from distilabel.typing import ChatType
    from distilabel.typing.steps import StepColumns, StepOutput


class EvolInstruct(MutationTemplatesMixin, Task):
    """Evolve instructions into harder or new ones with an LLM (Evol-Instruct).

    Each round sends the latest version of an instruction inside a mutation prompt
    drawn from ``mutation_templates`` (by default: add a constraint, deepen,
    concretize, ask for more reasoning steps, or write a new instruction of the same
    domain), and keeps what the model wrote after the ``#Rewritten Prompt#:`` /
    ``#Created Prompt#:`` header. The mutations of a row come from a random generator
    seeded with ``seed`` and the instruction, so a row evolves the same way in any
    batch and on every run.

    Attributes:
        num_evolutions: how many times each instruction is rewritten.
        store_evolutions: keep every version (``evolved_instructions``) instead of
            only the last (``evolved_instruction``).
        generate_answers: also answer the evolved instruction(s).
        include_original_instruction: with ``store_evolutions``, put the original
            instruction first in ``evolved_instructions``.
        mutation_templates: name -> mutation prompt, with ``<PROMPT>`` where the
            instruction goes.
        seed: the seed of the mutation choices (a runtime parameter).

    Input columns:
        - instruction (`str`): the instruction to evolve.

    Output columns:
        - evolved_instruction (`str`): the last version (``store_evolutions=False``).
        - evolved_instructions (`List[str]`): every version (``store_evolutions=True``).
        - answer (`str`): the answer to the last version (``generate_answers=True``,
          ``store_evolutions=False``).
        - answers (`List[str]`): an answer to every version (``generate_answers=True``,
          ``store_evolutions=True``).
        - model_name (`str`): the model that evolved them.

    A rewrite that fails (an LLM error, or nothing after the header) stops the row's
    evolution: its output columns are ``None``, ``distilabel_metadata["error_<name>"]``
    says why and ``raw_output_<name>`` keeps the model's outputs. Token counts go to
    ``statistics_instruction_<name>`` (and ``statistics_answer_<name>``).

    Examples:
        ```python
        from distilabel.models.llms import OpenAILLM
        from distilabel.steps.tasks import EvolInstruct

        evol = EvolInstruct(llm=OpenAILLM(model="gpt-4o-mini"), num_evolutions=2, store_evolutions=True)
        evol.load()
        rows = next(evol.process([{"instruction": "Explain photosynthesis."}]))
        # rows[0]["evolved_instructions"] == ["<first rewrite>", "<second rewrite>"]
        ```
    """

    num_evolutions: int
    store_evolutions: bool = False
    generate_answers: bool = False
    include_original_instruction: bool = False
    mutation_templates: Dict[str, str] = MUTATION_TEMPLATES
    seed: RuntimeParameter[int] = Field(
        default=42, description="The seed of the random choice of a mutation for each evolution."
    )

    inputs = column_property(["instruction"])

    @property
    def outputs(self) -> "StepColumns":
        columns = ["evolved_instructions" if self.store_evolutions else "evolved_instruction", "model_name"]
        if self.generate_answers:
            columns.append("answers" if self.store_evolutions else "answer")
        return columns

    def format_input(self, input: Union[str, Dict[str, Any]]) -> "ChatType":
        """A prompt (or a row's ``instruction``) as a one-message conversation."""
        return one_message(input)

    def format_output(  # type: ignore[override]
        self, instructions: Union[str, List[str], None], answers: Optional[List[Optional[str]]] = None
    ) -> Dict[str, Any]:
        """The output columns for one row's instructions (and answers)."""
        if isinstance(instructions, str):
            instructions = [instructions]
        output = evolution_columns(instructions, "evolved_instructions", "evolved_instruction", self.store_evolutions)
        if self.generate_answers:
            output.update(evolution_columns(answers, "answers", "answer", self.store_evolutions))
        output["model_name"] = self.llm.model_name
        return output

    def _mutation_prompt(self, rng: Any, instruction: str) -> str:
        name = rng.choice(self.mutation_templates_names)
        return apply_mutation(self.mutation_templates[name], instruction)

    def process(self, inputs: StepInput) -> "StepOutput":  # type: ignore[override]
        """Evolve the ``instruction`` of each row (and answer the results).

        Args:
            inputs: rows with an ``instruction`` column.

        Yields:
            The rows with the output columns.
        """
        chains: List[Optional[Chain]] = []
        rngs = []
        for row in inputs:
            instruction = row.get("instruction")
            chains.append(Chain(instruction) if isinstance(instruction, str) and instruction.strip() else None)
            rngs.append(row_random(self.seed, instruction if isinstance(instruction, str) else None))
        evolve(
            self._generate_and_account,
            chains,
            self.num_evolutions,
            lambda i, text: self._mutation_prompt(rngs[i], text),
            parse_evolved_instruction,
            "instruction",
        )
        kept = [self._kept_versions(chain) for chain in chains]
        answers, answer_stats, answer_errors = self._answers(kept)
        yield [
            self._output_row(row, chain, versions, row_answers, stats, answer_error)
            for row, chain, versions, row_answers, stats, answer_error in zip(
                inputs, chains, kept, answers, answer_stats, answer_errors, strict=True
            )
        ]

    def _kept_versions(self, chain: Optional[Chain]) -> Optional[List[str]]:
        """The versions that go to the output, ``None`` when the evolution did not finish."""
        if chain is None or chain.error is not None:
            return None
        if not self.store_evolutions:
            return [chain.texts[-1]]
        return chain.texts if self.include_original_instruction else chain.texts[1:]

    def _answers(self, kept: List[Optional[List[str]]]) -> Any:
        """Answers to every kept version: per row, the answers, their token counts and any error."""
        answers: List[Optional[List[Optional[str]]]] = [None] * len(kept)
        stats: List[Optional[Dict[str, List[int]]]] = [None] * len(kept)
        errors: List[Optional[str]] = [None] * len(kept)
        if not self.generate_answers:
            return answers, stats, errors
        questions = [(i, text) for i, versions in enumerate(kept) for text in versions or []]
        outputs = self._generate_and_account([self.format_input(text) for _, text in questions])
        for (i, _), output in zip(questions, outputs, strict=True):
            if answers[i] is None:
                answers[i], stats[i] = [], {"input_tokens": [], "output_tokens": []}
            text = (output.get("generations") or [None])[0]
            answers[i].append(text)  # type: ignore[union-attr]
            add_statistics(stats[i], output)  # type: ignore[arg-type]
            if text is None and errors[i] is None:
                errors[i] = f"answering failed: {(output.get('errors') or ['no generation'])[0]}"
        return answers, stats, errors

    def _output_row(
        self,
        row: Dict[str, Any],
        chain: Optional[Chain],
        versions: Optional[List[str]],
        answers: Optional[List[Optional[str]]],
        answer_stats: Optional[Dict[str, List[int]]],
        answer_error: Optional[str],
    ) -> Dict[str, Any]:
        name = self.name
        columns = self.format_output(versions or [], answers)
        if versions is None:
            columns = {column: None for column in columns if column != "model_name"}
        metadata = _upstream_metadata(row)
        if chain is None:
            metadata[f"error_{name}"] = f"the row has no instruction to evolve (got {row.get('instruction')!r})"
        else:
            chain.write_metadata(metadata, f"statistics_instruction_{name}", name, self.add_raw_output)
        if answer_stats is not None:
            metadata[f"statistics_answer_{name}"] = answer_stats
        if answer_error is not None:
            metadata[f"error_{name}"] = answer_error
        return {**row, **columns, DISTILABEL_METADATA_KEY: metadata, "model_name": self.llm.model_name}


__all__ = ["EvolInstruct"]
