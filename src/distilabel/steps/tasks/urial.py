"""``URIAL``: answers from a base (not instruction-tuned) model, aligned in context."""

from typing import TYPE_CHECKING, Any, Dict, List, Optional

from distilabel.errors import DistilabelUserError
from distilabel.steps.column_property import column_property
from distilabel.steps.tasks.base import Task
from distilabel.utils.template import user_prompt

if TYPE_CHECKING:
    from distilabel.typing import ChatType

# The prompt's turns are "# User:" / "# Assistant:" sections; a base model that keeps
# going writes the next user turn, which is cut off here.
_NEXT_USER_TURN = "\n\n# User"


class URIAL(Task):
    """Generate a response with a base model, aligned by its prompt alone (URIAL).

    The prompt is a short preamble on how the assistant behaves and a few example
    exchanges in a fixed style, followed by the conversation, formatted as
    ``# User:`` / ``# Assistant:`` sections. A base model continues it with the
    assistant's answer; anything it writes after the answer (a next ``# User`` turn)
    is dropped.

    Input columns:
        - instruction (`str`, optional): the instruction to answer.
        - conversation (`List[Dict[str, str]]`, optional): the conversation to answer,
            ending with a user message. Used when there is no ``instruction``.

    Output columns:
        - generation (`str`): the response.
        - model_name (`str`): the model that generated it.

    References:
        - [The Unlocking Spell on Base LLMs: Rethinking Alignment via In-Context Learning](https://arxiv.org/abs/2312.01552)

    Examples:
        ```python
        from distilabel.models.llms import vLLM
        from distilabel.steps.tasks import URIAL

        task = URIAL(llm=vLLM(model="meta-llama/Meta-Llama-3.1-8B"))
        task.load()
        rows = next(task.process([{"instruction": "What's the most common type of cloud?"}]))
        # rows[0]["generation"]
        ```
    """

    inputs = column_property({"instruction": False, "conversation": False})
    outputs = column_property(["generation", "model_name"])

    def format_input(self, input: Dict[str, Any]) -> "ChatType":
        messages = _messages(input)
        return user_prompt("instruction_data/urial.jinja2", messages=messages)  # type: ignore[return-value]

    def format_output(
        self, output: Optional[str], input: Optional[Dict[str, Any]] = None
    ) -> Dict[str, Any]:
        """The answer up to the next ``# User`` turn, stripped."""
        if output is None:
            return {"generation": None}
        return {"generation": output.split(_NEXT_USER_TURN)[0].strip()}


def _messages(input: Dict[str, Any]) -> List[Dict[str, Any]]:
    if input.get("instruction") is not None:
        return [{"role": "user", "content": input["instruction"]}]
    conversation = input.get("conversation")
    if conversation is None:
        raise DistilabelUserError(
            "URIAL needs an 'instruction' or a 'conversation' column; the row has neither."
        )
    if (
        not isinstance(conversation, list)
        or not conversation
        or not all(isinstance(m, dict) and "role" in m and "content" in m for m in conversation)
    ):
        raise DistilabelUserError(
            "The 'conversation' column must be a non-empty list of {'role': ..., 'content': ...} dicts,"
            f" got {str(conversation)[:200]!r}."
        )
    if conversation[-1]["role"] != "user":
        raise DistilabelUserError(
            f"The last message must be from the user, got {conversation[-1]['role']!r}."
        )
    return conversation


__all__ = ["URIAL"]
