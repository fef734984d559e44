"""``Genstruct``: an instruction and its answer, written from a raw document."""

import re
from typing import TYPE_CHECKING, Any, Dict, Optional

from distilabel.steps.column_property import column_property
from distilabel.steps.tasks.base import Task
from distilabel.utils.llm_text import named_groups
from distilabel.utils.template import user_prompt

if TYPE_CHECKING:
    from distilabel.typing import ChatType

# The prompt ends with "[[[User]]] ": the model writes the user's turn, then
# "[[[Assistant]]]" and the answer.
_USER_ASSISTANT_PATTERN = re.compile(r"(?P<user>.+?)\[\[\[Assistant\]\]\](?P<assistant>.+)$", re.DOTALL)


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
        A corpus rarely names its columns ``title`` and ``content``; the mappings adapt
        them, and name the pair the way a fine-tuning set expects:

        ```python
        from distilabel.models.llms import vLLM
        from distilabel.pipeline import Pipeline
        from distilabel.steps import LoadDataFromDicts
        from distilabel.steps.tasks import Genstruct

        with Pipeline(name="genstruct") as pipeline:
            docs = LoadDataFromDicts(data=[{"title": "Photosynthesis", "text": "Plants turn light into..."}])
            genstruct = Genstruct(
                llm=vLLM(model="NousResearch/Genstruct-7B"),
                input_mappings={"content": "text"},
                output_mappings={"user": "instruction", "assistant": "response"},
            )
            docs >> genstruct
        distiset = pipeline.run()
        # columns: title, text, instruction, response, model_name
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
        return named_groups(_USER_ASSISTANT_PATTERN, output)


__all__ = ["Genstruct"]
