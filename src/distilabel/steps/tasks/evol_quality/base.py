"""``EvolQuality``: rewrite each answer ``num_evolutions`` times, each time with a quality
mutation drawn at random (Deita's quality evolution)."""

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from pydantic import Field

from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.steps.base import DISTILABEL_METADATA_KEY, StepInput
from distilabel.steps.column_property import column_property
from distilabel.steps.tasks.base import Task, _upstream_metadata
from distilabel.steps.tasks.evol_instruct.utils import (
    Chain,
    MutationTemplatesMixin,
    apply_mutation,
    evolution_columns,
    evolve,
    one_message,
    row_random,
)
from distilabel.steps.tasks.evol_quality.utils import MUTATION_TEMPLATES, parse_evolved_response

if TYPE_CHECKING:
    from distilabel.typing import ChatType
    from distilabel.typing.steps import StepColumns, StepOutput


class EvolQuality(MutationTemplatesMixin, Task):
    """Evolve answers into better ones with an LLM (Deita's quality evolution).

    Each round sends the instruction and the latest version of its answer inside a
    mutation prompt drawn from ``mutation_templates`` (by default: more helpful, more
    relevant, deeper, more creative, more detailed) and keeps the rewritten answer.
    The mutations of a row come from a random generator seeded with ``seed`` and the
    row's texts, so a row evolves the same way in any batch and on every run.

    Attributes:
        num_evolutions: how many times each answer is rewritten.
        store_evolutions: keep every version (``evolved_responses``) instead of only
            the last (``evolved_response``).
        include_original_response: with ``store_evolutions``, put the original
            answer first in ``evolved_responses``.
        mutation_templates: name -> mutation prompt, with ``<PROMPT>`` and
            ``<RESPONSE>`` where the instruction and the answer go.
        seed: the seed of the mutation choices (a runtime parameter).

    Input columns:
        - instruction (`str`): the instruction the answer is for.
        - response (`str`): the answer to evolve.

    Output columns:
        - evolved_response (`str`): the last version (``store_evolutions=False``).
        - evolved_responses (`List[str]`): every version (``store_evolutions=True``).
        - model_name (`str`): the model that evolved them.

    A rewrite that fails (an LLM error or an empty answer) stops the row's evolution:
    its output column is ``None``, ``distilabel_metadata["error_<name>"]`` says why and
    ``raw_output_<name>`` keeps the model's outputs. Token counts go to
    ``statistics_<name>``.

    Examples:
        ```python
        from distilabel.steps.tasks import EvolQuality

        evol = EvolQuality(llm=llm, num_evolutions=2)
        evol.load()
        rows = next(evol.process([{"instruction": "What is 2 + 2?", "response": "4"}]))
        # rows[0]["evolved_response"] == "<the answer, rewritten twice>"
        ```
    """

    num_evolutions: int
    store_evolutions: bool = False
    include_original_response: bool = False
    mutation_templates: Dict[str, str] = MUTATION_TEMPLATES
    seed: RuntimeParameter[int] = Field(
        default=42, description="The seed of the random choice of a mutation for each evolution."
    )

    inputs = column_property(["instruction", "response"])

    @property
    def outputs(self) -> "StepColumns":
        return ["evolved_responses" if self.store_evolutions else "evolved_response", "model_name"]

    def format_input(self, input: Union[str, Dict[str, Any]]) -> "ChatType":
        """A prompt as a one-message conversation."""
        return one_message(input)

    def format_output(self, responses: Union[str, List[str], None]) -> Dict[str, Any]:  # type: ignore[override]
        """The output columns for one row's responses."""
        if isinstance(responses, str):
            responses = [responses]
        output = evolution_columns(responses, "evolved_responses", "evolved_response", self.store_evolutions)
        output["model_name"] = self.llm.model_name
        return output

    def process(self, inputs: StepInput) -> "StepOutput":  # type: ignore[override]
        """Evolve the ``response`` of each row.

        Args:
            inputs: rows with ``instruction`` and ``response`` columns.

        Yields:
            The rows with the output columns.
        """
        chains: List[Optional[Chain]] = []
        rngs = []
        for row in inputs:
            instruction, response = row.get("instruction"), row.get("response")
            valid = isinstance(instruction, str) and isinstance(response, str)
            chains.append(Chain(response) if valid else None)  # type: ignore[arg-type]
            rngs.append(row_random(self.seed, str(instruction), str(response)))

        def prompt_for(i: int, response: str) -> str:
            name = rngs[i].choice(self.mutation_templates_names)
            return apply_mutation(self.mutation_templates[name], inputs[i]["instruction"], response)

        evolve(self._generate_and_account, chains, self.num_evolutions, prompt_for, parse_evolved_response, "response")
        yield [self._output_row(row, chain) for row, chain in zip(inputs, chains, strict=True)]

    def _output_row(self, row: Dict[str, Any], chain: Optional[Chain]) -> Dict[str, Any]:
        name = self.name
        versions: Optional[List[str]] = None
        if chain is not None and chain.error is None:
            versions = chain.texts if (self.store_evolutions and self.include_original_response) else chain.texts[1:]
            if not self.store_evolutions:
                versions = chain.texts[-1:]
        columns = self.format_output(versions)
        if versions is None:
            columns = {column: None for column in columns if column != "model_name"}
        metadata = _upstream_metadata(row)
        if chain is None:
            metadata[f"error_{name}"] = (
                "the row needs `instruction` and `response` strings (got"
                f" {row.get('instruction')!r} and {row.get('response')!r})"
            )
        else:
            chain.write_metadata(metadata, f"statistics_{name}", name, self.add_raw_output)
        return {**row, **columns, DISTILABEL_METADATA_KEY: metadata, "model_name": self.llm.model_name}


__all__ = ["EvolQuality"]
