"""``TransformersLLM``: a Hugging Face causal LM run in-process with ``transformers`` + ``torch``."""

import os
import threading
from typing import TYPE_CHECKING, Any, ClassVar, Dict, List, Optional, Tuple, Union

from pydantic import Field, PrivateAttr, SecretStr

from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.models.llms.base import LLM
from distilabel.models.llms.chat_templates import TokenizerChatTemplateMixin
from distilabel.models.llms.outputs import finalize_output, prepare_output
from distilabel.models.llms.provider import MODEL_FIELD_NAME
from distilabel.models.loading import ensure_loaded
from distilabel.models.local_files import local_only_kwargs
from distilabel.models.mixins.cuda_device_placement import CudaDevicePlacementMixin
from distilabel.models.mixins.magpie import MagpieChatTemplateMixin
from distilabel.models.structured import split_formatted_input
from distilabel.typing import OutlinesStructuredOutputType
from distilabel.utils.imports import require

if TYPE_CHECKING:
    from distilabel.models.structured import StructuredOutput
    from distilabel.typing import FormattedInput, GenerateOutput, HiddenState, StandardInput

_EXTRA = "hf-transformers"


class TransformersLLM(LLM, MagpieChatTemplateMixin, TokenizerChatTemplateMixin, CudaDevicePlacementMixin):
    """A causal language model from the Hugging Face Hub or a local folder, run by ``transformers``.

    Structured output (here or per input) is enforced token by token with xgrammar.

    Attributes:
        model: the model id on the Hub, or a local folder.
        revision: the model revision (branch, tag or commit).
        torch_dtype: the weights' dtype, e.g. ``"float16"``; ``"auto"`` keeps the checkpoint's.
        trust_remote_code: allow the model's own code to run.
        model_kwargs: more keyword arguments for ``from_pretrained`` (e.g. ``gguf_file``,
            which is passed to the tokenizer too).
        tokenizer: the tokenizer id or folder, when it differs from ``model``.
        use_fast: use the fast (Rust) tokenizer.
        chat_template: a Jinja chat template replacing the tokenizer's.
        device: the device to run on (``"cpu"``, ``"cuda:0"``, an index); by default CUDA when present.
        device_map: an accelerate device map (``"auto"``) for models spread over devices.
        token: the Hugging Face token, for gated models; read from ``HF_TOKEN``.
        structured_output: a JSON schema or regex every generation must follow.

    Examples:
        >>> llm = TransformersLLM(model="HuggingFaceTB/SmolLM2-135M-Instruct")
        >>> llm.load()
        >>> llm.generate_outputs([[{"role": "user", "content": "Hi"}]], max_new_tokens=16)
    """

    model: str = Field(description="The model id on the Hugging Face Hub, or a local folder.")
    revision: str = Field(default="main", description="The model revision (branch, tag or commit).")
    torch_dtype: str = Field(default="auto", description="The dtype of the weights; 'auto' keeps the checkpoint's.")
    trust_remote_code: bool = Field(default=False, description="Whether to run the model's own code.")
    model_kwargs: Optional[Dict[str, Any]] = Field(
        default=None, description="More keyword arguments for `from_pretrained`."
    )
    tokenizer: Optional[str] = Field(default=None, description="The tokenizer id or folder, if not the model's.")
    use_fast: bool = Field(default=True, description="Whether to use the fast tokenizer.")
    chat_template: Optional[str] = Field(default=None, description="A Jinja chat template replacing the tokenizer's.")
    device: Optional[Union[str, int]] = Field(default=None, description="The device to run the model on.")
    device_map: Optional[Union[str, Dict[str, Any]]] = Field(
        default=None, description="An accelerate device map, e.g. 'auto'."
    )
    token: Optional[SecretStr] = Field(
        default_factory=lambda: os.getenv("HF_TOKEN"), description="The Hugging Face token, for gated models."
    )
    structured_output: Optional[RuntimeParameter[OutlinesStructuredOutputType]] = Field(
        default=None,
        description="A JSON schema or regex every generation must follow: {'format': 'json'|'regex', 'schema': ...}.",
    )

    _model: Any = PrivateAttr(default=None)
    _tokenizer: Any = PrivateAttr(default=None)
    _grammars: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    # A base model's tokenizer has no chat template: its prompt is the turns' text.
    _join_without_template: ClassVar[bool] = True

    model_name = MODEL_FIELD_NAME

    def load(self) -> None:
        """Load the tokenizer and the model (onto the GPU when there is one)."""
        CudaDevicePlacementMixin.load(self)
        transformers = require("transformers", _EXTRA, type(self).__name__)
        torch = require("torch", _EXTRA, type(self).__name__)
        token = self.token.get_secret_value() if self.token else None
        model_kwargs = dict(self.model_kwargs or {})
        tokenizer_kwargs: Dict[str, Any] = {}
        if "gguf_file" in model_kwargs and self.tokenizer is None:
            tokenizer_kwargs["gguf_file"] = model_kwargs["gguf_file"]
        self._tokenizer = transformers.AutoTokenizer.from_pretrained(
            self.tokenizer or self.model,
            revision=self.revision,
            trust_remote_code=self.trust_remote_code,
            use_fast=self.use_fast,
            token=token,
            **tokenizer_kwargs,
            **local_only_kwargs(self.tokenizer or self.model),
        )
        # Batched generation pads on the left, so every prompt ends where generation starts.
        self._tokenizer.padding_side = "left"
        if self._tokenizer.pad_token is None:
            self._tokenizer.pad_token = self._tokenizer.eos_token
        if self.chat_template is not None:
            self._tokenizer.chat_template = self.chat_template
        dtype = self.torch_dtype if self.torch_dtype == "auto" else getattr(torch, self.torch_dtype)
        self._model = transformers.AutoModelForCausalLM.from_pretrained(
            self.model,
            revision=self.revision,
            dtype=dtype,
            trust_remote_code=self.trust_remote_code,
            token=token,
            device_map=self.device_map,
            **model_kwargs,
            **local_only_kwargs(self.model),
        )
        if self.device_map is None:
            device = self.device if self.device is not None else ("cuda" if torch.cuda.is_available() else "cpu")
            self._model.to(device)
        self._model.eval()
        self._grammars = None
        super().load()

    def unload(self) -> None:
        self._model = self._tokenizer = self._grammars = None
        CudaDevicePlacementMixin.unload(self)
        super().unload()

    # --- generation --------------------------------------------------------------------------

    def generate(  # type: ignore[override]
        self,
        inputs: List["FormattedInput"],
        num_generations: int = 1,
        max_new_tokens: int = 128,
        temperature: float = 0.1,
        repetition_penalty: float = 1.1,
        top_p: float = 1.0,
        top_k: int = 0,
        do_sample: bool = True,
    ) -> List["GenerateOutput"]:
        """Generate ``num_generations`` completions for each input, in batches that share a structured output.

        Args:
            inputs: conversations, raw prompt strings, or (conversation, structured output) pairs.
            num_generations: how many completions to generate for each input.
            max_new_tokens: the most tokens each completion may have.
            temperature: the sampling temperature; higher is more random.
            repetition_penalty: above 1 discourages repeating tokens.
            top_p: nucleus sampling: keep the smallest set of tokens whose probability adds up to this.
            top_k: sample only among the k most likely tokens; 0 disables it.
            do_sample: sample; ``False`` decodes greedily.
        """
        ensure_loaded(self)
        sampling: Dict[str, Any] = {
            "max_new_tokens": max_new_tokens,
            "repetition_penalty": repetition_penalty,
            "do_sample": do_sample,
        }
        if do_sample:
            sampling.update(temperature=temperature, top_p=top_p, top_k=top_k)
        prompts: List[str] = []
        specs: List[Optional[StructuredOutput]] = []
        for input in inputs:
            prompt, row_spec = split_formatted_input(input)
            prompts.append(self.prepare_input(prompt))
            specs.append(self._structured_output_for(row_spec))
        grammars = [self._compile(spec, max_new_tokens) if spec is not None else None for spec in specs]
        with self._lock:
            texts, input_lengths, output_lengths = self._generate_batch(prompts, grammars, num_generations, sampling)
        outputs = []
        for i, spec in enumerate(specs):
            rows = slice(i * num_generations, (i + 1) * num_generations)
            output = prepare_output(texts[rows], [input_lengths[i]] * num_generations, output_lengths[rows])
            outputs.append(finalize_output(output, num_generations, spec))
        return outputs

    def _compile(self, spec: "StructuredOutput", max_new_tokens: int) -> Any:
        if self._grammars is None:
            from distilabel.models.structured.xgrammar import XGrammarCompiler

            vocab_size = getattr(self._model.config, "vocab_size", None)
            self._grammars = XGrammarCompiler(self._tokenizer, vocab_size, type(self).__name__)
        return self._grammars.compile(spec, max_new_tokens)

    def _generate_batch(
        self, prompts: List[str], grammars: List[Any], num_generations: int, sampling: Dict[str, Any]
    ) -> Tuple[List[str], List[int], List[int]]:
        import torch

        encoded = self._tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
        encoded = {name: tensor.to(self._model.device) for name, tensor in encoded.items()}
        # Rows without structured output are generated in their own call, without a grammar.
        structured_rows = [i for i, grammar in enumerate(grammars) if grammar is not None]
        free_rows = [i for i, grammar in enumerate(grammars) if grammar is None]
        texts: List[str] = [""] * (len(prompts) * num_generations)
        output_lengths: List[int] = [0] * len(texts)
        input_lengths = encoded["attention_mask"].sum(dim=1).tolist()
        for rows in (free_rows, structured_rows):
            if not rows:
                continue
            index = torch.tensor(rows, device=self._model.device)
            batch = {name: tensor.index_select(0, index) for name, tensor in encoded.items()}
            call_kwargs = dict(sampling)
            if rows is structured_rows:
                from xgrammar.contrib.hf import LogitsProcessor

                per_sequence = [grammars[i] for i in rows for _ in range(num_generations)]
                call_kwargs["logits_processor"] = [LogitsProcessor(per_sequence)]
            with torch.inference_mode():
                generated = self._model.generate(
                    **batch,
                    num_return_sequences=num_generations,
                    pad_token_id=self._tokenizer.pad_token_id,
                    **call_kwargs,
                )
            new_tokens = generated[:, batch["input_ids"].shape[1] :]
            for offset, sequence in enumerate(new_tokens):
                position = rows[offset // num_generations] * num_generations + offset % num_generations
                tokens = [t for t in sequence.tolist() if t != self._tokenizer.pad_token_id]
                output_lengths[position] = len(tokens)
                texts[position] = self._tokenizer.decode(tokens, skip_special_tokens=True)
        return texts, [int(n) for n in input_lengths], output_lengths

    # --- hidden states -------------------------------------------------------------------------

    def get_last_hidden_states(self, inputs: List["StandardInput"]) -> List["HiddenState"]:
        """The model's last hidden state for each input's tokens, as ``(tokens, width)`` arrays.

        Args:
            inputs: conversations, rendered with the chat template.
        """
        import torch

        ensure_loaded(self)
        prompts = [self.prepare_input(input) for input in inputs]
        with self._lock:
            encoded = self._tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=False)
            encoded = {name: tensor.to(self._model.device) for name, tensor in encoded.items()}
            with torch.inference_mode():
                hidden = self._model(**encoded, output_hidden_states=True).hidden_states[-1]
        mask = encoded["attention_mask"].bool()
        return [hidden[i][mask[i]].float().cpu().numpy() for i in range(len(prompts))]
