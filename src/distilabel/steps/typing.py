"""Types of what steps take and yield: ``from distilabel.steps.typing import StepOutput``."""

from distilabel.typing.steps import GeneratorStepOutput, StepColumns, StepOutput

__all__ = ["GeneratorStepOutput", "StepColumns", "StepOutput"]
