"""``EvolComplexity``: ``EvolInstruct`` with only the rewrites that make an instruction harder."""

from typing import Dict

from distilabel.steps.tasks.evol_instruct.base import EvolInstruct
from distilabel.steps.tasks.evol_instruct.evol_complexity.utils import MUTATION_TEMPLATES


class EvolComplexity(EvolInstruct):
    """Evolve instructions to make them more complex (Deita's complexity evolution).

    The same evolution as ``EvolInstruct``, drawing only from the in-depth rewrites
    (add a constraint, deepen, concretize, ask for more reasoning steps): every round
    makes the instruction harder instead of sometimes replacing it.

    Attributes:
        num_evolutions: how many times each instruction is rewritten.
        store_evolutions: keep every version instead of only the last.
        generate_answers: also answer the evolved instruction(s).
        include_original_instruction: with ``store_evolutions``, put the original first.
        mutation_templates: name -> mutation prompt, with ``<PROMPT>`` where the instruction goes.
        seed: the seed of the mutation choices.

    Input columns:
        - instruction (`str`): the instruction to evolve.

    Output columns:
        - evolved_instruction (`str`) or evolved_instructions (`List[str]`): the evolved instruction(s).
        - answer (`str`) or answers (`List[str]`): with ``generate_answers=True``.
        - model_name (`str`): the model that evolved them.

    Examples:
        ```python
        from distilabel.steps.tasks import EvolComplexity

        evol = EvolComplexity(llm=llm, num_evolutions=2)
        evol.load()
        rows = next(evol.process([{"instruction": "Sort a list in Python."}]))
        ```
    """

    mutation_templates: Dict[str, str] = MUTATION_TEMPLATES


__all__ = ["EvolComplexity"]
