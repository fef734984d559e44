"""Build, merge and check ``GenerateOutput`` dicts, the same way for every provider."""

import json
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence

from distilabel.utils.secrets import redact_known
from distilabel.utils.unicode import clean_text, has_lone_surrogates

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
    """One line saying what went wrong, with the provider's message when it has one.

    Secret values the LLMs hold (API keys, credential headers) are replaced by
    ``"**********"``: a provider that echoes the key must not put it into a row's
    error, the run summary or the log (``distilabel.utils.secrets.redact_known``).
    """
    status = getattr(error, "status_code", None)
    text = _provider_message(error) or str(error).strip() or repr(error)
    if _is_sandbox_refusal(error):
        text = f"the template tried something the sandbox forbids (nothing was run): {text}"
    prefix = f"{type(error).__name__}" + (f" (HTTP {status})" if status else "")
    message = redact_known(f"{prefix}: {text}")
    return message if len(message) <= _MAX_ERROR_CHARS else message[:_MAX_ERROR_CHARS] + "..."


def _is_sandbox_refusal(error: BaseException) -> bool:
    """jinja2's ``SecurityError``: a template (e.g. from a shared pipeline.yaml) reached for Python internals."""
    return type(error).__name__ == "SecurityError" and type(error).__module__.startswith("jinja2")


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
    not follow the schema or regex becomes ``None`` and the reason says why. Fewer
    generations than asked for (an HTTP 200 with no choices) fail the missing ones.
    Half of a surrogate pair (an emoji cut at ``max_tokens``) becomes U+FFFD, as no
    file, database or Arrow table can hold it.
    """
    if not isinstance(output, dict) or "generations" not in output:
        return failed_output(num_generations, f"the LLM returned {type(output).__name__}, not a GenerateOutput")
    generations = list(output["generations"] or [])
    errors = list(output.get("errors") or [None] * len(generations))
    errors += [None] * (len(generations) - len(errors))
    missing = num_generations - len(generations)
    if missing > 0:
        failed = [error for text, error in zip(generations, errors, strict=True) if text is None and error]
        # All that came back failed (e.g. one placeholder saying "no choices"): the rest failed alike.
        reason = (
            failed[-1]
            if failed and len(failed) == len(generations)
            else f"the LLM answered with {len(generations)} of the {num_generations} generations asked for"
        )
        generations += [None] * missing
        errors += [reason] * missing
    for i, text in enumerate(generations):
        if text is None or text == "":
            generations[i] = None
            errors[i] = errors[i] or "the model returned an empty completion"
            continue
        if isinstance(text, str) and has_lone_surrogates(text):
            generations[i] = text = clean_text(text)
        if structured is not None and (problem := structured.check(text)) is not None:
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
