"""``vLLMEmbeddings``: embeddings from vLLM's in-process engine (needs a GPU)."""

from typing import Any, Dict, List, Optional, Union

from pydantic import Field

from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.models.embeddings.base import LocalEmbeddings
from distilabel.models.llms.provider import MODEL_FIELD_NAME
from distilabel.utils.imports import require


class vLLMEmbeddings(LocalEmbeddings):
    """Embeddings from an embedding model served in-process by vLLM.

    Attributes:
        model: the model id on the Hub, or a local folder.
        dtype: the weights' dtype; ``"auto"`` keeps the checkpoint's.
        trust_remote_code: allow the model's own code to run.
        quantization: the quantization method, e.g. ``"awq"``.
        revision: the model revision.
        enforce_eager: skip CUDA graphs (faster start, slower encoding).
        seed: the seed for vLLM.
        extra_kwargs: more keyword arguments for ``vllm.LLM``.
    """

    model: str = Field(description="The model id on the Hub, or a local folder.")
    dtype: str = Field(default="auto", description="The dtype of the weights.")
    trust_remote_code: bool = Field(default=False, description="Whether to run the model's own code.")
    quantization: Optional[str] = Field(default=None, description="The quantization method.")
    revision: Optional[str] = Field(default=None, description="The model revision.")
    enforce_eager: bool = Field(default=True, description="Whether to skip CUDA graphs.")
    seed: int = Field(default=0, description="The seed for vLLM.")
    extra_kwargs: Optional[RuntimeParameter[Dict[str, Any]]] = Field(
        default_factory=dict, description="Extra keyword arguments for `vllm.LLM`."
    )

    model_name = MODEL_FIELD_NAME

    def _load_model(self) -> Any:
        """Start the vLLM engine with the model."""
        vllm = require("vllm", "vllm", type(self).__name__)
        return vllm.LLM(
            self.model,
            dtype=self.dtype,
            trust_remote_code=self.trust_remote_code,
            quantization=self.quantization,
            revision=self.revision,
            enforce_eager=self.enforce_eager,
            seed=self.seed,
            **(self.extra_kwargs or {}),
        )

    def _encode(self, inputs: List[str]) -> List[List[Union[int, float]]]:
        return [output.outputs.embedding for output in self._model.embed(inputs)]
