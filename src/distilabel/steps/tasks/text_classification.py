"""``TextClassification``: one or more labels for a text, answered as JSON."""

import json
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from pydantic import Field, PositiveInt

from distilabel.steps.column_property import column_property
from distilabel.steps.tasks.base import Task
from distilabel.utils.llm_json import loads_llm_json
from distilabel.utils.template import package_template, render_template

if TYPE_CHECKING:
    from distilabel.typing import ChatType

_TEMPLATE = "classification/text_classification.jinja2"


class TextClassification(Task):
    """Classify a text with one label, or with ``n`` labels, from a given set or freely chosen.

    The model answers with a JSON object ``{"labels": ...}``: a string when ``n == 1``,
    a list of strings otherwise. By default the task asks the LLM for that JSON schema
    as structured output (``use_default_structured_output=True``); with
    ``available_labels`` the schema also restricts the labels to those (and
    ``default_label``). Restricting the format leaves the model less room to ramble
    and gives concise labels.

    Attributes:
        system_prompt: the system message; by default one that makes the model a labeller.
        n: how many labels to give. 1 (the default) is single-label classification;
            more asks for the ``n`` labels that describe the text best.
        context: text added to the instructions to describe the labelling task, e.g.
            "Label the sentiment of movie reviews.". ``None`` or ``""`` leaves it out.
        examples: texts shown as few-shot examples of the task.
        available_labels: the labels to choose from, as a list, or as a dict of each
            label to its description. ``None`` lets the model choose labels freely.
        default_label: the answer for an ambiguous text; a list when ``n > 1``.
            Defaults to ``"Unclassified"``.
        query_title: what the text is called in the prompt, e.g. "Customer Query".
            Defaults to ``"User Query"``.
        use_default_structured_output: ask the LLM for the ``labels`` JSON schema.
            Defaults to ``True``.

    Input columns:
        - text (`str`): the text to classify.

    Output columns:
        - labels (`Union[str, List[str]]`): the label (``n == 1``) or labels. ``None`` (or
            a list of ``None``) when the answer is not the expected JSON.
        - model_name (`str`): the model that classified it.

    References:
        - [Let Me Speak Freely? A Study on the Impact of Format Restrictions on Performance of Large Language Models](https://arxiv.org/abs/2408.02442)

    Examples:
        ```python
        from distilabel.models.llms import OpenAILLM
        from distilabel.steps.tasks import TextClassification

        task = TextClassification(
            llm=OpenAILLM(model="gpt-4o-mini"),
            context="You label the sentiment of movie reviews.",
            available_labels={"positive": "The review likes the movie", "negative": "It does not"},
        )
        task.load()
        rows = next(task.process([{"text": "A masterpiece from beginning to end."}]))
        # rows[0]["labels"] -> "positive"
        ```
    """

    system_prompt: Optional[str] = (
        "You are an AI system that labels pieces of text. You read the text you are given and"
        " reply with the classification labels that fit it, and nothing else."
    )
    n: PositiveInt = Field(default=1, description="Number of labels to generate. Defaults to 1.")
    context: Optional[str] = Field(
        default="Choose short, relevant labels that capture the main themes, topics or categories of the text.",
        description="Context to use when generating the labels.",
    )
    examples: Optional[List[str]] = Field(
        default=None,
        description="List of examples to help the model understand the task, few shots.",
    )
    available_labels: Optional[Union[List[str], Dict[str, str]]] = Field(
        default=None,
        description="List of available labels to choose from, or a dictionary with the labels and their descriptions.",
    )
    default_label: Optional[Union[str, List[str]]] = Field(
        default="Unclassified",
        description="Default label for a text that is ambiguous or lacks information; a list when n > 1.",
    )
    query_title: str = Field(
        default="User Query", description="Title of the query used to show the text to classify."
    )
    use_default_structured_output: bool = True

    inputs = column_property(["text"])
    outputs = column_property(["labels", "model_name"])

    def format_input(self, input: Dict[str, Any]) -> "ChatType":
        labels = self.available_labels or []
        described = isinstance(labels, dict)
        prompt = render_template(
            package_template(_TEMPLATE),
            query_title=self.query_title,
            default_label=_default_label_text(self.default_label),
            n=self.n,
            context=self.context,
            labels=list(labels.items()) if described else [(label, None) for label in labels],  # type: ignore[union-attr]
            described=described,
            examples=self.examples or [],
            text=input["text"],
            labels_format='"label"'
            if self.n == 1
            else json.dumps([f"label_{i}" for i in range(self.n)]),
        )
        messages: List[Dict[str, Any]] = [{"role": "user", "content": prompt}]
        if self.system_prompt:
            messages.insert(0, {"role": "system", "content": self.system_prompt})
        return messages  # type: ignore[return-value]

    def format_output(
        self, output: Optional[str], input: Optional[Dict[str, Any]] = None
    ) -> Dict[str, Any]:
        """Read ``{"labels": ...}``: a string when ``n == 1``, a list of strings otherwise.

        An answer that is not that JSON gives ``None`` (``n == 1``) or a list of ``n``
        ``None`` (``n > 1``); a failed generation gives ``None``.
        """
        if output is None:
            return {"labels": None}
        try:
            parsed = loads_llm_json(output)
        except ValueError:
            parsed = None
        labels = parsed.get("labels") if isinstance(parsed, dict) else None
        if self.n == 1 and isinstance(labels, str):
            return {"labels": labels}
        if (
            self.n > 1
            and isinstance(labels, list)
            and all(isinstance(label, str) for label in labels)
        ):
            return {"labels": labels}
        return {"labels": None if self.n == 1 else [None] * self.n}

    def get_structured_output(self) -> Dict[str, Any]:
        """The JSON schema of ``{"labels": ...}``, limited to ``available_labels`` when given."""
        label: Dict[str, Any] = {"type": "string"}
        choices = self._label_choices()
        if choices:
            label["enum"] = choices
        if self.n == 1:
            labels_schema: Dict[str, Any] = {"title": "Labels", **label}
            title = "SingleLabelSchema"
        else:
            labels_schema = {"items": label, "maxItems": self.n, "title": "Labels", "type": "array"}
            title = "MultiLabelSchema"
        return {
            "format": "json",
            "schema": {
                "properties": {"labels": labels_schema},
                "required": ["labels"],
                "title": title,
                "type": "object",
            },
        }

    def _label_choices(self) -> List[str]:
        if not self.available_labels:
            return []
        choices = list(self.available_labels)
        defaults = (
            self.default_label if isinstance(self.default_label, list) else [self.default_label]
        )
        choices.extend(d for d in defaults if d is not None and d not in choices)
        return choices


def _default_label_text(default_label: Optional[Union[str, List[str]]]) -> str:
    if isinstance(default_label, list):
        return json.dumps(default_label)
    return f'"{default_label}"'


__all__ = ["TextClassification"]
