"""Anthropic's Claude models through the official ``anthropic`` SDK (Messages API).

The Messages API has no ``n``: ``num_generations`` fans out into that many requests.
Structured output uses tool use: the schema becomes the ``input_schema`` of one tool
the model is forced to call, and the tool's input is returned as JSON text.
"""

import json
from typing import TYPE_CHECKING, Any, ClassVar, Dict, List, Optional, Tuple

from pydantic import Field, PositiveFloat, SecretStr, validate_call

from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.models.llms.base import AsyncLLM
from distilabel.models.llms.outputs import prepare_output
from distilabel.models.llms.provider import (
    MODEL_FIELD_NAME,
    ProviderClient,
    RunOnly,
    Secret,
    stainless_factory,
    structured_output_field,
)
from distilabel.models.structured import JsonSchemaOutput
from distilabel.typing import FormattedInput, GenerateOutput, InstructorStructuredOutputType

if TYPE_CHECKING:
    from anthropic.types import Message

_CLIENT = ProviderClient(
    sdk="anthropic",
    api_key_env="ANTHROPIC_API_KEY",
    base_url_env="ANTHROPIC_BASE_URL",
    default_base_url="https://api.anthropic.com",
    factory=stainless_factory("anthropic", "AsyncAnthropic"),
)


class AnthropicLLM(AsyncLLM):
    """Anthropic's Claude models, through the async client of the ``anthropic`` SDK.

    Any model name is accepted, including models newer than the installed SDK.
    System messages are sent as the request's ``system`` prompt.

    Attributes:
        model: the model name, e.g. ``"claude-3-5-sonnet-20241022"``.
        base_url: the API's base URL; defaults to ``ANTHROPIC_BASE_URL`` or
            ``https://api.anthropic.com``.
        api_key: the API key; defaults to the ``ANTHROPIC_API_KEY`` environment variable.
        timeout: seconds to wait for a response. Defaults to `600.0`.
        max_retries: retries of a request that hit a rate limit, server error or timeout.
            Defaults to `6`.
        http_client: an ``httpx``-compatible async client to send requests with instead
            of the SDK's default (not serialized).
        structured_output: a JSON schema or pydantic model every answer must follow, as
            ``{"schema": Model}``; the model answers by calling a tool with that schema.

    Examples:
        >>> llm = AnthropicLLM(model="claude-3-5-sonnet-20241022")
        >>> llm.load()
        >>> llm.generate_outputs([[{"role": "user", "content": "Hello!"}]])
    """

    model: str
    base_url: Optional[RuntimeParameter[str]] = _CLIENT.base_url_field(
        "The base URL to use for the Anthropic API."
    )
    api_key: Secret[Optional[RuntimeParameter[SecretStr]]] = _CLIENT.api_key_field(
        "The API key to authenticate the requests to the Anthropic API."
    )
    timeout: RunOnly[RuntimeParameter[PositiveFloat]] = Field(
        default=600.0,
        description="The maximum time in seconds to wait for a response from the API.",
    )
    http_client: RunOnly[Optional[Any]] = Field(default=None, exclude=True)
    structured_output: Optional[RuntimeParameter[InstructorStructuredOutputType]] = structured_output_field()

    _provider_client: ClassVar[ProviderClient] = _CLIENT
    _num_generations_param_supported: ClassVar[bool] = False

    model_name = MODEL_FIELD_NAME

    @validate_call
    async def agenerate(  # type: ignore[override]
        self,
        input: FormattedInput,
        num_generations: int = 1,
        max_tokens: int = 128,
        stop_sequences: Optional[List[str]] = None,
        temperature: Optional[float] = None,
        top_p: Optional[float] = None,
        top_k: Optional[int] = None,
    ) -> GenerateOutput:
        """Generate one answer for one input (``num_generations`` fans out into requests).

        Args:
            input: a conversation, or a (conversation, structured output) pair.
            num_generations: how many answers to generate; the API has no ``n``, so each
                one is a separate request.
            max_tokens: the maximum number of tokens to generate. Defaults to `128`.
            stop_sequences: custom sequences that stop the generation when produced.
            temperature: sampling temperature between 0 and 1; the API's default (1.0)
                when not set. Set it or `top_p`, not both.
            top_p: nucleus sampling: keep the tokens within this cumulative probability.
            top_k: sample only from the `top_k` most likely tokens.

        Returns:
            The generation with its token statistics.
        """
        prompt, structured = self._split_input(input)
        system, messages = _split_system(prompt)
        request: Dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
        }
        if system is not None:
            request["system"] = system
        if stop_sequences:
            request["stop_sequences"] = stop_sequences
        # Sampling parameters go in the body as-is: newer SDKs no longer take them as
        # arguments, while the API still accepts them for the models that support them.
        sampling = {"temperature": temperature, "top_p": top_p, "top_k": top_k}
        extra_body = {name: value for name, value in sampling.items() if value is not None}
        if isinstance(structured, JsonSchemaOutput):
            request["tools"] = [
                {
                    "name": structured.name,
                    "description": "Answer by calling this tool with input that follows its schema.",
                    "input_schema": structured.schema,
                }
            ]
            request["tool_choice"] = {"type": "tool", "name": structured.name}
        message = await self.aclient.messages.create(**request, extra_body=extra_body or None)
        return _output_from_message(message, structured)


def _split_system(conversation: Any) -> Tuple[Optional[str], List[Dict[str, Any]]]:
    """Take the system messages out of an OpenAI-style conversation (Anthropic wants them apart)."""
    if isinstance(conversation, str):
        return None, [{"role": "user", "content": conversation}]
    system: List[str] = []
    messages: List[Dict[str, Any]] = []
    for message in conversation:
        if message["role"] == "system":
            system.append(_text_of(message["content"]))
        else:
            messages.append(
                {"role": message["role"], "content": _content_blocks(message["content"])}
            )
    return ("\n\n".join(system) if system else None), messages


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(part.get("text", "") for part in content if part.get("type") == "text")


def _content_blocks(content: Any) -> Any:
    """OpenAI-style content parts as Anthropic content blocks (text as-is, images converted)."""
    if isinstance(content, str):
        return content
    blocks = []
    for part in content:
        if part.get("type") == "image_url":
            url = part["image_url"]["url"]
            if url.startswith("data:"):
                media_type, _, data = url[len("data:") :].partition(";base64,")
                blocks.append(
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": media_type, "data": data},
                    }
                )
            else:
                blocks.append({"type": "image", "source": {"type": "url", "url": url}})
        else:
            blocks.append(part)
    return blocks


def _output_from_message(message: "Message", structured: Any) -> GenerateOutput:
    text: Optional[str] = None
    if isinstance(structured, JsonSchemaOutput):
        tool_inputs = [block.input for block in message.content if block.type == "tool_use"]
        if tool_inputs:
            text = json.dumps(tool_inputs[0])
    else:
        text = "".join(block.text for block in message.content if block.type == "text") or None
    error = None if text else f"the model returned no answer (stop_reason={message.stop_reason!r})"
    usage = message.usage
    return prepare_output([text], [usage.input_tokens], [usage.output_tokens], errors=[error])
