"""EvolComplexity's mutations: Evol-Instruct's in-depth rewrites, without the in-breadth one
(Liu et al., "What Makes Good Data for Alignment?", 2023, https://arxiv.org/abs/2312.15685)."""

from typing import Dict

from distilabel.steps.tasks.evol_instruct.utils import GENERATION_MUTATION_TEMPLATES as _GENERATION
from distilabel.steps.tasks.evol_instruct.utils import MUTATION_TEMPLATES as _MUTATIONS

_IN_DEPTH = ("CONSTRAINTS", "DEEPENING", "CONCRETIZING", "INCREASED_REASONING_STEPS")

MUTATION_TEMPLATES: Dict[str, str] = {name: _MUTATIONS[name] for name in _IN_DEPTH}
GENERATION_MUTATION_TEMPLATES: Dict[str, str] = {
    name: _GENERATION[name] for name in ("FRESH_START", *_IN_DEPTH)
}

__all__ = ["GENERATION_MUTATION_TEMPLATES", "MUTATION_TEMPLATES"]
