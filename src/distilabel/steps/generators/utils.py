"""``make_generator_step`` at distilabel 1.5's module path; it is defined in ``distilabel.steps.generators.data``."""

from distilabel.steps.generators.data import make_generator_step

__all__ = ["make_generator_step"]
