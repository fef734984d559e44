"""The mutation prompts of Evol-Instruct and the evolution loop the Evol tasks share.

A mutation template is a prompt with ``<PROMPT>`` where the instruction goes (and
``<RESPONSE>`` for response rewrites); the placeholders are replaced literally, never
rendered, so instructions may hold any text. The built-in prompts are written for
this project from the method of Xu et al., "WizardLM: Empowering Large Language
Models to Follow Complex Instructions" (2023, https://arxiv.org/abs/2304.12244):
four in-depth rewrites (add a constraint, deepen, concretize, ask for more
reasoning steps) and one in-breadth rewrite (a new prompt from the same domain);
the generator starts from a question written around a few random nouns.
"""

import random
from functools import lru_cache
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    ClassVar,
    Dict,
    List,
    Optional,
    Sequence,
    Tuple,
    Union,
)

from pydantic import field_validator

from distilabel.utils.template import package_template, render_template

if TYPE_CHECKING:
    from distilabel.typing import ChatType, GenerateOutput

PROMPT_PLACEHOLDER = "<PROMPT>"
RESPONSE_PLACEHOLDER = "<RESPONSE>"
# Both rewrite prompts end with a "...Prompt#:" header; models often repeat it.
_ANSWER_MARKER = "Prompt#:"


def _in_depth(method: str) -> str:
    return render_template(package_template("evol_instruct/in_depth.jinja2"), method=method)


IN_BREADTH_TEMPLATE = render_template(package_template("evol_instruct/in_breadth.jinja2"))
FRESH_START_TEMPLATE = render_template(package_template("evol_instruct/fresh_start.jinja2"))

MUTATION_TEMPLATES: Dict[str, str] = {
    "CONSTRAINTS": _in_depth("add one more constraint or requirement to the prompt."),
    "DEEPENING": _in_depth("if the prompt asks about a particular issue, ask about it more deeply and more broadly."),
    "CONCRETIZING": _in_depth("replace general concepts with more specific ones."),
    "INCREASED_REASONING_STEPS": _in_depth(
        "if a few simple steps of thinking are enough to answer the prompt, rewrite it so that it"
        " explicitly asks for reasoning in several steps."
    ),
    "BREADTH": IN_BREADTH_TEMPLATE,
}
"""EvolInstruct's mutations: the in-depth rewrites and the in-breadth one."""

GENERATION_MUTATION_TEMPLATES: Dict[str, str] = {"FRESH_START": FRESH_START_TEMPLATE, **MUTATION_TEMPLATES}
"""EvolInstructGenerator's mutations: a fresh start from random nouns, then the same rewrites."""


def apply_mutation(template: str, prompt: str, response: Optional[str] = None) -> str:
    """``template`` with the instruction (and the response) put in its placeholders."""
    text = template.replace(PROMPT_PLACEHOLDER, prompt)
    if response is not None:
        text = text.replace(RESPONSE_PLACEHOLDER, response)
    return text


def parse_evolved_instruction(text: str) -> str:
    """The rewritten instruction: what follows the last ``...Prompt#:`` header, trimmed."""
    return text.split(_ANSWER_MARKER)[-1].strip()


def row_random(seed: Optional[int], *texts: Optional[str]) -> random.Random:
    """A random generator for one row, from ``seed`` and the row's texts.

    Each row draws its mutations from its own generator, so the same row and seed get
    the same mutations whatever batch, order or run it comes in (and a rerun asks the
    LLM, or the response cache, exactly the same questions).
    """
    material = "\x1f".join([str(seed), *(text or "" for text in texts)])
    return random.Random(material)


@lru_cache(maxsize=1)
def english_nouns() -> List[str]:
    """Common English nouns, the seed words of fresh-start prompts."""
    lines = package_template("evol_instruct/english_nouns.txt").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def check_mutation_templates(templates: Dict[str, str], required: Sequence[str] = ()) -> Dict[str, str]:
    """Raise a clear error for an empty set of templates or a missing required one."""
    from distilabel.errors import DistilabelUserError

    if not templates:
        raise DistilabelUserError("`mutation_templates` must hold at least one template.")
    missing = [name for name in required if name not in templates]
    if missing:
        raise DistilabelUserError(f"`mutation_templates` needs the templates {missing} (it has {sorted(templates)}).")
    return templates


class MutationTemplatesMixin:
    """For the Evol tasks: ``mutation_templates`` checked when set, and listed by name.

    ``_required_templates`` names the templates a task cannot do without.
    """

    _required_templates: ClassVar[Tuple[str, ...]] = ()

    @field_validator("mutation_templates", mode="after")
    @classmethod
    def _check_templates(cls, value: Dict[str, str]) -> Dict[str, str]:
        return check_mutation_templates(value, required=cls._required_templates)

    @property
    def mutation_templates_names(self) -> List[str]:
        """The names of the mutation templates."""
        return list(self.mutation_templates)  # type: ignore[attr-defined]


def one_message(input: Union[str, Dict[str, Any]]) -> "ChatType":
    """A prompt (or a row's ``instruction``) as a one-message user conversation."""
    text = input["instruction"] if isinstance(input, dict) else input
    return [{"role": "user", "content": str(text)}]


def evolution_columns(
    versions: Optional[Sequence[Optional[str]]], every: str, last: str, store_evolutions: bool
) -> Dict[str, Any]:
    """The output column of a row's versions: every version under ``every`` when
    ``store_evolutions``, else only the last one (``None`` without any) under ``last``."""
    if store_evolutions:
        return {every: versions}
    return {last: versions[-1] if versions else None}


class Chain:
    """One text being evolved: its versions, token counts, raw outputs, and why it stopped."""

    __slots__ = ("error", "raw_outputs", "statistics", "texts")

    def __init__(self, start: str) -> None:
        self.texts: List[str] = [start]
        self.statistics: Dict[str, List[int]] = {"input_tokens": [], "output_tokens": []}
        self.raw_outputs: List[Optional[str]] = []
        self.error: Optional[str] = None

    def record(self, output: "GenerateOutput") -> Optional[str]:
        """Count an output's tokens and keep its text; returns the text (``None`` if it failed)."""
        add_statistics(self.statistics, output)
        text = (output.get("generations") or [None])[0]
        self.raw_outputs.append(text)
        if text is None:
            self.error = (output.get("errors") or ["the LLM returned no generation"])[0]
        return text

    def write_metadata(
        self, metadata: Dict[str, Any], statistics_key: str, step_name: str, add_raw_output: bool
    ) -> None:
        """Put the chain's token counts in a row's metadata under ``statistics_key`` and,
        when it stopped on a failure, the reason (and the raw outputs when asked)."""
        metadata[statistics_key] = self.statistics
        if self.error is not None:
            metadata[f"error_{step_name}"] = self.error
            if add_raw_output:
                metadata[f"raw_output_{step_name}"] = self.raw_outputs


def add_statistics(statistics: Dict[str, List[int]], output: "GenerateOutput") -> None:
    """Append an output's token counts to ``statistics``."""
    for key, values in (output.get("statistics") or {}).items():
        values = values if isinstance(values, list) else [values]
        statistics.setdefault(key, []).extend(v for v in values if isinstance(v, int))


def evolve(
    generate: Callable[[List["ChatType"]], List["GenerateOutput"]],
    chains: List[Optional[Chain]],
    rounds: int,
    prompt_for: Callable[[int, str], str],
    parse: Callable[[str], str],
    what: str,
) -> None:
    """Evolve every chain ``rounds`` times, in place; a failed rewrite stops its chain.

    Args:
        generate: sends conversations to the LLM (one output per conversation).
        chains: one chain per row (``None`` for a row that has nothing to evolve).
        rounds: how many rewrites to make.
        prompt_for: the mutation prompt for chain ``i`` given its latest text.
        parse: the new text from the LLM's raw output.
        what: what is evolved, for error messages ("instruction", "response").
    """
    for round_number in range(rounds):
        active = [i for i, chain in enumerate(chains) if chain is not None and chain.error is None]
        if not active:
            return
        prompts: List[ChatType] = [
            [{"role": "user", "content": prompt_for(i, chains[i].texts[-1])}]  # type: ignore[union-attr,list-item]
            for i in active
        ]
        for i, output in zip(active, generate(prompts), strict=True):
            chain: Any = chains[i]
            text = chain.record(output)
            if text is None:
                chain.error = f"evolution {round_number + 1} failed: {chain.error}"
                continue
            evolved = parse(text)
            if not evolved:
                chain.error = f"evolution {round_number + 1} gave an empty {what}; raw output: {text[:500]!r}"
                continue
            chain.texts.append(evolved)


__all__ = [
    "FRESH_START_TEMPLATE",
    "GENERATION_MUTATION_TEMPLATES",
    "IN_BREADTH_TEMPLATE",
    "MUTATION_TEMPLATES",
    "Chain",
    "apply_mutation",
    "check_mutation_templates",
    "english_nouns",
    "evolve",
    "parse_evolved_instruction",
    "row_random",
]
