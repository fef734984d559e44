"""OpenAI's chat-completions wire format, shared by every SDK that speaks it.

OpenAI, Azure, Anyscale, Together, Groq, Mistral and litellm take the same
``response_format`` and return the same completion shapes; the conversions live
here once.
"""

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from distilabel.models.llms.outputs import prepare_output
from distilabel.models.structured import JsonSchemaOutput, RegexOutput
from distilabel.typing import GenerateOutput

if TYPE_CHECKING:
    from openai.types import Completion
    from openai.types.chat import ChatCompletion


def response_format_for(
    response_format: Optional[Union[str, Dict[str, Any]]], structured: Any
) -> Optional[Dict[str, Any]]:
    """The ``response_format`` to send: structured output wins over JSON mode."""
    if isinstance(structured, JsonSchemaOutput):
        return {
            "type": "json_schema",
            "json_schema": {"name": structured.name, "schema": structured.schema, "strict": is_strict_schema(structured.schema)},
        }
    if isinstance(structured, RegexOutput):
        # OpenAI has no regex constraint; the answer is still checked against the pattern.
        return None
    if isinstance(response_format, str):
        if response_format in ("json", "json_object"):
            return {"type": "json_object"}
        if response_format == "text":
            return {"type": "text"}
        raise ValueError(f"response_format must be 'json', 'text' or a dict, got {response_format!r}")
    return response_format


def is_strict_schema(schema: Any) -> bool:
    """Whether OpenAI's strict mode accepts ``schema``: every object closed, every property required."""
    if isinstance(schema, dict):
        if schema.get("type") == "object" or "properties" in schema:
            properties = schema.get("properties", {})
            if schema.get("additionalProperties") is not False or set(schema.get("required", [])) != set(properties):
                return False
        return all(is_strict_schema(value) for key, value in schema.items() if key not in ("enum", "const", "default"))
    if isinstance(schema, list):
        return all(is_strict_schema(item) for item in schema)
    return True


def _usage(completion: Any) -> tuple:
    usage = getattr(completion, "usage", None)
    if usage is None:
        return [0], [0]
    return [usage.prompt_tokens or 0], [usage.completion_tokens or 0]


def output_from_chat_completion(completion: "ChatCompletion") -> GenerateOutput:
    """Turn a chat completion into a ``GenerateOutput`` (also used for batch results)."""
    generations: List[Optional[str]] = []
    errors: List[Optional[str]] = []
    logprobs: List[Any] = []
    for choice in completion.choices:
        message = choice.message
        content = message.content if message is not None else None
        if content:
            generations.append(content)
            errors.append(None)
        else:
            refusal = getattr(message, "refusal", None)
            generations.append(None)
            errors.append(
                f"the model refused: {refusal}"
                if refusal
                else f"the model returned an empty completion (finish_reason={choice.finish_reason!r})"
            )
        # litellm's choices have no `logprobs` attribute at all when none were asked for.
        choice_logprobs = getattr(choice, "logprobs", None)
        if choice_logprobs is not None and choice_logprobs.content is not None:
            logprobs.append(
                [
                    [{"token": top.token, "logprob": top.logprob} for top in token.top_logprobs]
                    or [{"token": token.token, "logprob": token.logprob}]
                    for token in choice_logprobs.content
                ]
            )
    input_tokens, output_tokens = _usage(completion)
    return prepare_output(generations, input_tokens, output_tokens, logprobs or None, errors)


def output_from_completion(completion: "Completion") -> GenerateOutput:
    generations: List[Optional[str]] = []
    errors: List[Optional[str]] = []
    logprobs: List[Any] = []
    for choice in completion.choices:
        generations.append(choice.text or None)
        errors.append(None if choice.text else f"the model returned an empty completion (finish_reason={choice.finish_reason!r})")
        if choice.logprobs is not None and choice.logprobs.top_logprobs is not None:
            logprobs.append(
                [
                    [{"token": token, "logprob": logprob} for token, logprob in (candidates or {}).items()]
                    for candidates in choice.logprobs.top_logprobs
                ]
            )
    input_tokens, output_tokens = _usage(completion)
    return prepare_output(generations, input_tokens, output_tokens, logprobs or None, errors)
