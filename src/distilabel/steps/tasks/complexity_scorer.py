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
        ```python
        from distilabel.steps.tasks import ComplexityScorer

        scorer = ComplexityScorer(llm=llm)
        scorer.load()
        rows = next(scorer.process([{"instructions": ["Say hi.", "Prove Fermat's last theorem."]}]))
        # rows[0]["scores"] -> [1.0, 2.0]
        ```
    """

    _texts_column = "instructions"
    _template_name = "scorers/complexity.jinja2"

    inputs = column_property(["instructions"])

    def format_input(self, input: Dict[str, Any]) -> "ChatType":
        return self._prompt(instructions=list(require_texts(input, "instructions", type(self).__name__)))


__all__ = ["ComplexityScorer"]
