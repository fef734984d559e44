"""Messages for names that do not exist: list the valid ones and the closest match."""

import difflib
from typing import Any, Dict, Iterable, List, Optional, Tuple

from distilabel.errors import DistilabelUserError

NamePath = Tuple[str, ...]


def closest_name(name: str, valid: Iterable[str]) -> Optional[str]:
    """The valid name a typo most likely meant, or ``None`` when nothing is close."""
    matches = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.5)
    return matches[0] if matches else None


def closest_path(name: str, paths: Iterable[NamePath]) -> Optional[NamePath]:
    """The path (e.g. ``("generation_kwargs", "temperature")``) ``name`` most likely meant.

    A path whose last part is exactly ``name`` wins (the shortest, when several);
    otherwise the path whose last part is closest to ``name``.
    """
    paths = sorted(set(paths), key=len)
    for path in paths:
        if path[-1] == name:
            return path
    leaf = closest_name(name, [path[-1] for path in paths])
    return next((path for path in paths if path[-1] == leaf), None) if leaf is not None else None


def nested_example(path: NamePath, value: Any) -> str:
    """How to pass ``value`` at ``path``, as Python source.

    ``("llm", "generation_kwargs", "temperature")``, 0.3 ->
    ``{'llm': {'generation_kwargs': {'temperature': 0.3}}}``.
    """
    text = repr(value)
    for part in reversed(path):
        text = f"{{{part!r}: {text}}}"
    return text


def unknown_name_error(
    what: str,
    name: str,
    valid: Iterable[str],
    where: str = "",
    nested: Optional[Iterable[NamePath]] = None,
    value: Any = ...,
) -> DistilabelUserError:
    """Build the error for an unknown ``what`` called ``name``.

    Args:
        what: what kind of name it is, e.g. "generation kwarg".
        name: the name that was given.
        valid: the names that would have been accepted.
        where: the component it was given to, e.g. "OpenAILLM".
        nested: names that are valid one level or more down, as paths (e.g.
            ``("generation_kwargs", "temperature")``): when ``name`` is (close to) one
            of them, the message says where it goes instead of a look-alike name here.
        value: the value that was given, for the example in the message.
    """
    valid = sorted(valid)
    suffix = f" for {where}" if where else ""
    message = f"Unknown {what} {name!r}{suffix}."
    paths: List[NamePath] = [(v,) for v in valid] + [tuple(p) for p in nested or () if len(p) > 1]
    path = closest_path(name, paths)
    if path is not None and len(path) > 1:
        dotted = ".".join(path)
        example = nested_example(path, value if value is not ... else "...")
        if path[-1] == name:
            message += f" {name!r} goes inside {'.'.join(path[:-1])!r}: pass {example}."
        else:
            message += f" Did you mean {dotted!r}? Pass it as {example}."
    elif path is not None:
        message += f" Did you mean {path[0]!r}?"
    message += f" Valid names: {', '.join(valid) if valid else '(none)'}."
    return DistilabelUserError(message)


def name_paths(names: Dict[str, Any], prefix: NamePath = ()) -> List[NamePath]:
    """Every name in a nested dict of names (e.g. ``runtime_parameters_names``), as paths."""
    paths: List[NamePath] = []
    for key, value in names.items():
        path = (*prefix, key)
        paths.append(path)
        if isinstance(value, dict):
            paths.extend(name_paths(value, path))
    return paths
