"""OpenAI's chat-completions wire format, shared by every SDK that speaks it.

OpenAI, Azure, Anyscale, Together, Groq, Mistral and litellm take the same
``response_format`` and return the same completion shapes; the conversions live
here once.
"""

from typing import Any, Dict, List, Optional, Union

from distilabel.models.llms.outputs import prepare_output
from distilabel.models.structured import JsonSchemaOutput, RegexOutput
from distilabel.typing import GenerateOutput


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


_NO_CHOICES = "the API answered (HTTP 200) with an empty `choices` list: no generation came back"


def _as_json(completion: Any) -> Dict[str, Any]:
    """The completion as its JSON body: answers read over HTTP already are; SDK objects are dumped."""
    if isinstance(completion, dict):
        return completion
    return completion.model_dump()


def _usage(body: Dict[str, Any]) -> tuple:
    usage = body.get("usage") or {}
    return [usage.get("prompt_tokens") or 0], [usage.get("completion_tokens") or 0]


def output_from_chat_completion(completion: Any) -> GenerateOutput:
    """Turn a chat completion (its JSON body, or an SDK object) into a ``GenerateOutput``.

    Also used for batch results, and by the SDKs that return OpenAI's shapes (Groq, litellm).
    """
    body = _as_json(completion)
    generations: List[Optional[str]] = []
    errors: List[Optional[str]] = []
    logprobs: List[Any] = []
    for choice in body.get("choices") or []:
        message = choice.get("message") or {}
        content = message.get("content")
        if content:
            generations.append(content)
            errors.append(None)
        else:
            refusal = message.get("refusal")
            generations.append(None)
            errors.append(
                f"the model refused: {refusal}"
                if refusal
                else f"the model returned an empty completion (finish_reason={choice.get('finish_reason')!r})"
            )
        tokens = (choice.get("logprobs") or {}).get("content")
        if tokens is not None:
            logprobs.append(
                [
                    [{"token": top["token"], "logprob": top["logprob"]} for top in token.get("top_logprobs") or []]
                    or [{"token": token["token"], "logprob": token["logprob"]}]
                    for token in tokens
                ]
            )
    if not generations:
        generations, errors = [None], [_NO_CHOICES]
    input_tokens, output_tokens = _usage(body)
    return prepare_output(generations, input_tokens, output_tokens, logprobs or None, errors)


def output_from_completion(completion: Any) -> GenerateOutput:
    """Turn a (legacy) completion (its JSON body, or an SDK object) into a ``GenerateOutput``."""
    body = _as_json(completion)
    generations: List[Optional[str]] = []
    errors: List[Optional[str]] = []
    logprobs: List[Any] = []
    for choice in body.get("choices") or []:
        text = choice.get("text")
        generations.append(text or None)
        errors.append(None if text else f"the model returned an empty completion (finish_reason={choice.get('finish_reason')!r})")
        top_logprobs = (choice.get("logprobs") or {}).get("top_logprobs")
        if top_logprobs is not None:
            logprobs.append(
                [
                    [{"token": token, "logprob": logprob} for token, logprob in (candidates or {}).items()]
                    for candidates in top_logprobs
                ]
            )
    if not generations:
        generations, errors = [None], [_NO_CHOICES]
    input_tokens, output_tokens = _usage(body)
    return prepare_output(generations, input_tokens, output_tokens, logprobs or None, errors)
