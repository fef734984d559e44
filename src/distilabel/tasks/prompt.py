"""``Prompt``: distilabel 0.x's system prompt + user prompt pair, and the formats it renders to.

A 0.x task returns a ``Prompt``; the LLM then renders it for its model with
``Prompt.format_as(format)``: a chat conversation for chat APIs, or one string
with a model family's turn markers for raw text-generation engines.
"""

from typing import List, Literal, Union, get_args

from pydantic.dataclasses import dataclass
from typing_extensions import TypedDict

from distilabel.errors import DistilabelUserError


class ChatCompletion(TypedDict):
    """One message of a conversation, in OpenAI's chat format."""

    role: Literal["system", "user", "assistant"]
    content: str


SupportedFormats = Literal["default", "openai", "llama2", "chatml", "zephyr", "notus"]
"""The formats ``Prompt.format_as`` renders: ``"openai"`` is a conversation, the others one string."""

SUPPORTED_FORMATS = get_args(SupportedFormats)


@dataclass
class Prompt:
    """A system prompt and a user prompt, not yet rendered for a particular model.

    Attributes:
        system_prompt: what the model is told about its role; may be empty.
        formatted_prompt: the user's turn, with the task's inputs already filled in.

    Examples:
        >>> from distilabel.tasks import Prompt
        >>> prompt = Prompt(system_prompt="You are terse.", formatted_prompt="Name a colour.")
        >>> prompt.format_as("chatml")
        '<|im_start|>system\\nYou are terse.<|im_end|>\\n<|im_start|>user\\nName a colour.<|im_end|>\\n<|im_start|>assistant\\n'
    """

    system_prompt: str
    formatted_prompt: str

    def format_as(self, format: SupportedFormats) -> Union[str, List[ChatCompletion]]:
        """Render the prompt for a model.

        Args:
            format: ``"default"`` (the system prompt, a line break, the user prompt),
                ``"openai"`` (a conversation of a system and a user message),
                ``"llama2"`` (``<s>[INST] <<SYS>>...<</SYS>> ... [/INST]``),
                ``"chatml"`` (``<|im_start|>role ... <|im_end|>`` turns), or ``"zephyr"`` /
                ``"notus"`` (``<|system|>``, ``<|user|>``, ``<|assistant|>`` turns ended by ``</s>``).
                An empty system prompt leaves out the system turn.

        Returns:
            The conversation (``"openai"``) or the prompt string (every other format).

        Raises:
            DistilabelUserError: ``format`` is not one of the formats above.
        """
        system, user = self.system_prompt, self.formatted_prompt
        if format == "default":
            return f"{system}\n{user}" if system else user
        if format == "openai":
            messages: List[ChatCompletion] = [ChatCompletion(role="system", content=system)] if system else []
            return [*messages, ChatCompletion(role="user", content=user)]
        if format == "llama2":
            system_block = f"<<SYS>>\n{system}<</SYS>>\n\n" if system else ""
            return f"<s>[INST] {system_block}{user} [/INST]"
        if format == "chatml":
            system_turn = f"<|im_start|>system\n{system}<|im_end|>\n" if system else ""
            return f"{system_turn}<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n"
        if format in ("zephyr", "notus"):
            system_turn = f"<|system|>\n{system}</s>\n" if system else ""
            return f"{system_turn}<|user|>\n{user}</s>\n<|assistant|>\n"
        raise DistilabelUserError(
            f"Unknown prompt format {format!r}: use one of {', '.join(map(repr, SUPPORTED_FORMATS))},"
            " or pass a `prompt_formatting_fn` to the LLM to format prompts yourself."
        )


__all__ = ["SUPPORTED_FORMATS", "ChatCompletion", "Prompt", "SupportedFormats"]
