"""Magpie: let an instruct model write the *user* turn by ending the prompt with the
template that opens a user message (the "pre-query template")."""

from typing import TYPE_CHECKING, Any, Dict, Literal, Union

from pydantic import BaseModel, Field, ValidationError, model_validator

from distilabel.errors import DistilabelUserError

if TYPE_CHECKING:
    from distilabel.typing import StandardInput

MagpieAvailablePreQueryTemplates = Literal["llama3", "qwen2"]
"""Names of the pre-query templates that ship with distilabel."""

MAGPIE_PRE_QUERY_TEMPLATES: Dict[str, str] = {
    "llama3": "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n",
    "qwen2": "<|im_start|>user\n",
}

class MagpieChatTemplateMixin(BaseModel, validate_assignment=True):
    """Adds the Magpie fields to an LLM that formats its own prompts.

    Attributes:
        use_magpie_template: end prompts whose last message is not from the user with
            ``magpie_pre_query_template``, so the model generates a user query.
        magpie_pre_query_template: the text that opens a user turn in the model's chat
            template; ``"llama3"`` and ``"qwen2"`` name the built-in ones.
    """

    use_magpie_template: bool = Field(
        default=False,
        description="Whether to end prompts with the Magpie pre-query template, so the model writes a user query.",
    )
    magpie_pre_query_template: Union[MagpieAvailablePreQueryTemplates, str, None] = Field(
        default=None,
        description="The text that opens a user turn; 'llama3' and 'qwen2' name built-in templates.",
    )

    @model_validator(mode="after")
    def _resolve_magpie_template(self) -> Any:
        template = self.magpie_pre_query_template
        if template in MAGPIE_PRE_QUERY_TEMPLATES:
            # object.__setattr__ skips validate_assignment, which would re-enter this validator.
            object.__setattr__(self, "magpie_pre_query_template", MAGPIE_PRE_QUERY_TEMPLATES[template])
        elif self.use_magpie_template and not template:
            raise DistilabelUserError(
                "use_magpie_template=True needs a magpie_pre_query_template: one of"
                f" {', '.join(MAGPIE_PRE_QUERY_TEMPLATES)} or the template text itself."
            )
        return self

    def apply_magpie_pre_query_template(self, prompt: str, input: "StandardInput") -> str:
        """Append the pre-query template to ``prompt`` when Magpie is on and the last turn is not the user's.

        Args:
            prompt: the conversation already rendered with the model's chat template.
            input: the conversation itself.
        """
        if not self.use_magpie_template or (input and input[-1].get("role") == "user"):
            return prompt
        return prompt + (self.magpie_pre_query_template or "")


def enable_magpie_template(llm: Any, user: str) -> None:
    """Turn ``use_magpie_template`` on for ``llm``, as the Magpie tasks do.

    Args:
        llm: the LLM a Magpie task was given.
        user: the task's class name, for the error messages.

    Raises:
        DistilabelUserError: the LLM cannot format prompts itself (no
            ``MagpieChatTemplateMixin``), has no ``magpie_pre_query_template``, or
            misses what Magpie needs (e.g. a tokenizer for a remote server).
    """
    name = type(llm).__name__
    if not isinstance(llm, MagpieChatTemplateMixin):
        raise DistilabelUserError(
            f"{user} needs an LLM that renders its own prompts and can end them with a Magpie"
            " pre-query template (LlamaCppLLM, TransformersLLM, vLLM, ClientvLLM with `tokenizer`,"
            f" InferenceEndpointsLLM or OllamaLLM with `tokenizer_id`); {name} cannot."
        )
    if not llm.magpie_pre_query_template:
        raise DistilabelUserError(
            f"{user}: set `magpie_pre_query_template` on the {name}: 'llama3', 'qwen2', or the text"
            " that opens a user turn in the model's chat template (e.g. '<|im_start|>user\\n' for"
            " ChatML models such as SmolLM2)."
        )
    if llm.use_magpie_template:
        return
    try:
        llm.use_magpie_template = True
    except ValidationError as error:
        # The failed assignment leaves the flag set: put it back.
        object.__setattr__(llm, "use_magpie_template", False)
        reasons = "; ".join(str(item["msg"]).removeprefix("Value error, ") for item in error.errors())
        raise DistilabelUserError(f"{user} cannot use this {name}: {reasons}") from None


__all__ = [
    "MAGPIE_PRE_QUERY_TEMPLATES",
    "MagpieAvailablePreQueryTemplates",
    "MagpieChatTemplateMixin",
    "enable_magpie_template",
]
