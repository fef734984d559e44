"""Mixture-of-Agents: several proposer LLMs answer, an aggregator LLM synthesises.

After Wang et al., "Mixture-of-Agents Enhances Large Language Model Capabilities"
(arXiv:2406.04692): in each round every proposer answers the conversation, seeing
the previous round's answers in its system prompt; the aggregator then writes the
final answer from the last round's answers.
"""

import asyncio
from typing import Any, Dict, List, Optional

from pydantic import Field, PositiveInt, SerializeAsAny, field_validator, validate_call

from distilabel.errors import DistilabelUserError
from distilabel.mixins.runtime_parameters import (
    RuntimeParameter,
    RuntimeParameterInfo,
    RuntimeParametersNames,
)
from distilabel.models.llms.base import LLM, AsyncLLM
from distilabel.models.llms.outputs import failed_output, merge_outputs
from distilabel.models.llms.provider import RunOnly
from distilabel.models.structured import as_conversation, split_formatted_input
from distilabel.typing import FormattedInput, GenerateOutput
from distilabel.utils.names import unknown_name_error

MOA_SYSTEM_PROMPT = (
    "Below are answers that other AI assistants gave to the user's latest message. Read them"
    " critically: some may be wrong, biased or incomplete. Combine what is right in them into one"
    " answer of your own that is accurate, complete and well written; do not merely repeat them,"
    " and do not mention that other answers exist.\n\nAnswers from the other assistants:"
)


class MixtureOfAgentsLLM(AsyncLLM):
    """Mixture-of-Agents: ``proposers_llms`` answer, ``aggregator_llm`` writes the final answer.

    Each of ``rounds`` rounds asks every proposer for one answer; from the second
    round on, the previous round's answers are added to the system prompt. The
    aggregator then answers with the last round's answers in its system prompt, and
    its output (``num_generations`` answers, structured output if asked) is the
    result. Statistics list the token counts of every request made, proposers first.

    Proposers and aggregator keep their own ``generation_kwargs``, retries and
    concurrency limits; a proposer that fails is left out of the prompt.

    Attributes:
        aggregator_llm: the LLM that writes the final answer.
        proposers_llms: the LLMs that propose answers (async LLMs).
        rounds: how many rounds of proposals to make. Defaults to 1.

    Examples:
        >>> llm = MixtureOfAgentsLLM(
        ...     aggregator_llm=OpenAILLM(model="gpt-4o"),
        ...     proposers_llms=[OpenAILLM(model="gpt-4o-mini"), AnthropicLLM(model="claude-3-5-haiku-latest")],
        ...     rounds=2,
        ... )
        >>> llm.load()
        >>> llm.generate_outputs([[{"role": "user", "content": "Hello!"}]])
    """

    aggregator_llm: SerializeAsAny[LLM]
    proposers_llms: List[SerializeAsAny[AsyncLLM]] = Field(default_factory=list)
    rounds: PositiveInt = 1
    timeout: RunOnly[RuntimeParameter[float]] = Field(
        default=3600,
        description="Seconds the whole mixture (every round and the aggregation) may take for one input.",
    )
    max_retries: RunOnly[RuntimeParameter[int]] = Field(
        default=0,
        description="The proposers and the aggregator retry their own requests; the mixture is not retried.",
    )

    @field_validator("proposers_llms", mode="before")
    @classmethod
    def _proposers_from_a_1_5_dump(cls, value: Any) -> Any:
        # distilabel 1.5 dumps the list as a mapping {"0": llm, "1": llm, ...}.
        if isinstance(value, dict) and all(str(key).isdigit() for key in value):
            return [value[key] for key in sorted(value, key=lambda key: int(key))]
        return value

    @property
    def model_name(self) -> str:
        proposers = "-".join(llm.model_name for llm in self.proposers_llms)
        return f"moa-{self.aggregator_llm.model_name}-{proposers}"

    def load(self) -> None:
        if not self.proposers_llms:
            raise DistilabelUserError("MixtureOfAgentsLLM needs at least one LLM in `proposers_llms`.")
        for llm in (*self.proposers_llms, self.aggregator_llm):
            llm.load()
        super().load()

    def unload(self) -> None:
        # The proposers (and an async aggregator) made their clients on this LLM's
        # loop: close them there before that loop stops.
        loop = self._background_loop.running_loop
        children = [llm for llm in (*self.proposers_llms, self.aggregator_llm) if isinstance(llm, AsyncLLM)]
        if loop is not None and loop.is_running():

            async def close_children() -> None:
                await asyncio.gather(*(llm.aclose() for llm in children), return_exceptions=True)

            asyncio.run_coroutine_threadsafe(close_children(), loop).result(timeout=30)
        for llm in (*self.proposers_llms, self.aggregator_llm):
            llm.unload()
        super().unload()

    # --- runtime parameters of the nested LLMs ---------------------------------------------

    def _nested_runtime_components(self) -> Dict[str, Any]:
        nested = super()._nested_runtime_components()
        nested["proposers_llms"] = _IndexedComponents(self.proposers_llms)
        return nested

    # --- generation ----------------------------------------------------------------------------

    @validate_call
    async def agenerate(  # type: ignore[override]
        self, input: FormattedInput, num_generations: int = 1
    ) -> GenerateOutput:
        """Run the rounds of proposals, then the aggregator, for one input.

        Args:
            input: a conversation, or a (conversation, structured output) pair; the
                structured output applies to the aggregator's answer.
            num_generations: how many final answers the aggregator generates.

        Returns:
            The aggregator's generations; statistics of every request made.
        """
        conversation, row_spec = split_formatted_input(input)
        conversation = as_conversation(conversation)
        spent: List[GenerateOutput] = []
        answers: List[str] = []
        for _ in range(self.rounds):
            prompt = _with_answers(conversation, answers)
            outputs = await asyncio.gather(*(_generate(llm, prompt, 1) for llm in self.proposers_llms))
            spent.extend(outputs)
            answers = [text for output in outputs for text in output["generations"] if text]
        final_input = _with_answers(conversation, answers)
        final = await _generate(
            self.aggregator_llm, (final_input, row_spec) if row_spec is not None else final_input, num_generations
        )
        statistics = merge_outputs([*spent, final])["statistics"]
        return {**final, "statistics": statistics}  # type: ignore[typeddict-item]

    def _structured_output_for(self, row_spec: Any) -> Any:
        # The aggregator applies and checks structured output itself.
        return None


async def _generate(llm: LLM, input: Any, num_generations: int) -> GenerateOutput:
    """One input through ``llm``, with its own generation kwargs, retries and limits."""
    if isinstance(llm, AsyncLLM):
        kwargs = llm.validate_generation_kwargs(llm.generation_kwargs or {})
        return await llm.agenerate_row(input, num_generations, **kwargs)
    try:
        [output] = await asyncio.to_thread(llm.generate_outputs, [input], num_generations)
    except DistilabelUserError:
        raise
    except Exception as error:
        return failed_output(num_generations, f"{type(llm).__name__} failed: {error}")
    return output


def _with_answers(conversation: List[Dict[str, Any]], answers: List[str]) -> List[Dict[str, Any]]:
    """``conversation`` with the other assistants' ``answers`` in its system prompt."""
    if not answers:
        return conversation
    listing = "\n".join(f"{i}. {answer}" for i, answer in enumerate(answers, start=1))
    moa_prompt = f"{MOA_SYSTEM_PROMPT}\n{listing}"
    if conversation and conversation[0]["role"] == "system":
        first = conversation[0]
        return [{**first, "content": f"{first['content']}\n\n{moa_prompt}"}, *conversation[1:]]
    return [{"role": "system", "content": moa_prompt}, *conversation]


class _IndexedComponents:
    """A list of LLMs seen as one nested component: ``{"0": {...}, "1": {...}}``."""

    def __init__(self, components: List[AsyncLLM]) -> None:
        self._components = {str(i): component for i, component in enumerate(components)}

    @property
    def runtime_parameters_names(self) -> RuntimeParametersNames:
        return {name: c.runtime_parameters_names for name, c in self._components.items()}

    def get_runtime_parameters_info(self) -> List[RuntimeParameterInfo]:
        return [
            {"name": name, "runtime_parameters_info": c.get_runtime_parameters_info()}
            for name, c in self._components.items()
        ]

    def set_runtime_parameters(self, runtime_parameters: Dict[str, Any]) -> None:
        for name, value in runtime_parameters.items():
            component: Optional[AsyncLLM] = self._components.get(str(name))
            if component is None or not isinstance(value, dict):
                raise unknown_name_error("proposer index", str(name), self._components, "MixtureOfAgentsLLM")
            component.set_runtime_parameters(value)
