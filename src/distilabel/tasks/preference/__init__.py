"""distilabel 0.x's preference (judging) tasks."""

from distilabel.tasks.preference.base import PreferenceTask
from distilabel.tasks.preference.judgelm import JudgeLMTask
from distilabel.tasks.preference.ultrafeedback import UltraFeedbackTask
from distilabel.tasks.preference.ultrajudge import UltraJudgeTask

__all__ = ["JudgeLMTask", "PreferenceTask", "UltraFeedbackTask", "UltraJudgeTask"]
