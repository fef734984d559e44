"""``Genstruct``: an instruction and its answer, written from a raw document."""

import re
from typing import TYPE_CHECKING, Any, Dict, Optional

from distilabel.steps.column_property import column_property
from distilabel.steps.tasks.base import Task
from distilabel.utils.template import user_prompt

if TYPE_CHECKING:
    from distilabel.typing import ChatType

# The prompt ends with "[[[User]]] ": the model writes the user's turn, then
# "[[[Assistant]]]" and the answer.
_USER_ASSISTANT_PATTERN = re.compile(r"(.+?)\[\[\[Assistant\]\]\](.+)$", re.DOTALL)


class Genstruct(Task):
    """Generate an instruction and its answer grounded in a document (a title and its content).

    Turns any raw-text corpus into instruction tuning data. The prompt follows the
    format of Nous Research's Genstruct 7B, which was trained for it, so that model is
    the best fit; other models can follow it too.

    Input columns:
        - title (`str`): the document's title.
        - content (`str`): the document's text.

    Output columns:
        - user (`str`): the instruction, about the document.
        - assistant (`str`): the answer to it.
        - model_name (`str`): the model that wrote them.

    References:
        - [Genstruct 7B by Nous Research](https://huggingface.co/NousResearch/Genstruct-7B)
        - [Ada-Instruct: Adapting Instruction Generators for Complex Reasoning](https://arxiv.org/abs/2310.04484)

    Examples:
        ```python
        from distilabel.models.llms import vLLM
        from distilabel.steps.tasks import Genstruct

        task = Genstruct(llm=vLLM(model="NousResearch/Genstruct-7B"))
        task.load()
        rows = next(task.process([{"title": "Photosynthesis", "content": "Plants turn light into..."}]))
        # rows[0]["user"], rows[0]["assistant"]
        ```
    """

    inputs = column_property(["title", "content"])
    outputs = column_property(["user", "assistant", "model_name"])

    def format_input(self, input: Dict[str, Any]) -> "ChatType":
        return user_prompt(  # type: ignore[return-value]
            "instruction_data/genstruct.jinja2",
            title=str(input["title"]),
            content=str(input["content"]),
        )

    def format_output(
        self, output: Optional[str], input: Optional[Dict[str, Any]] = None
    ) -> Dict[str, Any]:
        """Split the answer at ``[[[Assistant]]]``: the user's turn before, the answer after."""
        match = _USER_ASSISTANT_PATTERN.search(output) if output is not None else None
        if match is None:
            return {"user": None, "assistant": None}
        return {"user": match.group(1).strip(), "assistant": match.group(2).strip()}


__all__ = ["Genstruct"]
