"""``Task``: what a distilabel 0.x task is: a prompt builder and an answer parser.

In 0.x an ``LLM`` holds a task: for each input dict it calls
``task.generate_prompt(**input)`` and, on each answer, ``task.parse_output(text)``.
The concrete tasks are pydantic dataclasses, as 0.x's were dataclasses: keyword or
positional arguments, validated, and a subclass may still be a ``@dataclass``.
"""

from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, List, Optional, Union

from distilabel.errors import DistilabelUserError
from distilabel.tasks._deprecation import warn_legacy
from distilabel.utils.template import compile_template, package_template

if TYPE_CHECKING:
    from jinja2.environment import Template

    from distilabel.tasks.prompt import ChatCompletion, Prompt


class Task(ABC):
    """The base of distilabel 0.x tasks.

    A subclass implements ``generate_prompt`` (returning a ``Prompt``, or a prompt
    already formatted for one model), ``parse_output``, ``input_args_names`` (the keys
    each input dict must have) and ``output_args_names`` (the keys ``parse_output``
    returns).

    A subclass that renders its prompt from a Jinja template sets
    ``__jinja2_template__`` to the template's file path and uses ``self.template``;
    the template is compiled in distilabel's sandbox. Tasks shipped here name a
    packaged template with ``_template_name`` instead.
    """

    __jinja2_template__: ClassVar[Optional[str]] = None
    __type__: ClassVar[Optional[str]] = None

    # The distilabel 1.x class that replaces this one, named in the DeprecationWarning.
    _modern_equivalent: ClassVar[str] = "a task from distilabel.steps.tasks"
    # A template shipped in distilabel/steps/tasks/templates/.
    _template_name: ClassVar[Optional[str]] = None

    def __post_init__(self) -> None:
        warn_legacy(f"distilabel.tasks.{type(self).__name__}", self._modern_equivalent)

    @property
    def template(self) -> "Template":
        """The task's Jinja template, compiled in the sandbox."""
        if self._template_name is not None:
            return compile_template(package_template(self._template_name))
        if self.__jinja2_template__ is None:
            raise DistilabelUserError(
                f"{type(self).__name__} has no template: set `__jinja2_template__` to the path of a"
                " .jinja2 file, or build the prompt in `generate_prompt` without one."
            )
        return compile_template(Path(self.__jinja2_template__).read_text(encoding="utf-8"))

    @abstractmethod
    def generate_prompt(self, **kwargs: Any) -> Union["Prompt", str, List["ChatCompletion"]]:
        """The prompt for one input; its keyword arguments are ``input_args_names``."""

    @abstractmethod
    def parse_output(self, output: str) -> Any:
        """The structured result read from one answer of the model.

        Raises:
            ValueError: the answer does not follow the format the task asked for.
        """

    @property
    @abstractmethod
    def input_args_names(self) -> List[str]:
        """The keys each input dict must have."""

    @property
    @abstractmethod
    def output_args_names(self) -> List[str]:
        """The keys of what ``parse_output`` returns."""

    def validate_dataset(self, columns_in_dataset: List[str]) -> None:
        """Check that a dataset has every column the task reads.

        Raises:
            KeyError: a column named in ``input_args_names`` is missing.
        """
        missing = [name for name in self.input_args_names if name not in columns_in_dataset]
        if missing:
            raise KeyError(
                f"{type(self).__name__} reads the column(s) {missing}, which the dataset does not have"
                f" (its columns: {list(columns_in_dataset)})."
            )


__all__ = ["Task"]
