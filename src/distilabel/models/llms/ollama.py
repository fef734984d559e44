"""Models served by Ollama, through the official ``ollama`` SDK (async client)."""

from typing import TYPE_CHECKING, Any, ClassVar, Dict, List, Literal, Optional, Tuple, Union

from pydantic import (
    AfterValidator,
    Field,
    PositiveInt,
    PrivateAttr,
    SecretStr,
    field_validator,
    model_validator,
    validate_call,
)
from typing_extensions import Annotated

from distilabel.errors import DistilabelUserError
from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.models.llms.base import AsyncLLM
from distilabel.models.llms.chat_templates import (
    check_magpie_tokenizer,
    load_tokenizer,
    render_prompt,
)
from distilabel.models.llms.outputs import prepare_output
from distilabel.models.llms.provider import (
    MODEL_FIELD_NAME,
    ProviderClient,
    Secret,
    structured_output_field,
)
from distilabel.models.mixins.magpie import MagpieChatTemplateMixin
from distilabel.models.structured import JsonSchemaOutput
from distilabel.typing import FormattedInput, GenerateOutput, OutlinesStructuredOutputType
from distilabel.utils.names import closest_name, unknown_name_error

if TYPE_CHECKING:
    from ollama import AsyncClient
    from transformers import PreTrainedTokenizerBase

# The option names Ollama's API documents (`ollama.Options`); anything else is a typo.
OLLAMA_OPTIONS = (
    "numa", "num_ctx", "num_batch", "num_gpu", "main_gpu", "low_vram", "f16_kv", "logits_all",
    "vocab_only", "use_mmap", "use_mlock", "embedding_only", "num_thread", "num_keep", "seed",
    "num_predict", "top_k", "top_p", "min_p", "tfs_z", "typical_p", "repeat_last_n", "temperature",
    "repeat_penalty", "presence_penalty", "frequency_penalty", "mirostat", "mirostat_tau",
    "mirostat_eta", "penalize_newline", "stop",
)  # fmt: skip


def _check_options(options: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    for name in options or {}:
        if name not in OLLAMA_OPTIONS:
            raise unknown_name_error("Ollama option", name, OLLAMA_OPTIONS, "OllamaLLM")
    return options


def _check_not_options(kwargs: Any) -> None:
    """Point ``temperature=...`` and friends to ``options``, where Ollama takes them."""
    valid = ("format", "options", "keep_alive", "logprobs", "top_logprobs")
    for name in kwargs or {}:
        if name in valid:
            continue
        option = name if name in OLLAMA_OPTIONS else closest_name(name, OLLAMA_OPTIONS)
        if option is not None:
            raise DistilabelUserError(
                f"Unknown generation kwarg {name!r} for OllamaLLM. Did you mean the Ollama option {option!r}?"
                f" Pass it inside `options`, e.g. options={{{option!r}: ...}}. Valid generation kwargs:"
                f" {', '.join(valid)}."
            )


OllamaOptions = Annotated[Dict[str, Any], AfterValidator(_check_options)]


def _ollama_client(llm: "OllamaLLM") -> "AsyncClient":
    from ollama import AsyncClient

    headers = {"Authorization": f"Bearer {llm.api_key.get_secret_value()}"} if llm.api_key else None
    # httpx, which the SDK uses, does not retry: the shared retry policy does.
    return AsyncClient(
        host=llm.host, timeout=llm.timeout, follow_redirects=llm.follow_redirects, headers=headers
    )


# A local Ollama needs no key: one is sent only when given.
_CLIENT = ProviderClient(
    sdk="ollama",
    api_key_env="OLLAMA_API_KEY",
    factory=_ollama_client,
    api_key_required=False,
)


class OllamaLLM(AsyncLLM, MagpieChatTemplateMixin):
    """A model served by Ollama (local or remote), through the ``ollama`` SDK.

    Conversations go to Ollama's chat API (``/api/chat``). With ``tokenizer_id`` the
    conversation is formatted here with that tokenizer's chat template and sent raw to
    ``/api/generate``; a plain string prompt also goes to ``/api/generate``.

    Ollama has no ``n``: ``num_generations`` sends that many requests. Structured
    output is native: the JSON schema is sent as Ollama's ``format``.

    Attributes:
        model: the model name, e.g. ``"llama3.1"``.
        host: the Ollama server, e.g. ``"http://localhost:11434"``; defaults to the
            ``OLLAMA_HOST`` environment variable, then Ollama's default.
        timeout: seconds to wait for a response. Defaults to 120.
        follow_redirects: whether the client follows redirects. Defaults to True.
        structured_output: ``{"format": "json", "schema": Model or JSON schema}`` every
            answer must follow (sent as Ollama's ``format``).
        api_key: a bearer token, for Ollama's cloud or a proxy that needs one; defaults
            to the ``OLLAMA_API_KEY`` environment variable. A local Ollama needs none.
        tokenizer_id: a Hugging Face tokenizer (repo id or local directory) whose chat
            template formats conversations into raw prompts. Defaults to None (chat API).
        use_magpie_template: end prompts with ``magpie_pre_query_template`` so the model
            writes a user message (Magpie); needs ``tokenizer_id``.
        magpie_pre_query_template: ``"llama3"``, ``"qwen2"`` or the text that opens a user turn.

    Examples:
        >>> llm = OllamaLLM(model="llama3.1")
        >>> llm.load()
        >>> llm.generate_outputs([[{"role": "user", "content": "Hello!"}]])
    """

    model: str
    host: Optional[RuntimeParameter[str]] = Field(
        default=None, description="The host of the Ollama API."
    )
    follow_redirects: bool = True
    api_key: Secret[Optional[RuntimeParameter[SecretStr]]] = _CLIENT.api_key_field(
        "A bearer token for Ollama's cloud or an authenticating proxy; a local Ollama needs none."
    )
    structured_output: Optional[RuntimeParameter[OutlinesStructuredOutputType]] = structured_output_field()
    tokenizer_id: Optional[RuntimeParameter[str]] = Field(
        default=None,
        description="The Hugging Face tokenizer whose chat template formats conversations into raw prompts.",
    )

    _provider_client: ClassVar[ProviderClient] = _CLIENT
    _num_generations_param_supported: ClassVar[bool] = False
    _tokenizer: Optional["PreTrainedTokenizerBase"] = PrivateAttr(default=None)

    model_name = MODEL_FIELD_NAME

    @field_validator("generation_kwargs", mode="before")
    @classmethod
    def _check_options_given_as_kwargs(cls, value: Any) -> Any:
        _check_not_options(value)
        return value

    @model_validator(mode="after")
    def _check_magpie(self) -> "OllamaLLM":
        check_magpie_tokenizer(self)
        return self

    def validate_generation_kwargs(self, kwargs: Dict[str, Any]) -> Dict[str, Any]:
        _check_not_options(kwargs)
        return super().validate_generation_kwargs(kwargs)

    def load(self) -> None:
        super().load()  # checks the SDK is installed first
        if self.tokenizer_id is not None:
            self._tokenizer = load_tokenizer(self.tokenizer_id, type(self).__name__)

    @validate_call
    async def agenerate(  # type: ignore[override]
        self,
        input: FormattedInput,
        num_generations: int = 1,
        format: Union[Literal["", "json"], Dict[str, Any]] = "",
        options: Optional[OllamaOptions] = None,
        keep_alive: Optional[Union[bool, float, str]] = None,
        logprobs: bool = False,
        top_logprobs: Optional[PositiveInt] = None,
    ) -> GenerateOutput:
        """Generate one answer for one input (``num_generations`` fans out).

        Args:
            input: a conversation, a plain prompt string, or a (conversation, structured
                output) pair.
            num_generations: how many answers to generate; Ollama makes one per request.
            format: `"json"` for JSON mode, or a JSON schema the answer must follow.
                Defaults to `""` (free text). Overridden by `structured_output`.
            options: Ollama's model options, e.g. `{"temperature": 0.7, "top_p": 0.9,
                "top_k": 40, "num_predict": 256, "seed": 42, "stop": ["\\n\\n"],
                "repeat_penalty": 1.1, "presence_penalty": 0.0, "frequency_penalty": 0.0}`.
                `num_predict` is the maximum number of new tokens.
            keep_alive: how long the model stays loaded after the request, e.g. `"5m"`,
                or seconds.
            logprobs: whether to return the log probabilities of the generated tokens.
            top_logprobs: how many most likely alternatives to return per token (needs
                `logprobs=True`).

        Returns:
            The generation with token statistics (and logprobs when asked).
        """
        prompt, structured = self._split_input(input)
        if isinstance(structured, JsonSchemaOutput):
            format = structured.schema
        request: Dict[str, Any] = {
            "model": self.model,
            "format": format or None,
            "options": options,
            "keep_alive": keep_alive,
            "logprobs": logprobs or None,
            "top_logprobs": top_logprobs if logprobs else None,
        }
        if isinstance(prompt, str) or self._tokenizer is not None:
            raw = not isinstance(prompt, str)
            response = await self.aclient.generate(
                prompt=render_prompt(self._tokenizer, prompt, magpie=self), raw=raw, **request
            )
            text = response.response
        else:
            response = await self.aclient.chat(messages=_ollama_messages(prompt), **request)
            text = response.message.content
        return prepare_output(
            [text or None],
            [response.prompt_eval_count or 0],
            [response.eval_count or 0],
            logprobs=_logprobs(response.logprobs) if logprobs else None,
            errors=[
                None
                if text
                else f"the model returned an empty answer (done_reason={response.done_reason!r})"
            ],
        )


def _ollama_messages(conversation: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Chat messages in Ollama's format: text ``content`` and base64 ``images``."""
    messages = []
    for message in conversation:
        content = message.get("content")
        if isinstance(content, list):
            text, images = _split_parts(content)
            item: Dict[str, Any] = {"role": message["role"], "content": text}
            if images:
                item["images"] = images
            messages.append(item)
        else:
            messages.append({"role": message["role"], "content": content})
    return messages


def _split_parts(parts: List[Dict[str, Any]]) -> Tuple[str, List[str]]:
    texts, images = [], []
    for part in parts:
        if part.get("type") == "text":
            texts.append(part.get("text", ""))
        elif part.get("type") == "image_url":
            url = part["image_url"]["url"]
            # Ollama takes images as bare base64; data URLs carry a "data:...;base64," prefix.
            images.append(url.split(",", 1)[1] if url.startswith("data:") else url)
    return "\n".join(texts), images


def _logprobs(entries: Any) -> Optional[List[Any]]:
    if not entries:
        return None
    return [
        [
            [{"token": top.token, "logprob": top.logprob} for top in entry.top_logprobs]
            if entry.top_logprobs
            else [{"token": entry.token, "logprob": entry.logprob}]
            for entry in entries
        ]
    ]
