"""Magpie: an instruct model, given only the text that opens a user turn, writes the user's
message itself; answering it and repeating builds a conversation from nothing.

``MagpieBase`` holds the method (fields and the turn-by-turn generation); ``Magpie``
runs it for each input row (which may carry a ``system_prompt``), ``MagpieGenerator``
(``magpie/generator.py``) makes ``num_rows`` rows from nothing.

Reference: Xu et al., "Magpie: Alignment Data Synthesis from Scratch by Prompting
Aligned LLMs with Nothing" (2024), https://arxiv.org/abs/2406.08464.
"""

import math
import random
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple, Union

from pydantic import Field, PositiveInt, field_validator

from distilabel.errors import DistilabelUserError
from distilabel.mixins.runtime_parameters import RuntimeParameter, RuntimeParametersMixin
from distilabel.models.mixins.magpie import enable_magpie_template
from distilabel.steps.base import DISTILABEL_METADATA_KEY, StepInput
from distilabel.steps.column_property import column_property
from distilabel.steps.tasks.base import Task, _upstream_metadata

if TYPE_CHECKING:
    from distilabel.models.llms.base import LLM
    from distilabel.typing import ChatType, GenerateOutput
    from distilabel.typing.steps import StepColumns, StepOutput

MAGPIE_MULTI_TURN_SYSTEM_PROMPT = (
    "You are an AI assistant in a conversation of several rounds. The user opens with a question"
    " and then follows up with related questions. Answer each one thoroughly, stay on topic, and"
    " give the user insight that helps with what they are trying to do."
)
"""The system prompt of multi-turn conversations when no other is given."""

SystemPrompts = Union[List[str], Dict[str, str], Dict[str, Tuple[str, float]], str]


class MagpieBase(RuntimeParametersMixin):
    """The Magpie method, shared by ``Magpie`` and ``MagpieGenerator``.

    Attributes:
        n_turns: the number of user/assistant rounds of each conversation.
        end_with_user: end each conversation with a user message (the last round has
            no assistant answer).
        include_system_prompt: keep the system prompt as the first message of
            ``conversation``.
        only_instruction: generate only the first user message (``instruction``);
            ``n_turns`` is then ignored.
        system_prompt: the system prompt that steers what users ask about: one text; a
            list to draw one from for each row; a dict of name -> text to draw from (the
            name goes to ``system_prompt_key``); or a dict of name -> (text, probability)
            with probabilities adding up to 1. A ``system_prompt`` column wins.
    """

    n_turns: RuntimeParameter[PositiveInt] = Field(
        default=1, description="The number of turns to generate for the conversation."
    )
    end_with_user: RuntimeParameter[bool] = Field(
        default=False, description="Whether the conversation should end with a user message."
    )
    include_system_prompt: RuntimeParameter[bool] = Field(
        default=False, description="Whether to include the system prompt used in the generated conversation."
    )
    only_instruction: RuntimeParameter[bool] = Field(
        default=False,
        description="Whether to generate only the instruction. If this argument is `True`, then `n_turns` will be ignored.",
    )
    system_prompt: Optional[RuntimeParameter[SystemPrompts]] = Field(
        default=None,
        description="A system prompt, a list of them to draw one from per row, a dict of name -> prompt to"
        " draw from, or a dict of name -> (prompt, probability) with probabilities adding up to 1.",
    )

    @field_validator("system_prompt", mode="after")
    @classmethod
    def _check_system_prompt(cls, value: Optional[SystemPrompts]) -> Optional[SystemPrompts]:
        if isinstance(value, (list, dict)) and not value:
            raise DistilabelUserError("`system_prompt` must not be an empty list or dict: use None for no system prompt.")
        # (A dict mixing prompts and (prompt, probability) pairs fails the type itself.)
        if isinstance(value, dict) and all(isinstance(v, tuple) for v in value.values()):
            total = sum(weight for _, weight in value.values())  # type: ignore[misc]
            if not math.isclose(total, 1.0, abs_tol=1e-6):
                raise DistilabelUserError(
                    "The probabilities of the `system_prompt` dict must add up to 1.0,"
                    f" got {total:g} ({ {k: w for k, (_, w) in value.items()} })."  # type: ignore[misc]
                )
        return value

    # --- columns --------------------------------------------------------------------------

    def _magpie_outputs(self) -> List[str]:
        if self.only_instruction:
            columns = ["instruction"]
        elif self.n_turns == 1:
            columns = ["instruction", "response"]
        else:
            columns = ["conversation"]
        if isinstance(self.system_prompt, dict):
            columns.append("system_prompt_key")
        return [*columns, "model_name"]

    # --- prompts ----------------------------------------------------------------------------

    def _pick_system_prompt(self, row: Dict[str, Any]) -> Tuple[Optional[str], Optional[str]]:
        """The system prompt for one row, and its name when drawn from a dict."""
        if row.get("system_prompt"):
            return str(row["system_prompt"]), None
        prompts = self.system_prompt
        if isinstance(prompts, str):
            return prompts, None
        if isinstance(prompts, list):
            return random.choice(prompts), None
        if isinstance(prompts, dict):
            names = list(prompts)
            values = list(prompts.values())
            weights = [v[1] for v in values] if isinstance(values[0], tuple) else None
            name = random.choices(names, weights=weights, k=1)[0]
            chosen = prompts[name]
            return (chosen[0] if isinstance(chosen, tuple) else chosen), name
        if self.n_turns > 1 and not self.only_instruction:  # type: ignore[operator]
            return MAGPIE_MULTI_TURN_SYSTEM_PROMPT, None
        return None, None

    def _opening(self, row: Dict[str, Any]) -> Tuple["ChatType", Optional[str]]:
        prompt, key = self._pick_system_prompt(row)
        chat: ChatType = [{"role": "system", "content": prompt}] if prompt else []  # type: ignore[list-item]
        return chat, key

    # --- generation ---------------------------------------------------------------------------

    def _magpie_rows(self, inputs: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """Generate one instruction or conversation per input row; the rows come back extended."""
        states = []
        for row in inputs:
            chat, key = self._opening(row)
            states.append(_Conversation(chat, key))
        active = list(range(len(states)))
        rounds = 1 if self.only_instruction else self.n_turns
        for turn in range(rounds):  # type: ignore[arg-type]
            active = self._next_message("user", states, active)
            if self.only_instruction or (turn == rounds - 1 and self.end_with_user):  # type: ignore[operator]
                break
            active = self._next_message("assistant", states, active)
        return [self._output_row(row, state) for row, state in zip(inputs, states, strict=True)]

    def _next_message(self, role: str, states: List["_Conversation"], active: List[int]) -> List[int]:
        """Generate the next ``role`` message of the active conversations; returns those still going."""
        chats = [states[i].messages for i in active]
        # A user turn's prompt repeats across rows (the bare pre-query, a shared system
        # prompt): each must be a new sample, not the response cache's first answer.
        prompts = self._sampled(chats) if role == "user" else [list(chat) for chat in chats]  # type: ignore[attr-defined]
        outputs: List[GenerateOutput] = self._generate_and_account(prompts)  # type: ignore[attr-defined]
        still = []
        for index, output in zip(active, outputs, strict=True):
            if states[index].add(role, output):
                still.append(index)
        return still

    def _output_row(self, row: Dict[str, Any], state: "_Conversation") -> Dict[str, Any]:
        name: str = self.name  # type: ignore[attr-defined]
        llm: LLM = self.llm  # type: ignore[attr-defined]
        messages = state.messages
        generated = [m for m in messages if m["role"] != "system"]
        columns: Dict[str, Any] = {}
        if self.only_instruction or self.n_turns == 1:
            columns["instruction"] = _content(generated, 0, "user")
            if not self.only_instruction:
                columns["response"] = _content(generated, 1, "assistant")
        else:
            kept = messages if self.include_system_prompt else generated
            columns["conversation"] = None if state.error else [dict(m) for m in kept]
        if isinstance(self.system_prompt, dict):
            columns["system_prompt_key"] = state.system_prompt_key
        metadata = _upstream_metadata(row)
        metadata[f"statistics_{name}"] = state.statistics
        if state.error:
            metadata[f"error_{name}"] = state.error
            if generated and self.add_raw_output:  # type: ignore[attr-defined]
                metadata[f"raw_output_{name}"] = [dict(m) for m in generated]
        return {**row, **columns, DISTILABEL_METADATA_KEY: metadata, "model_name": llm.model_name}


class _Conversation:
    """One conversation being generated: its messages, token counts and why it stopped."""

    __slots__ = ("error", "messages", "statistics", "system_prompt_key")

    def __init__(self, messages: "ChatType", system_prompt_key: Optional[str]) -> None:
        self.messages: List[Dict[str, Any]] = list(messages)  # type: ignore[arg-type]
        self.system_prompt_key = system_prompt_key
        self.statistics: Dict[str, List[int]] = {"input_tokens": [], "output_tokens": []}
        self.error: Optional[str] = None

    def add(self, role: str, output: "GenerateOutput") -> bool:
        """Append the generated message; ``False`` when there is none (the conversation stops)."""
        for key, values in (output.get("statistics") or {}).items():
            values = values if isinstance(values, list) else [values]
            self.statistics.setdefault(key, []).extend(v for v in values if isinstance(v, int))
        text = (output.get("generations") or [None])[0]
        if text is None or not text.strip():
            errors = output.get("errors") or [None]
            self.error = f"no {role} message at turn {self._turn(role)}: {errors[0] or 'the model wrote an empty message'}"
            return False
        self.messages.append({"role": role, "content": text.strip()})
        return True

    def _turn(self, role: str) -> int:
        return sum(1 for m in self.messages if m["role"] == role) + 1


def _content(messages: List[Dict[str, Any]], index: int, role: str) -> Optional[str]:
    if index < len(messages) and messages[index]["role"] == role:
        return messages[index]["content"]
    return None


class Magpie(Task, MagpieBase):
    """Generate instructions or whole conversations with nothing but an instruct model.

    The model is sent only the start of a user turn of its chat template (its
    ``magpie_pre_query_template``), so it writes a user message itself; that message
    is then answered, and the rounds repeat ``n_turns`` times. A system prompt (the
    ``system_prompt`` column or field) steers what the users ask about. The LLM must
    render its own prompts (``MagpieChatTemplateMixin``: LlamaCppLLM, TransformersLLM,
    vLLM, ClientvLLM with a tokenizer, InferenceEndpointsLLM / OllamaLLM with
    ``tokenizer_id``) and have ``magpie_pre_query_template`` set; the task turns
    ``use_magpie_template`` on.

    Attributes:
        n_turns: the number of user/assistant rounds.
        end_with_user: end each conversation with a user message.
        include_system_prompt: keep the system prompt in ``conversation``.
        only_instruction: generate only the first user message.
        system_prompt: a prompt, a list to draw from, a dict name -> prompt, or a dict
            name -> (prompt, probability); see ``MagpieBase``.

    Input columns:
        - system_prompt (`str`, optional): the system prompt for this row.

    Output columns:
        - instruction (`str`): the first user message (``only_instruction=True`` or ``n_turns=1``).
        - response (`str`): the answer to it (``n_turns=1``).
        - conversation (`ChatType`): the messages (``n_turns > 1``).
        - system_prompt_key (`str`): the name of the system prompt drawn (``system_prompt`` a dict).
        - model_name (`str`): the model that generated them.

    A message the model fails to write (an error, or an empty message) ends its
    conversation: the row gets ``None`` in the columns it could not fill,
    ``distilabel_metadata["error_<name>"]`` says why, and ``raw_output_<name>`` keeps
    the messages written so far.

    Examples:
        ```python
        from distilabel.models.llms import LlamaCppLLM
        from distilabel.steps.tasks import Magpie

        magpie = Magpie(
            llm=LlamaCppLLM(magpie_pre_query_template="<|im_start|>user\\n"),  # SmolLM2 speaks ChatML
            n_turns=2,
        )
        magpie.load()
        rows = next(magpie.process([{"system_prompt": "You are a patient chemistry tutor."}]))
        # rows[0]["conversation"] == [{"role": "user", ...}, {"role": "assistant", ...}, ...]
        ```
    """

    def model_post_init(self, context: Any) -> None:
        super().model_post_init(context)
        enable_magpie_template(self.llm, type(self).__name__)

    inputs = column_property({"system_prompt": False})

    @property
    def outputs(self) -> "StepColumns":
        return self._magpie_outputs()

    def format_input(self, input: Dict[str, Any]) -> "ChatType":
        """The conversation the first user message is generated from: the system prompt, if any."""
        return self._opening(input)[0]

    def format_output(self, output: Optional[str], input: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """Magpie builds its columns turn by turn in ``process``; nothing to parse."""
        return {}

    def process(self, inputs: StepInput) -> "StepOutput":  # type: ignore[override]
        """Generate an instruction or conversation for each row.

        Args:
            inputs: rows, optionally with a ``system_prompt`` column.

        Yields:
            The rows with the output columns.
        """
        yield self._magpie_rows(inputs)


__all__ = ["MAGPIE_MULTI_TURN_SYSTEM_PROMPT", "Magpie", "MagpieBase"]
