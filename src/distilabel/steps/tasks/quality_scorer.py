"""QualityScorer: score the responses to one instruction by their quality."""

from typing import TYPE_CHECKING, Any, Dict

from distilabel.steps.column_property import column_property
from distilabel.steps.tasks._judging import ListScorer, require_texts

if TYPE_CHECKING:
    from distilabel.typing import ChatType


class QualityScorer(ListScorer):
    """Score the responses to an instruction by their quality, in one call.

    The quality score of "What Makes Good Data for Alignment?" (Deita): the judge sees
    the instruction and its responses, numbered, and answers one ``[i] Score: N`` line
    per response. A score goes to the response its ``[i]`` names; a response without
    a readable line gets ``None``.

    Attributes:
        use_default_structured_output: ask for a JSON answer ``{"scores": [...]}``.

    Input columns:
        - instruction (`str`): the instruction the responses answer.
        - responses (`List[str]`): the responses to score.

    Output columns:
        - scores (`List[float]`): one score per response, higher is better.
        - model_name (`str`): the judge model.

    References:
        - [What Makes Good Data for Alignment? A Comprehensive Study of Automatic Data Selection in Instruction Tuning](https://arxiv.org/abs/2312.15685)

    Examples:
        With a model that follows a JSON schema, ``use_default_structured_output`` asks for
        ``{"scores": [...]}`` instead of ``[i] Score: N`` lines:

        ```python
        from distilabel.models.llms import OpenAILLM
        from distilabel.steps.tasks import QualityScorer

        scorer = QualityScorer(llm=OpenAILLM(model="gpt-4o-mini"), use_default_structured_output=True)
        scorer.load()
        rows = next(scorer.process([{"instruction": "Name a colour.", "responses": ["Blue.", "Idk"]}]))
        # rows[0]["scores"] -> [2.0, 1.0]
        ```
    """

    _texts_column = "responses"
    _template_name = "scorers/quality.jinja2"

    inputs = column_property(["instruction", "responses"])

    def format_input(self, input: Dict[str, Any]) -> "ChatType":
        responses = list(require_texts(input, "responses", type(self).__name__))
        return self._prompt(instruction=input["instruction"], responses=responses)


__all__ = ["QualityScorer"]
