"""``RewardModelScore``: score responses or conversations with a local reward model (transformers)."""

import inspect
import os
import threading
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from pydantic import Field, PrivateAttr, SecretStr

from distilabel.errors import DistilabelUserError
from distilabel.models.local_files import local_only_kwargs
from distilabel.models.mixins.cuda_device_placement import CudaDevicePlacementMixin
from distilabel.steps.base import Step, StepInput
from distilabel.steps.column_property import column_property
from distilabel.utils.imports import require

if TYPE_CHECKING:
    from distilabel.steps.tasks.typing import ChatType
    from distilabel.typing.steps import StepOutput

_EXTRA = "hf-transformers"


class RewardModelScore(Step, CudaDevicePlacementMixin):
    """Score each row with a reward model: a ``transformers`` sequence-classification model.

    A row is either an ``instruction`` and its ``response`` (scored as a user turn and an
    assistant turn) or a whole ``conversation``. The conversation is rendered with the
    model's chat template, the batch is run through the model once (padded, with its
    attention mask), and the model's output logit is the score: a float for the usual
    single-output reward model, a list of floats for a model with several outputs.

    Attributes:
        model: the model id on the Hugging Face Hub, or a local folder.
        revision: the model revision (branch, tag or commit). Defaults to ``"main"``.
        torch_dtype: the weights' dtype, e.g. ``"float16"``; ``"auto"`` keeps the
            checkpoint's. Defaults to ``"auto"``.
        trust_remote_code: allow the model's own code to run. Defaults to ``False``.
        device_map: an accelerate device map, or ``"cuda"`` / ``"auto"``; ``None`` loads
            on the CPU (or where torch puts it). Defaults to ``None``.
        token: the Hugging Face token, for gated models; read from ``HF_TOKEN``.
        truncation: cut inputs longer than ``max_length``. Defaults to ``False``.
        max_length: the length to truncate to. Defaults to ``None``.

    Input columns:
        - instruction (`str`, optional): the instruction; needs ``response``.
        - response (`str`, optional): the response to the instruction.
        - conversation (`ChatType`, optional): a conversation, used when the row has no
          instruction and response.

    Output columns:
        - score (`float`): the reward model's score.

    Examples:
        >>> step = RewardModelScore(model="RLHFlow/ArmoRM-Llama3-8B-v0.1", device_map="auto", trust_remote_code=True)
        >>> step.load()
        >>> next(step.process([{"instruction": "How much is 2+2?", "response": "4"}]))[0]["score"]  # a float
    """

    model: str = Field(description="The model id on the Hugging Face Hub, or a local folder.")
    revision: str = Field(default="main", description="The model revision (branch, tag or commit).")
    torch_dtype: str = Field(
        default="auto", description="The dtype of the weights; 'auto' keeps the checkpoint's."
    )
    trust_remote_code: bool = Field(
        default=False, description="Whether to run the model's own code."
    )
    device_map: Union[str, Dict[str, Any], None] = Field(
        default=None, description="An accelerate device map."
    )
    token: Optional[SecretStr] = Field(
        default_factory=lambda: os.getenv("HF_TOKEN"),
        description="The Hugging Face token, for gated models.",
    )
    truncation: bool = Field(
        default=False, description="Whether to truncate inputs longer than max_length."
    )
    max_length: Optional[int] = Field(default=None, description="The length to truncate to.")

    _model: Any = PrivateAttr(default=None)
    _tokenizer: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    inputs = column_property({"instruction": False, "response": False, "conversation": False})
    outputs = column_property(["score"])

    def load(self) -> None:
        super().load()
        if self.device_map in ("cuda", "auto"):
            CudaDevicePlacementMixin.load(self)
        transformers = require("transformers", _EXTRA, type(self).__name__)
        torch = require("torch", _EXTRA, type(self).__name__)
        token = self.token.get_secret_value() if self.token else None
        common = {
            "revision": self.revision,
            "trust_remote_code": self.trust_remote_code,
            "token": token,
            **local_only_kwargs(self.model),
        }
        self._tokenizer = transformers.AutoTokenizer.from_pretrained(self.model, **common)
        dtype = self.torch_dtype if self.torch_dtype == "auto" else getattr(torch, self.torch_dtype)
        self._model = transformers.AutoModelForSequenceClassification.from_pretrained(
            self.model, dtype=dtype, device_map=self.device_map, **common
        )
        self._model.eval()
        # Batches are padded; the model finds each sequence's last real token by the pad id.
        if self._tokenizer.pad_token is None:
            self._tokenizer.pad_token = self._tokenizer.eos_token or self._tokenizer.unk_token
        if getattr(self._model.config, "pad_token_id", None) is None:
            self._model.config.pad_token_id = self._tokenizer.pad_token_id

    def unload(self) -> None:
        self._model = self._tokenizer = None
        if self.device_map in ("cuda", "auto"):
            CudaDevicePlacementMixin.unload(self)
        super().unload()

    def _conversation(self, index: int, row: Dict[str, Any]) -> "ChatType":
        if row.get("instruction") is not None and row.get("response") is not None:
            return [
                {"role": "user", "content": row["instruction"]},
                {"role": "assistant", "content": row["response"]},
            ]
        conversation = row.get("conversation")
        if isinstance(conversation, list) and conversation:
            return conversation
        raise DistilabelUserError(
            f"RewardModelScore: row {index} needs `instruction` and `response`, or a `conversation`;"
            f" it has the columns {sorted(row)}."
        )

    def scores(self, conversations: List["ChatType"]) -> List[Union[float, List[float]]]:
        """The reward model's score of each conversation, in one forward pass."""
        import torch

        if self._model is None:
            raise RuntimeError("RewardModelScore is not loaded: call load() first.")
        if getattr(self._tokenizer, "chat_template", None) is None:
            raise DistilabelUserError(
                f"RewardModelScore: the tokenizer of {self.model!r} has no chat template to render the"
                " conversations with; use a reward model whose tokenizer has one."
            )
        texts = [self._tokenizer.apply_chat_template(c, tokenize=False) for c in conversations]
        encoded = self._tokenizer(
            texts,
            return_tensors="pt",
            padding=True,
            truncation=self.truncation,
            max_length=self.max_length,
            add_special_tokens=False,
        )
        # Tokenizers may add tensors (e.g. token_type_ids) the model's forward does not take.
        accepted = inspect.signature(self._model.forward).parameters
        batch = {
            name: tensor.to(self._model.device)
            for name, tensor in encoded.items()
            if name in accepted
        }
        with self._lock, torch.no_grad():
            logits = self._model(**batch).logits.float().cpu()
        if logits.shape[-1] == 1:
            return [float(value) for value in logits[:, 0]]
        return [[float(value) for value in row] for row in logits]

    def process(self, inputs: StepInput) -> "StepOutput":
        if inputs:
            conversations = [self._conversation(i, row) for i, row in enumerate(inputs)]
            for row, score in zip(inputs, self.scores(conversations), strict=True):
                row["score"] = score
        yield inputs
