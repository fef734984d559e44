"""Format rated generations as chosen/rejected pairs for preference tuning (DPO)."""

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from distilabel.steps.base import Step, StepInput
from distilabel.steps.column_property import column_property
from distilabel.steps.formatting.sft import first_user_turn, instruction_turns, prompt_id

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


def best_and_worst(ratings: Optional[List[Optional[float]]]) -> Optional[Tuple[int, int]]:
    """Indices of the highest and the lowest rating, the first one on ties.

    Unrated generations (``None``) are skipped; ``None`` when nothing is rated.
    """
    rated = [(i, r) for i, r in enumerate(ratings or []) if r is not None]
    if not rated:
        return None
    best = max(rated, key=lambda item: item[1])[0]
    worst = min(rated, key=lambda item: item[1])[0]
    return best, worst


def fill_preference_pair(
    row: Dict[str, Any], conversation: List[Dict[str, Any]], prompt: str
) -> None:
    """Write the DPO columns of ``row``: the conversation closed by its best and its worst generation.

    ``chosen_model`` / ``rejected_model`` are written only when the row has a
    non-empty ``generation_models``. With no rated generation, chosen/rejected and their
    ratings are ``None``.
    """
    row["prompt"] = prompt
    row["prompt_id"] = prompt_id(prompt)
    picked = best_and_worst(row.get("ratings"))
    models = row.get("generation_models") or None
    for side in ("chosen", "rejected"):
        row[side] = row[f"{side}_rating"] = None
        if models is not None:
            row[f"{side}_model"] = None
    if picked is None:
        return
    generations = row.get("generations") or []
    for side, index in zip(("chosen", "rejected"), picked, strict=True):
        content = generations[index] if index < len(generations) else None
        row[side] = [*conversation, {"role": "assistant", "content": content}]
        row[f"{side}_rating"] = row["ratings"][index]
        if models is not None:
            row[f"{side}_model"] = models[index] if index < len(models) else None


class FormatTextGenerationDPO(Step):
    """Pair the best and the worst rated ``generations`` of an ``instruction`` for DPO.

    Use it after a preference task (e.g. ``UltraFeedback``) has rated the generations.
    On ties the first highest and the first lowest rated generations are taken;
    unrated generations (``None``) are skipped.

    Input columns:
        - system_prompt (`str`, optional): the system prompt the generations were made with.
        - instruction (`str`): the instruction.
        - generations (`List[str]`): the answers to it.
        - generation_models (`List[str]`, optional): the model of each generation.
        - ratings (`List[float]`): the rating of each generation.

    Output columns:
        - prompt (`str`): the instruction.
        - prompt_id (`str`): the SHA-256 of the prompt.
        - chosen (`List[Dict[str, str]]`): the conversation with the best generation.
        - chosen_model (`str`, optional): its model, when ``generation_models`` is given.
        - chosen_rating (`float`): its rating.
        - rejected (`List[Dict[str, str]]`): the conversation with the worst generation.
        - rejected_model (`str`, optional): its model, when ``generation_models`` is given.
        - rejected_rating (`float`): its rating.

    Examples:
        >>> step = FormatTextGenerationDPO()
        >>> [row] = next(step.process([{"instruction": "2+2?", "generations": ["4", "5"], "ratings": [5, 1]}]))
        >>> row["chosen"][-1]["content"], row["rejected"][-1]["content"]
        ('4', '5')
    """

    inputs = column_property({
        "system_prompt": False,
        "instruction": True,
        "generations": True,
        "generation_models": False,
        "ratings": True,
    })

    @property
    def outputs(self) -> "StepColumns":
        return _DPO_OUTPUTS

    def process(self, inputs: StepInput) -> "StepOutput":
        for row in inputs:
            fill_preference_pair(row, instruction_turns(row), row["instruction"])
        yield inputs


class FormatChatGenerationDPO(Step):
    """Pair the best and the worst rated ``generations`` for a conversation (``messages``) for DPO.

    The prompt is the first user message of the conversation; chosen and rejected are
    the conversation followed by the best and the worst rated generation (the first
    ones on ties; unrated generations are skipped).

    Input columns:
        - messages (`List[Dict[str, str]]`): the conversation so far.
        - generations (`List[str]`): candidate assistant turns.
        - generation_models (`List[str]`, optional): the model of each generation.
        - ratings (`List[float]`): the rating of each generation.

    Output columns (those of `FormatTextGenerationDPO`):
        - prompt (`str`): the first user message; prompt_id (`str`): its SHA-256.
        - chosen, rejected (`List[Dict[str, str]]`): the conversation with the best, the worst generation.
        - chosen_model, rejected_model (`str`, optional): their models, when ``generation_models`` is given.
        - chosen_rating, rejected_rating (`float`): their ratings.

    Examples:
        >>> step = FormatChatGenerationDPO()
        >>> rows = [{"messages": [{"role": "user", "content": "Hi"}], "generations": ["Hello", "Go away"], "ratings": [4, 1]}]
        >>> next(step.process(rows))[0]["chosen"]
        [{'role': 'user', 'content': 'Hi'}, {'role': 'assistant', 'content': 'Hello'}]
    """

    inputs = column_property({"messages": True, "generations": True, "generation_models": False, "ratings": True})

    @property
    def outputs(self) -> "StepColumns":
        return _DPO_OUTPUTS

    def process(self, inputs: StepInput) -> "StepOutput":
        for row in inputs:
            messages = list(row["messages"])
            fill_preference_pair(row, messages, first_user_turn(messages, type(self).__name__))
        yield inputs
