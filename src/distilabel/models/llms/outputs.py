"""Build, merge and check ``GenerateOutput`` dicts, the same way for every provider."""

import json
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence

if TYPE_CHECKING:
    from distilabel.models.structured import StructuredOutput
    from distilabel.typing import GenerateOutput, LLMLogprobs

_MAX_ERROR_CHARS = 2000


def prepare_output(
    generations: List[Optional[str]],
    input_tokens: Optional[List[int]] = None,
    output_tokens: Optional[List[int]] = None,
    logprobs: Optional["LLMLogprobs"] = None,
    errors: Optional[List[Optional[str]]] = None,
) -> "GenerateOutput":
    """Assemble a ``GenerateOutput``.

    Args:
        generations: the generated texts; ``None`` for a generation that failed.
        input_tokens: prompt tokens, one entry per request made.
        output_tokens: generated tokens, one entry per request made.
        logprobs: per generation, per token, the top candidates with their logprobs.
        errors: why each ``None`` generation failed, aligned with ``generations``.
    """
    output: Dict[str, Any] = {
        "generations": generations,
        "statistics": {"input_tokens": input_tokens or [], "output_tokens": output_tokens or []},
    }
    if logprobs:
        output["logprobs"] = logprobs
    if errors and any(error is not None for error in errors):
        output["errors"] = errors
    return output  # type: ignore[return-value]


def describe_error(error: BaseException) -> str:
    """One line saying what went wrong, with the provider's message when it has one."""
    status = getattr(error, "status_code", None)
    text = _provider_message(error) or str(error).strip() or repr(error)
    prefix = f"{type(error).__name__}" + (f" (HTTP {status})" if status else "")
    message = f"{prefix}: {text}"
    return message if len(message) <= _MAX_ERROR_CHARS else message[:_MAX_ERROR_CHARS] + "..."


def _provider_message(error: BaseException) -> Optional[str]:
    """The message inside an SDK error's JSON body (``{"error": {"message": ...}}`` and kin)."""
    body = getattr(error, "body", None)
    if isinstance(body, (str, bytes)):
        try:
            body = json.loads(body)
        except ValueError:
            return None
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
        if isinstance(message, str) and message.strip():
            return message.strip()
    return None


def failed_output(num_generations: int, reason: str) -> "GenerateOutput":
    """The output of a request that failed: ``None`` generations, each with the reason."""
    return prepare_output([None] * num_generations, [0], [0], errors=[reason] * num_generations)


def merge_outputs(outputs: Sequence["GenerateOutput"]) -> "GenerateOutput":
    """Merge the outputs of several requests for the same input (``num_generations`` fan-out)."""
    generations: List[Optional[str]] = []
    errors: List[Optional[str]] = []
    logprobs: List[Any] = []
    statistics: Dict[str, List[Any]] = {}
    for output in outputs:
        generations.extend(output["generations"])
        errors.extend(output.get("errors") or [None] * len(output["generations"]))
        logprobs.extend(output.get("logprobs") or [])
        for key, values in (output.get("statistics") or {}).items():
            statistics.setdefault(key, []).extend(values if isinstance(values, list) else [values])
    merged: Dict[str, Any] = {"generations": generations, "statistics": statistics}
    if logprobs:
        merged["logprobs"] = logprobs
    if any(error is not None for error in errors):
        merged["errors"] = errors
    return merged  # type: ignore[return-value]


def finalize_output(
    output: Any, num_generations: int, structured: Optional["StructuredOutput"] = None
) -> "GenerateOutput":
    """Normalise an output and record why each missing or invalid generation failed.

    Empty generations become ``None``; with structured output, a generation that does
    not follow the schema or regex becomes ``None`` and the reason says why.
    """
    if not isinstance(output, dict) or "generations" not in output:
        return failed_output(num_generations, f"the LLM returned {type(output).__name__}, not a GenerateOutput")
    generations = list(output["generations"])
    errors = list(output.get("errors") or [None] * len(generations))
    errors += [None] * (len(generations) - len(errors))
    for i, text in enumerate(generations):
        if text is None or text == "":
            generations[i] = None
            errors[i] = errors[i] or "the model returned an empty completion"
        elif structured is not None and (problem := structured.check(text)) is not None:
            generations[i] = None
            errors[i] = errors[i] or f"{problem}; raw output: {text[:500]!r}"
    result = dict(output)
    result["generations"] = generations
    result.setdefault("statistics", {"input_tokens": [], "output_tokens": []})
    if any(error is not None for error in errors):
        result["errors"] = errors
    else:
        result.pop("errors", None)
    return result  # type: ignore[return-value]
