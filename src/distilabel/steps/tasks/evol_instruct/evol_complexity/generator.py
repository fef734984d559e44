"""``EvolComplexityGenerator``: ``EvolInstructGenerator`` with only the in-depth rewrites."""

from typing import Dict

from distilabel.steps.tasks.evol_instruct.evol_complexity.utils import GENERATION_MUTATION_TEMPLATES
from distilabel.steps.tasks.evol_instruct.generator import EvolInstructGenerator


class EvolComplexityGenerator(EvolInstructGenerator):
    """Generate instructions from nothing, making them harder round after round (Deita).

    The same generation as ``EvolInstructGenerator``, drawing from the fresh start and
    the in-depth rewrites only (no in-breadth rewrite).

    Attributes:
        num_instructions: how many instructions to generate.
        generate_answers: also answer each instruction.
        mutation_templates: name -> mutation prompt with ``<PROMPT>``; must hold ``FRESH_START``.
        min_length: the fewest bytes an accepted instruction has.
        max_length: the most bytes an accepted instruction has.
        seed: the seed of the nouns and mutations drawn.

    Output columns:
        - instruction (`str`): the generated instruction.
        - answer (`str`): its answer (``generate_answers=True``).
        - model_name (`str`): the model that generated it.

    Examples:
        ```python
        from distilabel.steps.tasks import EvolComplexityGenerator

        generator = EvolComplexityGenerator(llm=llm, num_instructions=5, min_length=64)
        ```
    """

    mutation_templates: Dict[str, str] = GENERATION_MUTATION_TEMPLATES


__all__ = ["EvolComplexityGenerator"]
