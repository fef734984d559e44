"""``StructuredGeneration``: generation that follows a JSON schema or regex given per row."""

import warnings
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from distilabel.errors import DistilabelUserError
from distilabel.models.structured import normalize_structured_output
from distilabel.steps.column_property import column_property
from distilabel.steps.tasks.base import Task

if TYPE_CHECKING:
    from distilabel.typing import StructuredInput
    from distilabel.typing.steps import StepColumns

# Text Generation Inference names the two parts of its grammar "type" and "value".
_TGI_FORMATS = ("json", "regex")


class StructuredGeneration(Task):
    """Generate text for an instruction that follows the row's own JSON schema or regex.

    Each row carries its ``structured_output``: ``{"format": "json", "schema": {...}}``
    (a JSON schema, as a dict or a JSON string) or ``{"format": "regex", "schema": "..."}``.
    The LLM enforces it with its own mechanism (a grammar for local engines, a
    response format for APIs). A row whose ``structured_output`` is ``None`` uses the
    LLM's ``structured_output``, if it has one. The answer is returned as text,
    unparsed.

    Attributes:
        use_system_prompt: send the row's ``system_prompt`` column as a system message.
            Defaults to ``False``.

    Input columns:
        - system_prompt (`str`, only with ``use_system_prompt=True``): the system message.
        - instruction (`str`): the instruction to answer.
        - structured_output (`Dict[str, Any]`): ``{"format": "json" | "regex", "schema": ...}``.
            The Text Generation Inference form ``{"type": "json" | "regex", "value": ...}``
            is accepted too.

    Output columns:
        - generation (`str`): the answer, following the schema or regex.
        - model_name (`str`): the model that generated it.

    Examples:
        ```python
        from distilabel.models.llms import LlamaCppLLM
        from distilabel.steps.tasks import StructuredGeneration

        task = StructuredGeneration(llm=LlamaCppLLM())
        task.load()
        schema = {
            "type": "object",
            "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
            "required": ["name", "age"],
        }
        rows = next(task.process([
            {"instruction": "Invent a person.", "structured_output": {"format": "json", "schema": schema}},
        ]))
        # rows[0]["generation"] -> '{"name": "Ada", "age": 36}'
        ```
    """

    use_system_prompt: bool = False

    @property
    def inputs(self) -> "StepColumns":
        columns = ["instruction", "structured_output"]
        return ["system_prompt", *columns] if self.use_system_prompt else columns

    outputs = column_property(["generation", "model_name"])

    def format_input(self, input: Dict[str, Any]) -> "StructuredInput":
        instruction = input.get("instruction")
        if not isinstance(instruction, str):
            raise DistilabelUserError(
                f"The 'instruction' column must be a string, got {type(instruction).__name__}: {str(instruction)[:200]!r}."
            )
        messages: List[Dict[str, Any]] = [{"role": "user", "content": instruction}]
        if self.use_system_prompt:
            if input.get("system_prompt"):
                messages.insert(0, {"role": "system", "content": input["system_prompt"]})
            else:
                warnings.warn(
                    "`use_system_prompt` is True but the row has no `system_prompt`; it is sent without one.",
                    UserWarning,
                    stacklevel=2,
                )
        return (messages, _row_structured_output(input.get("structured_output")))  # type: ignore[return-value]

    def format_output(
        self, output: Optional[str], input: Optional[Dict[str, Any]] = None
    ) -> Dict[str, Any]:
        """The answer as it came, unparsed (``None`` when generation failed)."""
        return {"generation": output}


def _row_structured_output(spec: Any) -> Optional[Dict[str, Any]]:
    """The row's spec in ``{"format", "schema"}`` form, checked here so a bad one fails only its row."""
    if spec is None:
        return None
    if isinstance(spec, dict) and set(spec) == {"type", "value"} and spec["type"] in _TGI_FORMATS:
        spec = {"format": spec["type"], "schema": spec["value"]}
    normalize_structured_output(spec)
    return spec


__all__ = ["StructuredGeneration"]
