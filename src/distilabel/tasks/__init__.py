"""distilabel 0.x's tasks: ``from distilabel.tasks import TextGenerationTask``.

Kept so that 0.x code runs unchanged; each class warns (``DeprecationWarning``) and
names its distilabel 1.x equivalent in ``distilabel.steps.tasks``. See
docs/legacy_0x.md.
"""

from distilabel.tasks.base import Task
from distilabel.tasks.preference import (
    JudgeLMTask,
    PreferenceTask,
    UltraFeedbackTask,
    UltraJudgeTask,
)
from distilabel.tasks.prompt import ChatCompletion, Prompt, SupportedFormats
from distilabel.tasks.text_generation import (
    Llama2TextGenerationTask,
    OpenAITextGenerationTask,
    SelfInstructTask,
    TextGenerationTask,
)

__all__ = [
    "ChatCompletion",
    "JudgeLMTask",
    "Llama2TextGenerationTask",
    "OpenAITextGenerationTask",
    "PreferenceTask",
    "Prompt",
    "SelfInstructTask",
    "SupportedFormats",
    "Task",
    "TextGenerationTask",
    "UltraFeedbackTask",
    "UltraJudgeTask",
]
