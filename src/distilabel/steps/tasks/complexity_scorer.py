"""ComplexityScorer: score a list of instructions by how complex they are."""

from typing import TYPE_CHECKING, Any, Dict

from distilabel.steps.column_property import column_property
from distilabel.steps.tasks._judging import ListScorer, require_texts

if TYPE_CHECKING:
    from distilabel.typing import ChatType


class ComplexityScorer(ListScorer):
    """Score a list of instructions by their difficulty and complexity, in one call.

    The complexity score of "What Makes Good Data for Alignment?" (Deita): the judge
    sees all the instructions of a row, numbered, and answers one ``[i] Score: N``
    line each. A score goes to the instruction its ``[i]`` names; an instruction
    without a readable line gets ``None``.

    Attributes:
        use_default_structured_output: ask for a JSON answer ``{"scores": [...]}``.

    Input columns:
        - instructions (`List[str]`): the instructions to score.

    Output columns:
        - scores (`List[float]`): one score per instruction, higher is more complex.
        - model_name (`str`): the judge model.

    References:
        - [What Makes Good Data for Alignment? A Comprehensive Study of Automatic Data Selection in Instruction Tuning](https://arxiv.org/abs/2312.15685)

    Examples:
        As in Deita, score every version of an evolved instruction; ``input_mappings``
        reads them from `EvolInstruct`'s ``evolved_instructions``:

        ```python
        from distilabel.models.llms import OpenAILLM
        from distilabel.pipeline import Pipeline
        from distilabel.steps import LoadDataFromDicts
        from distilabel.steps.tasks import ComplexityScorer, EvolInstruct

        llm = OpenAILLM(model="gpt-4o-mini")
        with Pipeline(name="deita-complexity") as pipeline:
            load = LoadDataFromDicts(data=[{"instruction": "Write a haiku about rain."}])
            evol = EvolInstruct(llm=llm, num_evolutions=3, store_evolutions=True, include_original_instruction=True)
            scorer = ComplexityScorer(llm=llm, input_mappings={"instructions": "evolved_instructions"})
            load >> evol >> scorer
        distiset = pipeline.run()
        # each row: the four versions, original first, and their four scores in the same order
        ```
    """

    _texts_column = "instructions"
    _template_name = "scorers/complexity.jinja2"

    inputs = column_property(["instructions"])

    def format_input(self, input: Dict[str, Any]) -> "ChatType":
        return self._prompt(instructions=list(require_texts(input, "instructions", type(self).__name__)))


__all__ = ["ComplexityScorer"]
