"""Format generations as chat conversations for supervised fine-tuning."""

import hashlib
from typing import TYPE_CHECKING, Any, Dict, List

from distilabel.steps.base import Step, StepInput

if TYPE_CHECKING:
    from distilabel.typing.steps import StepColumns, StepOutput


def prompt_id(prompt: str) -> str:
    """A stable id for a prompt: the SHA-256 of its text."""
    return hashlib.sha256(prompt.encode("utf-8")).hexdigest()


class FormatTextGenerationSFT(Step):
    """Turn ``instruction`` + ``generation`` into ``prompt``, ``prompt_id`` and ``messages``."""

    @property
    def inputs(self) -> "StepColumns":
        return {"system_prompt": False, "instruction": True, "generation": True}

    @property
    def outputs(self) -> "StepColumns":
        return ["prompt", "prompt_id", "messages"]

    def process(self, inputs: StepInput) -> "StepOutput":
        for row in inputs:
            messages: List[Dict[str, Any]] = []
            if row.get("system_prompt"):
                messages.append({"role": "system", "content": row["system_prompt"]})
            messages.append({"role": "user", "content": row["instruction"]})
            messages.append({"role": "assistant", "content": row["generation"]})
            row["prompt"] = row["instruction"]
            row["prompt_id"] = prompt_id(row["instruction"])
            row["messages"] = messages
        yield inputs


class FormatChatGenerationSFT(Step):
    """Turn ``messages`` + ``generation`` into ``prompt``, ``prompt_id`` and ``messages``."""

    @property
    def inputs(self) -> "StepColumns":
        return ["messages", "generation"]

    @property
    def outputs(self) -> "StepColumns":
        return ["prompt", "prompt_id", "messages"]

    def process(self, inputs: StepInput) -> "StepOutput":
        for row in inputs:
            messages = list(row["messages"])
            prompt = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
            row["prompt"] = prompt
            row["prompt_id"] = prompt_id(str(prompt))
            row["messages"] = [*messages, {"role": "assistant", "content": row["generation"]}]
        yield inputs
