"""``ConversationTemplate``: an instruction and its response as a two-turn chat."""

from typing import TYPE_CHECKING

from distilabel.steps.base import Step, StepInput
from distilabel.steps.column_property import column_property

if TYPE_CHECKING:
    from distilabel.typing.steps import StepOutput


class ConversationTemplate(Step):
    """Write an ``instruction`` and its ``response`` as a conversation: a user turn, then an assistant turn.

    Input columns:
        - instruction (`str`): the user's message.
        - response (`str`): the assistant's answer.

    Output columns:
        - conversation (`ChatType`): ``[{"role": "user", ...}, {"role": "assistant", ...}]``.

    Examples:
        >>> step = ConversationTemplate()
        >>> next(step.process([{"instruction": "Hello", "response": "Hi"}]))[0]["conversation"]
        [{'role': 'user', 'content': 'Hello'}, {'role': 'assistant', 'content': 'Hi'}]
    """

    inputs = column_property(["instruction", "response"])
    outputs = column_property(["conversation"])

    def process(self, inputs: StepInput) -> "StepOutput":
        for row in inputs:
            row["conversation"] = [
                {"role": "user", "content": row["instruction"]},
                {"role": "assistant", "content": row["response"]},
            ]
        yield inputs
