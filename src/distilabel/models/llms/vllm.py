"""vLLM: ``vLLM`` runs the engine in this process (needs a GPU); ``ClientvLLM`` talks to
a vLLM server through its OpenAI-compatible API."""

import os
import threading
from typing import Any, Callable, ClassVar, Dict, List, Optional

from pydantic import Field, PrivateAttr, SecretStr, model_validator, validate_call

from distilabel.errors import DistilabelUserError
from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.models.llms.base import LLM
from distilabel.models.llms.chat_templates import (
    TokenizerChatTemplateMixin,
    count_prompt_tokens,
    load_tokenizer,
)
from distilabel.models.llms.openai import OpenAILLM
from distilabel.models.llms.openai_wire import output_from_chat_completion, output_from_completion
from distilabel.models.llms.outputs import finalize_output, prepare_output
from distilabel.models.llms.provider import MODEL_FIELD_NAME
from distilabel.models.loading import ensure_loaded
from distilabel.models.mixins.cuda_device_placement import CudaDevicePlacementMixin
from distilabel.models.mixins.magpie import MagpieChatTemplateMixin
from distilabel.models.structured.vllm import (
    openai_server_structured_body,
    vllm_sampling_structured,
)
from distilabel.typing import FormattedInput, GenerateOutput, OutlinesStructuredOutputType
from distilabel.utils.imports import require


class vLLM(LLM, MagpieChatTemplateMixin, TokenizerChatTemplateMixin, CudaDevicePlacementMixin):
    """A model served in this process by vLLM's offline engine (``vllm.LLM``). Needs a GPU.

    All inputs of a call go to the engine at once, which batches them continuously.

    Attributes:
        model: the model id on the Hub, or a local folder.
        dtype: the weights' dtype; ``"auto"`` keeps the checkpoint's.
        trust_remote_code: allow the model's own code to run.
        quantization: the quantization method, e.g. ``"awq"``.
        revision: the model revision.
        tokenizer: the tokenizer id or folder, when it differs from ``model``.
        tokenizer_mode: ``"auto"`` (fast when available) or ``"slow"``.
        tokenizer_revision: the tokenizer revision.
        skip_tokenizer_init: skip loading the tokenizer (inputs must then be token ids).
        chat_template: a Jinja chat template replacing the tokenizer's.
        seed: the seed for vLLM.
        extra_kwargs: more keyword arguments for ``vllm.LLM``.
        structured_output: a JSON schema or regex every generation must follow.
    """

    model: str = Field(description="The model id on the Hub, or a local folder.")
    dtype: str = Field(default="auto", description="The dtype of the weights.")
    trust_remote_code: bool = Field(default=False, description="Whether to run the model's own code.")
    quantization: Optional[str] = Field(default=None, description="The quantization method.")
    revision: Optional[str] = Field(default=None, description="The model revision.")
    tokenizer: Optional[str] = Field(default=None, description="The tokenizer id or folder, if not the model's.")
    tokenizer_mode: str = Field(default="auto", description="'auto' or 'slow'.")
    tokenizer_revision: Optional[str] = Field(default=None, description="The tokenizer revision.")
    skip_tokenizer_init: bool = Field(default=False, description="Whether to skip loading the tokenizer.")
    chat_template: Optional[str] = Field(default=None, description="A Jinja chat template replacing the tokenizer's.")
    seed: int = Field(default=0, description="The seed for vLLM.")
    extra_kwargs: Optional[RuntimeParameter[Dict[str, Any]]] = Field(
        default_factory=dict, description="Extra keyword arguments for `vllm.LLM`."
    )
    structured_output: Optional[RuntimeParameter[OutlinesStructuredOutputType]] = Field(
        default=None,
        description="A JSON schema or regex every generation must follow: {'format': 'json'|'regex', 'schema': ...}.",
    )

    _model: Any = PrivateAttr(default=None)
    _tokenizer: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    model_name = MODEL_FIELD_NAME

    def load(self) -> None:
        """Start the vLLM engine (on the GPUs chosen by ``cuda_devices``)."""
        CudaDevicePlacementMixin.load(self)
        vllm = require("vllm", "vllm", type(self).__name__)
        self._model = vllm.LLM(
            self.model,
            dtype=self.dtype,
            trust_remote_code=self.trust_remote_code,
            quantization=self.quantization,
            revision=self.revision,
            tokenizer=self.tokenizer,
            tokenizer_mode=self.tokenizer_mode,
            tokenizer_revision=self.tokenizer_revision,
            skip_tokenizer_init=self.skip_tokenizer_init,
            seed=self.seed,
            **(self.extra_kwargs or {}),
        )
        self._tokenizer = self._model.get_tokenizer()
        if self.chat_template is not None:
            self._tokenizer.chat_template = self.chat_template
        super().load()

    def unload(self) -> None:
        self._model = self._tokenizer = None
        CudaDevicePlacementMixin.unload(self)
        super().unload()

    def generate(  # type: ignore[override]
        self,
        inputs: List[FormattedInput],
        num_generations: int = 1,
        max_new_tokens: int = 128,
        presence_penalty: float = 0.0,
        frequency_penalty: float = 0.0,
        repetition_penalty: float = 1.0,
        temperature: float = 1.0,
        top_p: float = 1.0,
        top_k: int = -1,
        min_p: float = 0.0,
        logprobs: Optional[int] = None,
        stop: Optional[List[str]] = None,
        stop_token_ids: Optional[List[int]] = None,
        include_stop_str_in_output: bool = False,
        skip_special_tokens: bool = True,
        logits_processors: Optional[List[Callable[..., Any]]] = None,
        extra_sampling_params: Optional[Dict[str, Any]] = None,
        echo: bool = False,
    ) -> List[GenerateOutput]:
        """Generate ``num_generations`` completions for each input.

        Args:
            inputs: conversations, raw prompt strings, or (conversation, structured output) pairs.
            num_generations: how many completions to generate for each input.
            max_new_tokens: the most tokens each completion may have.
            presence_penalty: penalise tokens that already appeared at all.
            frequency_penalty: penalise tokens by how often they already appeared.
            repetition_penalty: above 1 discourages repeating tokens.
            temperature: the sampling temperature; higher is more random.
            top_p: nucleus sampling: keep the smallest set of tokens whose probability adds up to this.
            top_k: sample only among the k most likely tokens; -1 disables it.
            min_p: drop tokens less likely than this fraction of the most likely one.
            logprobs: return this many most likely tokens, with logprobs, for each generated token.
            stop: strings that end a generation.
            stop_token_ids: token ids that end a generation.
            include_stop_str_in_output: keep the stop string in the generation.
            skip_special_tokens: leave special tokens out of the generated text.
            logits_processors: functions that change the logits before sampling.
            extra_sampling_params: more keyword arguments for ``vllm.SamplingParams``.
            echo: put the prompt before each generation.
        """
        vllm = require("vllm", "vllm", type(self).__name__)
        ensure_loaded(self)
        prompts, params, specs = [], [], []
        for input in inputs:
            prompt, structured = self._split_input(input)
            prompts.append(self.prepare_input(prompt))
            specs.append(structured)
            params.append(
                vllm.SamplingParams(
                    n=num_generations,
                    max_tokens=max_new_tokens,
                    presence_penalty=presence_penalty,
                    frequency_penalty=frequency_penalty,
                    repetition_penalty=repetition_penalty,
                    temperature=temperature,
                    top_p=top_p,
                    top_k=top_k,
                    min_p=min_p,
                    logprobs=logprobs,
                    stop=stop,
                    stop_token_ids=stop_token_ids,
                    include_stop_str_in_output=include_stop_str_in_output,
                    skip_special_tokens=skip_special_tokens,
                    **({"logits_processors": logits_processors} if logits_processors else {}),
                    **vllm_sampling_structured(vllm, structured, max_new_tokens),
                    **(extra_sampling_params or {}),
                )
            )
        with self._lock:
            results = self._model.generate(prompts, params, use_tqdm=False)
        outputs = []
        for prompt, result, structured in zip(prompts, results, specs, strict=False):
            texts = [(prompt if echo else "") + completion.text for completion in result.outputs]
            output = prepare_output(
                texts,
                input_tokens=[len(result.prompt_token_ids or [])] * len(texts),
                output_tokens=[len(completion.token_ids) for completion in result.outputs],
                logprobs=[_vllm_logprobs(completion, self._tokenizer) for completion in result.outputs]
                if logprobs
                else None,
            )
            outputs.append(finalize_output(output, num_generations, structured))
        return outputs


def _vllm_logprobs(completion: Any, tokenizer: Any) -> List[List[Dict[str, Any]]]:
    steps = []
    for step in completion.logprobs or []:
        steps.append(
            [
                {"token": entry.decoded_token or tokenizer.decode([token_id]), "logprob": entry.logprob}
                for token_id, entry in step.items()
            ]
        )
    return steps


class ClientvLLM(OpenAILLM, MagpieChatTemplateMixin, TokenizerChatTemplateMixin):
    """A vLLM server (or any OpenAI-compatible server) through the ``openai`` SDK.

    Without ``tokenizer``, conversations go to the chat completions endpoint and the
    server applies its chat template. With ``tokenizer`` (a Hugging Face id or folder),
    prompts are rendered here and sent to the completions endpoint, which Magpie needs.

    Attributes:
        model: the served model's name; by default the first model the server lists.
        base_url: the server's base URL, e.g. ``http://localhost:8000/v1``.
        api_key: the server's API key, if it needs one (``OPENAI_API_KEY``).
        tokenizer: the tokenizer that renders prompts for the completions endpoint.
        tokenizer_revision: the tokenizer revision.
        structured_output: a JSON schema or regex every generation must follow,
            enforced by the server's guided decoding.
    """

    model: str = Field(default="", description="The served model's name; by default the first the server lists.")
    base_url: Optional[RuntimeParameter[str]] = Field(
        default_factory=lambda: os.getenv("OPENAI_BASE_URL", "http://localhost:8000/v1"),
        description="The base URL of the vLLM server's OpenAI-compatible API.",
    )
    api_key: Optional[RuntimeParameter[SecretStr]] = Field(
        default_factory=lambda: os.getenv("OPENAI_API_KEY"),
        description="The API key of the server, if it needs one.",
    )
    tokenizer: Optional[str] = Field(default=None, description="The tokenizer that renders prompts.")
    tokenizer_revision: Optional[str] = Field(default=None, description="The tokenizer revision.")
    structured_output: Optional[RuntimeParameter[OutlinesStructuredOutputType]] = Field(  # type: ignore[assignment]
        default=None,
        description="A JSON schema or regex every generation must follow: {'format': 'json'|'regex', 'schema': ...}.",
    )

    # A local server without authentication still needs a non-empty key for the SDK.
    _NO_KEY: ClassVar[str] = "EMPTY"
    _tokenizer: Any = PrivateAttr(default=None)
    _served_model: Optional[str] = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check_magpie_tokenizer(self) -> "ClientvLLM":
        # Without a tokenizer the server's chat endpoint formats prompts, and no
        # pre-query template could be appended: Magpie would silently not happen.
        if self.use_magpie_template and self.tokenizer is None:
            raise DistilabelUserError(
                "ClientvLLM: use_magpie_template=True needs `tokenizer`, the Hugging Face tokenizer"
                " (id or local folder) whose chat template renders the prompt the pre-query"
                " template is appended to; prompts then go to the completions endpoint."
            )
        return self

    @property
    def model_name(self) -> str:
        """The served model's name."""
        return self.model or self._served_model or ""

    def _require_api_key(self) -> str:
        key = self.api_key.get_secret_value() if self.api_key else None
        return key or self._NO_KEY

    def load(self) -> None:
        """Check the server (learning the model's name when not given) and load the tokenizer."""
        super().load()
        if self.tokenizer is not None:
            self._tokenizer = load_tokenizer(self.tokenizer, type(self).__name__)
        if not self.model:
            models = self.client.models.list()
            if not models.data:
                raise ValueError(f"The server at {self.base_url} serves no model.")
            self._served_model = models.data[0].id

    @validate_call
    async def agenerate(  # type: ignore[override]
        self,
        input: FormattedInput,
        num_generations: int = 1,
        max_new_tokens: int = 128,
        frequency_penalty: float = 0.0,
        logit_bias: Optional[Dict[str, int]] = None,
        presence_penalty: float = 0.0,
        temperature: float = 1.0,
        top_p: float = 1.0,
    ) -> GenerateOutput:
        """Generate ``num_generations`` completions for one input.

        Args:
            input: a conversation, a raw prompt string, or a (conversation, structured output) pair.
            num_generations: how many completions to generate.
            max_new_tokens: the most tokens each completion may have.
            frequency_penalty: penalise tokens by how often they already appeared.
            logit_bias: token ids (as strings) mapped to a bias added to their logits.
            presence_penalty: penalise tokens that already appeared at all.
            temperature: the sampling temperature; higher is more random.
            top_p: nucleus sampling: keep the smallest set of tokens whose probability adds up to this.
        """
        prompt, structured = self._split_input(input)
        sampling: Dict[str, Any] = {
            "model": self.model_name,
            "n": num_generations,
            "max_tokens": max_new_tokens,
            "frequency_penalty": frequency_penalty,
            "presence_penalty": presence_penalty,
            "temperature": temperature,
            "top_p": top_p,
            **openai_server_structured_body(structured, max_new_tokens),
        }
        if logit_bias:
            sampling["logit_bias"] = logit_bias
        if isinstance(prompt, str) or self._tokenizer is not None:
            text = self.prepare_input(prompt)
            output = output_from_completion(await self.aclient.post("completions", {"prompt": text, **sampling}))
            if not output["statistics"]["input_tokens"] or output["statistics"]["input_tokens"] == [0]:
                output["statistics"]["input_tokens"] = [count_prompt_tokens(self._tokenizer, text)]
            return output
        return output_from_chat_completion(await self.aclient.post("chat/completions", {"messages": prompt, **sampling}))


__all__ = ["ClientvLLM", "vLLM"]
