"""Jinja2 templates, always rendered in a sandbox.

A template may come from anyone: a shared ``pipeline.yaml`` sets ``TextGeneration.template``,
and a plain ``jinja2.Environment`` lets ``{{ cycler.__init__.__globals__.os.popen('id') }}``
run shell commands. ``ImmutableSandboxedEnvironment`` refuses attribute access to
internals and calls that mutate, so every template in the package is compiled here.
"""

from functools import lru_cache
from importlib import resources
from typing import Any, Dict, FrozenSet, List

from jinja2 import StrictUndefined, Undefined, meta
from jinja2.environment import Template
from jinja2.sandbox import ImmutableSandboxedEnvironment

_TEMPLATES_PACKAGE = "distilabel.steps.tasks"


@lru_cache(maxsize=2)
def sandboxed_environment(strict: bool = True) -> ImmutableSandboxedEnvironment:
    """The shared sandboxed environment.

    Args:
        strict: raise on a variable the template uses but the render call does not
            give (``StrictUndefined``); ``False`` renders it as empty, for templates
            with optional parts such as ``{% if system_prompt %}``.
    """
    undefined: Any = StrictUndefined if strict else Undefined
    return ImmutableSandboxedEnvironment(undefined=undefined, keep_trailing_newline=False, autoescape=False)


@lru_cache(maxsize=512)
def compile_template(source: str, strict: bool = True) -> Template:
    """Compile ``source`` in the sandbox (cached: rows share their templates)."""
    return sandboxed_environment(strict).from_string(source)


def render_template(source: str, strict: bool = True, **values: Any) -> str:
    """Render ``source`` with ``values`` in the sandbox."""
    return compile_template(source, strict).render(**values)


def template_variables(source: str) -> FrozenSet[str]:
    """The variables ``source`` reads from its render call."""
    return frozenset(meta.find_undeclared_variables(sandboxed_environment().parse(source)))


def check_column_in_template(
    column: str, template: str, page: str = "components-gallery/tasks/textgeneration/"
) -> None:
    """Raise unless ``template`` uses the variable ``column`` (``{{ column }}``, or in a ``{% ... %}`` tag).

    Args:
        column: the column a task reads.
        template: the Jinja template the user gave.
        page: the documentation page the error points to.

    Raises:
        DistilabelUserError: the template does not use ``column``, so its value would never reach the prompt.
    """
    from distilabel.errors import DistilabelUserError

    if column not in template_variables(template):
        raise DistilabelUserError(
            f"The column {column!r} is not used by the template: name it in the template (e.g."
            f" {{{{ {column} }}}}) or leave it out of `columns`.",
            page=page,
        )


@lru_cache(maxsize=256)
def package_template(name: str) -> str:
    """The text of a template shipped in ``distilabel/steps/tasks/templates/`` (e.g. ``"ultrafeedback/honesty.jinja2"``)."""
    path = resources.files(_TEMPLATES_PACKAGE).joinpath("templates", *name.split("/"))
    return path.read_text(encoding="utf-8")



def user_prompt(name: str, **values: Any) -> List[Dict[str, str]]:
    """A one-message conversation: the package template ``name`` rendered with ``values``, as the user."""
    return [{"role": "user", "content": render_template(package_template(name), **values)}]


__all__ = [
    "check_column_in_template",
    "compile_template",
    "package_template",
    "render_template",
    "sandboxed_environment",
    "template_variables",
    "user_prompt",
]
