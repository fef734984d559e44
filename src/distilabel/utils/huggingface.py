"""The Hugging Face token (distilabel 1.5's ``distilabel.utils.huggingface``) and the fields naming an endpoint."""

import os
from pathlib import Path
from typing import Any, Final

from pydantic import Field

HF_TOKEN_ENV_VAR: Final[str] = "HF_TOKEN"


def get_hf_token(cls_name: str, token_arg: str) -> str:
    """The Hugging Face token: ``HF_TOKEN``, else the one ``hf auth login`` saved.

    Args:
        cls_name: the class that needs it (named in the error).
        token_arg: the argument that could have given it (named in the error), e.g. ``"api_key"``.

    Raises:
        ValueError: there is no token.
    """
    token = os.getenv(HF_TOKEN_ENV_VAR)
    if token:
        return token
    from huggingface_hub import constants

    path = Path(constants.HF_TOKEN_PATH)
    if path.is_file() and (saved := path.read_text().strip()):
        return saved
    raise ValueError(
        f"To use `{cls_name}` an API key must be provided via `{token_arg}`, set the environment variable"
        f" `{HF_TOKEN_ENV_VAR}` or log in with `hf auth login`."
    )


__all__ = ["HF_TOKEN_ENV_VAR", "get_hf_token"]


# Where a model on Hugging Face is served: the same three optional fields (and
# descriptions, which dumps carry) on InferenceEndpointsLLM and InferenceEndpointsBaseClient.
_ENDPOINT_FIELD_DESCRIPTIONS: Final = {
    "endpoint_name": "The name of the Inference Endpoint to use for the LLM.",
    "endpoint_namespace": "The namespace of the Inference Endpoint to use for the LLM.",
    "base_url": "The base URL to use for the Inference Endpoints API requests.",
}


def endpoint_field(name: str) -> Any:
    """The ``endpoint_name``, ``endpoint_namespace`` or ``base_url`` field: ``None`` by default."""
    return Field(default=None, description=_ENDPOINT_FIELD_DESCRIPTIONS[name])
