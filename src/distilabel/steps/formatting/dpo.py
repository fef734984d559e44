"""Format rated generations as chosen/rejected pairs for preference tuning (DPO)."""

from typing import TYPE_CHECKING, Any, Dict, List, Optional

from distilabel.steps.base import Step, StepInput
from distilabel.steps.formatting.sft import prompt_id

if TYPE_CHECKING:
    from distilabel.typing.steps import StepColumns, StepOutput

_DPO_OUTPUTS = [
    "prompt",
    "prompt_id",
    "chosen",
    "chosen_model",
    "chosen_rating",
    "rejected",
    "rejected_model",
    "rejected_rating",
]


def _pick(ratings: List[Optional[float]]) -> Optional[tuple]:
    """Indices of the best and the worst rated generation (None when nothing is rated)."""
    rated = [(r, i) for i, r in enumerate(ratings or []) if r is not None]
    if not rated:
        return None
    best = max(rated)[1]
    worst = min(rated, key=lambda item: (item[0], -item[1]))[1]
    return best, worst


def _fill(row: Dict[str, Any], conversation: List[Dict[str, Any]], prompt: str) -> None:
    row["prompt"] = prompt
    row["prompt_id"] = prompt_id(prompt)
    picked = _pick(row.get("ratings") or [])
    models = row.get("generation_models") or []
    for side in ("chosen", "rejected"):
        row[side] = row[f"{side}_model"] = row[f"{side}_rating"] = None
    if picked is None:
        return
    for side, index in zip(("chosen", "rejected"), picked, strict=False):
        row[side] = [*conversation, {"role": "assistant", "content": row["generations"][index]}]
        row[f"{side}_rating"] = row["ratings"][index]
        row[f"{side}_model"] = models[index] if index < len(models) else None


class FormatTextGenerationDPO(Step):
    """Pick the best and worst rated ``generations`` of an ``instruction`` as chosen/rejected."""

    @property
    def inputs(self) -> "StepColumns":
        return {
            "system_prompt": False,
            "instruction": True,
            "generations": True,
            "generation_models": False,
            "ratings": True,
        }

    @property
    def outputs(self) -> "StepColumns":
        return _DPO_OUTPUTS

    def process(self, inputs: StepInput) -> "StepOutput":
        for row in inputs:
            conversation = []
            if row.get("system_prompt"):
                conversation.append({"role": "system", "content": row["system_prompt"]})
            conversation.append({"role": "user", "content": row["instruction"]})
            _fill(row, conversation, row["instruction"])
        yield inputs


class FormatChatGenerationDPO(Step):
    """Pick the best and worst rated ``generations`` for ``messages`` as chosen/rejected."""

    @property
    def inputs(self) -> "StepColumns":
        return {"messages": True, "generations": True, "generation_models": False, "ratings": True}

    @property
    def outputs(self) -> "StepColumns":
        return _DPO_OUTPUTS

    def process(self, inputs: StepInput) -> "StepOutput":
        for row in inputs:
            messages = list(row["messages"])
            prompt = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
            _fill(row, messages, str(prompt))
        yield inputs
