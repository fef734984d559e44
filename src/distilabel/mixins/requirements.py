"""``RequirementsMixin``: the pip requirements a step or a pipeline needs.

A step declares them with ``@requirements([...])`` (``distilabel.utils.requirements``);
a pipeline's requirements are its own plus those of its steps, are written in its
dump, and are checked before it runs.
"""

import logging
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Iterable, List, Union

from packaging.requirements import InvalidRequirement, Requirement

_logger = logging.getLogger("distilabel.requirements")


class RequirementsMixin:
    """Holds a sorted, de-duplicated list of pip requirements (``"numpy>=1.26"``).

    ``requirements`` reads as a list of strings; assigning adds to what is there
    (an invalid requirement is logged and left out). Subclasses that gather the
    requirements of their parts (a pipeline, of its steps) override
    ``_gather_requirements``.
    """

    def _gather_requirements(self) -> List[str]:
        return []

    def _own_requirements(self) -> List[Requirement]:
        from distilabel.utils.requirements import CLASS_REQUIREMENTS_ATTR

        # Those of the class (``@requirements``), then those given to the instance.
        return [
            *_parse(getattr(type(self), CLASS_REQUIREMENTS_ATTR, [])),
            *(getattr(self, "_requirements", None) or []),
        ]

    @property
    def requirements(self) -> List[str]:
        """The requirements, sorted, with those of the parts (e.g. a pipeline's steps)."""
        merged = {str(r): r for r in self._own_requirements()}
        for requirement in _parse(self._gather_requirements()):
            merged.setdefault(str(requirement), requirement)
        return sorted(merged)

    @requirements.setter
    def requirements(self, requirements: Union[str, Iterable[str], None]) -> None:
        if requirements is None:
            requirements = []
        elif isinstance(requirements, str):
            requirements = [requirements]
        merged = {str(r): r for r in self._own_requirements()}
        for requirement in _parse(requirements):
            merged.setdefault(str(requirement), requirement)
        # object.__setattr__: pydantic models keep it as a plain attribute, not a field.
        object.__setattr__(self, "_requirements", [merged[key] for key in sorted(merged)])

    def requirements_to_install(self) -> List[str]:
        """The requirements that the installed packages do not satisfy (missing, or the wrong version)."""
        missing = []
        for text in self.requirements:
            requirement = Requirement(text)
            try:
                installed = version(requirement.name)
            except PackageNotFoundError:
                missing.append(text)
                continue
            if requirement.specifier and not requirement.specifier.contains(installed, prereleases=True):
                missing.append(text)
        return missing


def _parse(requirements: Iterable[Any]) -> List[Requirement]:
    parsed = []
    for text in requirements:
        try:
            parsed.append(text if isinstance(text, Requirement) else Requirement(str(text)))
        except InvalidRequirement:
            _logger.warning("Invalid requirement %r: it is left out.", text)
    return parsed


__all__ = ["RequirementsMixin"]
