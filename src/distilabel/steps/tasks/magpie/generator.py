"""``MagpieGenerator``: Magpie as the first step of a pipeline, making ``num_rows`` rows."""

from typing import TYPE_CHECKING, Any, Dict, Optional

from pydantic import Field

from distilabel.errors import DistilabelUserError
from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.models.mixins.magpie import enable_magpie_template
from distilabel.steps.tasks.base import GeneratorTask
from distilabel.steps.tasks.magpie.base import MagpieBase

if TYPE_CHECKING:
    from distilabel.typing.steps import GeneratorStepOutput, StepColumns


class MagpieGenerator(GeneratorTask, MagpieBase):
    """Generate ``num_rows`` instructions or conversations from nothing, with Magpie.

    The same method as ``Magpie`` (see there), with no input rows: each row starts
    from the ``system_prompt`` field (drawn per row when it is a list or dict) or from
    nothing at all.

    Attributes:
        n_turns, end_with_user, include_system_prompt, only_instruction, system_prompt:
            as in ``Magpie`` (a ``system_prompt`` list or dict is drawn from per row).
        num_rows: how many rows to generate (a runtime parameter; required).

    Output columns (as ``Magpie``'s):
        - instruction (`str`), response (`str`): the first user message and its answer
            (``n_turns=1``; ``instruction`` alone with ``only_instruction=True``).
        - conversation (`ChatType`): the messages (``n_turns > 1``).
        - system_prompt_key (`str`): the name of the system prompt drawn (``system_prompt`` a dict).
        - model_name (`str`): the model that generated them.

    Examples:
        ```python
        from distilabel.models.llms import LlamaCppLLM
        from distilabel.steps.tasks import MagpieGenerator

        generator = MagpieGenerator(
            llm=LlamaCppLLM(magpie_pre_query_template="<|im_start|>user\\n"),
            only_instruction=True,
            num_rows=4,
            system_prompt={"math": ("You help with algebra.", 0.7), "cooking": ("You are a chef.", 0.3)},
        )
        generator.load()
        rows, last = next(generator.process())
        # rows[0] == {"instruction": "...", "system_prompt_key": "math", "model_name": ..., ...}
        ```
    """

    num_rows: RuntimeParameter[int] = Field(default=None, description="The number of rows to generate.")

    def model_post_init(self, context: Any) -> None:
        super().model_post_init(context)
        enable_magpie_template(self.llm, type(self).__name__)

    @property
    def outputs(self) -> "StepColumns":
        return self._magpie_outputs()

    @property
    def total_rows(self) -> Optional[int]:
        return self.num_rows

    def format_output(self, output: Optional[str], input: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """Magpie builds its columns turn by turn in ``process``; nothing to parse."""
        return {}

    def process(self, offset: int = 0) -> "GeneratorStepOutput":
        """Generate the rows, ``batch_size`` at a time.

        Args:
            offset: how many rows were already generated (they are not made again).

        Yields:
            ``(rows, is_last_batch)``.
        """
        if self.num_rows is None or self.num_rows < 0:
            raise DistilabelUserError(
                f"MagpieGenerator {self.name!r} needs `num_rows`, the number of rows to generate"
                f" (got {self.num_rows!r})."
            )
        self._reset_draws()
        produced = min(offset, self.num_rows)
        if produced >= self.num_rows:
            yield [], True
            return
        while produced < self.num_rows:
            count = min(max(self.batch_size or 1, 1), self.num_rows - produced)
            rows = self._magpie_rows([{} for _ in range(count)])
            produced += count
            yield rows, produced >= self.num_rows


__all__ = ["MagpieGenerator"]
