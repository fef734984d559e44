"""Format generations as chat conversations for supervised fine-tuning."""

import hashlib
from typing import TYPE_CHECKING, Any, Dict, List

from distilabel.errors import DistilabelUserError
from distilabel.steps.base import Step, StepInput
from distilabel.steps.column_property import column_property

if TYPE_CHECKING:
    from distilabel.typing.steps import StepOutput


def prompt_id(prompt: str) -> str:
    """A stable id for a prompt: the SHA-256 of its text."""
    return hashlib.sha256(prompt.encode("utf-8")).hexdigest()


def first_user_turn(messages: List[Dict[str, Any]], step: str) -> str:
    """The content of the first user message: the prompt a conversation starts from."""
    for message in messages:
        if isinstance(message, dict) and message.get("role") == "user":
            return str(message.get("content"))
    raise DistilabelUserError(
        f"{step}: `messages` has no user message to take the prompt from: {messages!r:.300}"
    )


def instruction_turns(row: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The system prompt (when the row has a non-empty one) and the instruction, as chat turns."""
    turns: List[Dict[str, Any]] = []
    system_prompt = row.get("system_prompt")
    if isinstance(system_prompt, str) and system_prompt:
        turns.append({"role": "system", "content": system_prompt})
    turns.append({"role": "user", "content": row["instruction"]})
    return turns


class FormatTextGenerationSFT(Step):
    """Turn an ``instruction`` and its ``generation`` into a chat conversation for SFT.

    The format of chat SFT datasets such as ultrachat_200k: ``messages`` holds the
    system prompt (if any), the instruction as the user turn and the generation as the
    assistant turn.

    Input columns:
        - system_prompt (`str`, optional): the system prompt the generation was made with.
        - instruction (`str`): the instruction.
        - generation (`str`): the answer to it.

    Output columns:
        - prompt (`str`): the instruction.
        - prompt_id (`str`): the SHA-256 of the prompt.
        - messages (`List[Dict[str, str]]`): the conversation.

    Examples:
        >>> step = FormatTextGenerationSFT()
        >>> [row] = next(step.process([{"instruction": "Hi", "generation": "Hello!"}]))
        >>> row["messages"]
        [{'role': 'user', 'content': 'Hi'}, {'role': 'assistant', 'content': 'Hello!'}]
    """

    inputs = column_property({"system_prompt": False, "instruction": True, "generation": True})

    outputs = column_property(["prompt", "prompt_id", "messages"])

    def process(self, inputs: StepInput) -> "StepOutput":
        for row in inputs:
            row["messages"] = [
                *instruction_turns(row),
                {"role": "assistant", "content": row["generation"]},
            ]
            row["prompt"] = row["instruction"]
            row["prompt_id"] = prompt_id(row["instruction"])
        yield inputs


class FormatChatGenerationSFT(Step):
    """Turn a conversation (``messages``) and its next ``generation`` into one conversation for SFT.

    The prompt is the first user message of the conversation; ``messages`` gets the
    generation appended as an assistant turn.

    Input columns:
        - messages (`List[Dict[str, str]]`): the conversation so far.
        - generation (`str`): the assistant's next turn.

    Output columns:
        - prompt (`str`): the first user message.
        - prompt_id (`str`): the SHA-256 of the prompt.
        - messages (`List[Dict[str, str]]`): the conversation with the generation appended.

    Examples:
        >>> step = FormatChatGenerationSFT()
        >>> [row] = next(step.process([{"messages": [{"role": "user", "content": "Hi"}], "generation": "Hello!"}]))
        >>> row["prompt"], row["messages"][-1]
        ('Hi', {'role': 'assistant', 'content': 'Hello!'})
    """

    inputs = column_property(["messages", "generation"])
    outputs = column_property(["prompt", "prompt_id", "messages"])

    def process(self, inputs: StepInput) -> "StepOutput":
        for row in inputs:
            messages = list(row["messages"])
            row["prompt"] = first_user_turn(messages, type(self).__name__)
            row["prompt_id"] = prompt_id(row["prompt"])
            row["messages"] = [*messages, {"role": "assistant", "content": row["generation"]}]
        yield inputs
