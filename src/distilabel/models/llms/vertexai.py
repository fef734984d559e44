"""Gemini models on Vertex AI or the Gemini Developer API, through Google's Gen AI SDK.

The SDK is ``google-genai`` (``from google import genai``), the one Google maintains
for Gemini today. distilabel 1.5 used ``vertexai.generative_models`` from
``google-cloud-aiplatform``, which Google deprecated on June 24, 2025 and removes on
June 24, 2026, pointing users to ``google-genai``; the new SDK serves both Vertex AI
(``vertexai=True``, with Application Default Credentials or an API key) and the
Gemini Developer API (an API key), over plain REST, with retries we can switch off.
"""

import json
import mimetypes
import os
from typing import TYPE_CHECKING, Any, ClassVar, Dict, List, Optional, Tuple, Union

from pydantic import Field, PositiveInt, SecretStr, validate_call

from distilabel.errors import DistilabelUserError
from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.models.llms.base import AsyncLLM
from distilabel.models.llms.outputs import prepare_output
from distilabel.models.llms.provider import (
    MODEL_FIELD_NAME,
    ProviderClient,
    Secret,
    env_field,
    structured_output_field,
)
from distilabel.models.structured import JsonSchemaOutput
from distilabel.runtime.retries import (
    AUTH_STATUSES,
    RETRYABLE_STATUSES,
    ErrorInfo,
    ErrorKind,
    retry_after_seconds,
)
from distilabel.typing import FormattedInput, GenerateOutput, InstructorStructuredOutputType

if TYPE_CHECKING:
    from google.genai.client import AsyncClient

_API_KEY_ENV_VARS = ("GOOGLE_API_KEY", "GEMINI_API_KEY")
_ADC_ENV_VAR = "GOOGLE_APPLICATION_CREDENTIALS"
_ROLES = {"user": "user", "assistant": "model", "model": "model", "tool": "user"}


def _env_api_key() -> Optional[str]:
    return next((os.environ[name] for name in _API_KEY_ENV_VARS if os.environ.get(name)), None)


def _gemini_client(llm: "VertexAILLM") -> "AsyncClient":
    from google import genai
    from google.genai import types

    vertexai = llm._use_vertexai()
    options: Dict[str, Any] = {
        "http_options": types.HttpOptions(
            base_url=llm.base_url,
            timeout=int(llm.timeout * 1000),
            # One attempt: the shared retry policy in AsyncLLM retries instead.
            retry_options=types.HttpRetryOptions(attempts=1),
        ),
        "vertexai": vertexai,
    }
    if llm.api_key is not None:
        options["api_key"] = llm.api_key.get_secret_value()
    if vertexai is not False and (llm.project or llm.location) and llm.api_key is None:
        options["project"] = llm.project
        options["location"] = llm.location
    return genai.Client(**options).aio


# Two key variables, or Application Default Credentials: `load()` checks them itself.
_CLIENT = ProviderClient(
    sdk="google.genai", extra="vertexai", factory=_gemini_client, api_key_required=False
)


class VertexAILLM(AsyncLLM):
    """Google's Gemini models, on Vertex AI or the Gemini Developer API.

    Uses the ``google-genai`` SDK (see the module docstring for why). By default it
    talks to Vertex AI with Application Default Credentials, like distilabel 1.5
    did; with an API key and no project it talks to the Gemini Developer API.

    ``num_generations`` maps to Gemini's ``candidate_count``. Structured output is
    native: the JSON schema is sent as ``response_json_schema`` with
    ``response_mime_type="application/json"``.

    Attributes:
        model: the model name, e.g. ``"gemini-2.5-flash"``.
        api_key: a Gemini or Vertex AI (express mode) API key; defaults to the
            ``GOOGLE_API_KEY`` or ``GEMINI_API_KEY`` environment variable.
        vertexai: whether to use Vertex AI (True) or the Gemini Developer API (False).
            Defaults to the ``GOOGLE_GENAI_USE_VERTEXAI`` environment variable, else to
            Vertex AI unless only an API key is given.
        project: the Google Cloud project (Vertex AI); defaults to ``GOOGLE_CLOUD_PROJECT``.
        location: the Google Cloud region (Vertex AI), e.g. ``"us-central1"``; defaults
            to ``GOOGLE_CLOUD_LOCATION``.
        base_url: the API's base URL, for a proxy or a private endpoint; defaults to the
            SDK's (``GOOGLE_GEMINI_BASE_URL`` / ``GOOGLE_VERTEX_BASE_URL``).
        structured_output: ``{"schema": Model or JSON schema}`` every answer must follow.

    Examples:
        >>> llm = VertexAILLM(model="gemini-2.5-flash")
        >>> llm.load()
        >>> llm.generate_outputs([[{"role": "user", "content": "Hello!"}]])
    """

    model: str
    api_key: Secret[Optional[RuntimeParameter[SecretStr]]] = Field(
        default_factory=_env_api_key,
        description="The Gemini / Vertex AI API key; defaults to GOOGLE_API_KEY or GEMINI_API_KEY.",
    )
    vertexai: Optional[RuntimeParameter[bool]] = Field(
        default=None,
        description="Whether to use Vertex AI (True) or the Gemini Developer API (False).",
    )
    project: Optional[RuntimeParameter[str]] = env_field(
        "GOOGLE_CLOUD_PROJECT", description="The Google Cloud project to use with Vertex AI."
    )
    location: Optional[RuntimeParameter[str]] = env_field(
        "GOOGLE_CLOUD_LOCATION", description="The Google Cloud location to use with Vertex AI."
    )
    base_url: Optional[RuntimeParameter[str]] = Field(
        default=None, description="The base URL of the API, to use a proxy or a private endpoint."
    )
    structured_output: Optional[RuntimeParameter[InstructorStructuredOutputType]] = structured_output_field()

    _provider_client: ClassVar[ProviderClient] = _CLIENT

    model_name = MODEL_FIELD_NAME

    @property
    def _api_key_env_var(self) -> str:  # type: ignore[override]
        if self._use_vertexai() and self.api_key is None:
            return f"{_ADC_ENV_VAR} (Application Default Credentials)"
        return " or ".join(_API_KEY_ENV_VARS)

    def _use_vertexai(self) -> Optional[bool]:
        if self.vertexai is not None:
            return self.vertexai
        if os.getenv("GOOGLE_GENAI_USE_VERTEXAI"):
            return None  # the SDK reads it
        return not (self.api_key is not None and not self.project)

    def load(self) -> None:
        super().load()  # checks google-genai is installed first
        if self.api_key is None:
            if self._use_vertexai() is False:
                raise DistilabelUserError(
                    "VertexAILLM with vertexai=False (the Gemini Developer API) needs an API key: set the"
                    " GOOGLE_API_KEY or GEMINI_API_KEY environment variable or pass `api_key`."
                )
            if self.base_url is None:
                self._check_default_credentials()

    def _check_default_credentials(self) -> None:
        """Fail now, with what to do, when Vertex AI has no credentials to use."""
        import google.auth
        from google.auth.exceptions import DefaultCredentialsError

        try:
            google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
        except DefaultCredentialsError as error:
            raise DistilabelUserError(
                "VertexAILLM found no Google Cloud credentials for Vertex AI: run `gcloud auth"
                f" application-default login`, set {_ADC_ENV_VAR} to a service account key file, or pass"
                " `api_key` (a Vertex AI express mode key, or a Gemini API key with vertexai=False)."
            ) from error

    def _classify_error(self, error: Exception) -> ErrorInfo:
        # google-genai raises APIError with the status in `code` and the retry delay,
        # if any, in the body's RetryInfo; an invalid API key is a 400 there.
        code = getattr(error, "code", None)
        details = getattr(error, "details", None)
        if not isinstance(code, int) or details is None:
            return super()._classify_error(error)
        if code in AUTH_STATUSES or (
            code == 400 and "API_KEY_INVALID" in json.dumps(details, default=str)
        ):
            return ErrorInfo(ErrorKind.AUTH, code)
        if code in RETRYABLE_STATUSES or code >= 500:
            headers = getattr(getattr(error, "response", None), "headers", None)
            return ErrorInfo(
                ErrorKind.RETRY, code, _retry_delay(details) or retry_after_seconds(headers)
            )
        return ErrorInfo(ErrorKind.ROW, code)

    @validate_call
    async def agenerate(  # type: ignore[override]
        self,
        input: FormattedInput,
        num_generations: int = 1,
        temperature: Optional[float] = None,
        top_p: Optional[float] = None,
        top_k: Optional[int] = None,
        max_output_tokens: Optional[int] = None,
        stop_sequences: Optional[List[str]] = None,
        safety_settings: Optional[Union[Dict[str, Any], List[Dict[str, Any]]]] = None,
        tools: Optional[List[Dict[str, Any]]] = None,
        logprobs: bool = False,
        top_logprobs: Optional[PositiveInt] = None,
    ) -> GenerateOutput:
        """Generate ``num_generations`` answers (Gemini candidates) for one input.

        Args:
            input: a conversation (`system` messages become the system instruction,
                `assistant` messages the `model` role), a plain prompt string, or a
                (conversation, structured output) pair.
            num_generations: how many answers to generate (Gemini's `candidate_count`).
            temperature: sampling temperature; higher is more random.
            top_p: nucleus sampling: keep the tokens within this cumulative probability.
            top_k: sample from the k most likely tokens.
            max_output_tokens: the maximum number of tokens to generate.
            stop_sequences: sequences where the model stops generating.
            safety_settings: `{category: threshold}` (e.g.
                `{"HARM_CATEGORY_HATE_SPEECH": "BLOCK_ONLY_HIGH"}`) or a list of
                `{"category": ..., "threshold": ...}`.
            tools: tools the model may call, as Gemini `Tool` dicts.
            logprobs: whether to return the log probabilities of the generated tokens.
            top_logprobs: how many most likely alternatives to return per token
                (implies `logprobs=True`).

        Returns:
            The generations with token statistics (and logprobs when asked).
        """
        prompt, structured = self._split_input(input)
        contents, system_instruction = _gemini_contents(prompt)
        config: Dict[str, Any] = {
            "candidate_count": num_generations,
            "temperature": temperature,
            "top_p": top_p,
            "top_k": top_k,
            "max_output_tokens": max_output_tokens,
            "stop_sequences": stop_sequences,
            "safety_settings": _safety_settings(safety_settings),
            "tools": tools,
            "system_instruction": system_instruction,
        }
        if logprobs or top_logprobs:
            config["response_logprobs"] = True
            config["logprobs"] = top_logprobs
        if isinstance(structured, JsonSchemaOutput):
            config["response_mime_type"] = "application/json"
            config["response_json_schema"] = structured.schema
        response = await self.aclient.models.generate_content(
            model=self.model,
            contents=contents,
            config={key: value for key, value in config.items() if value is not None},
        )
        return _output(response, num_generations)


def _gemini_contents(prompt: Any) -> Tuple[Any, Optional[str]]:
    """Gemini ``contents`` and ``system_instruction`` for a conversation or a prompt."""
    if isinstance(prompt, str):
        return prompt, None
    system, contents = [], []
    for message in prompt:
        if message["role"] == "system":
            system.append(_text_of(message["content"]))
            continue
        contents.append(
            {"role": _ROLES.get(message["role"], "user"), "parts": _parts(message["content"])}
        )
    return contents, "\n\n".join(system) or None


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(part.get("text", "") for part in content if part.get("type") == "text")


def _parts(content: Any) -> List[Dict[str, Any]]:
    if isinstance(content, str):
        return [{"text": content}]
    parts = []
    for part in content:
        if part.get("type") == "text":
            parts.append({"text": part["text"]})
        elif part.get("type") == "image_url":
            url = part["image_url"]["url"]
            if url.startswith("data:"):
                header, data = url.split(",", 1)
                parts.append({"inline_data": {"mime_type": header[5:].split(";")[0], "data": data}})
            else:
                # Gemini wants the file's type; guess it from the URL's extension.
                mime_type = mimetypes.guess_type(url.split("?", 1)[0])[0] or "image/jpeg"
                parts.append({"file_data": {"file_uri": url, "mime_type": mime_type}})
    return parts


def _safety_settings(settings: Any) -> Optional[List[Dict[str, Any]]]:
    if isinstance(settings, dict):
        return [
            {"category": str(category), "threshold": str(threshold)}
            for category, threshold in settings.items()
        ]
    return settings


def _retry_delay(details: Any) -> Optional[float]:
    """Seconds from a google.rpc.RetryInfo ``retryDelay`` like ``"12s"``, if any."""
    error = details.get("error", details) if isinstance(details, dict) else {}
    for item in error.get("details") or []:
        delay = item.get("retryDelay") if isinstance(item, dict) else None
        if isinstance(delay, str) and delay.endswith("s"):
            try:
                return float(delay[:-1])
            except ValueError:
                return None
    return None


def _output(response: Any, num_generations: int) -> GenerateOutput:
    generations: List[Optional[str]] = []
    errors: List[Optional[str]] = []
    logprobs: List[Any] = []
    for candidate in response.candidates or []:
        parts = candidate.content.parts if candidate.content is not None else None
        text = "".join(part.text for part in parts or [] if part.text and not part.thought)
        if not text and parts:
            calls = [part.function_call for part in parts if part.function_call is not None]
            if calls:
                text = json.dumps([{"name": call.name, "arguments": call.args} for call in calls])
        generations.append(text or None)
        errors.append(
            None
            if text
            else f"the model returned no text (finish_reason={candidate.finish_reason})"
        )
        if candidate.logprobs_result is not None:
            logprobs.append(_candidate_logprobs(candidate.logprobs_result))
    if not generations:
        feedback = response.prompt_feedback
        reason = (
            f"the prompt was blocked ({feedback.block_reason})"
            if feedback
            else "the model returned no candidates"
        )
        generations, errors = [None] * num_generations, [reason] * num_generations
    usage = response.usage_metadata
    return prepare_output(
        generations,
        [(usage.prompt_token_count or 0) if usage else 0],
        [(usage.candidates_token_count or 0) if usage else 0],
        logprobs=logprobs or None,
        errors=errors,
    )


def _candidate_logprobs(result: Any) -> List[List[Dict[str, Any]]]:
    if result.top_candidates:
        return [
            [{"token": c.token, "logprob": c.log_probability} for c in position.candidates or []]
            for position in result.top_candidates
        ]
    return [
        [{"token": c.token, "logprob": c.log_probability}] for c in result.chosen_candidates or []
    ]
