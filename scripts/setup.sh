#!/usr/bin/env bash
# Create .venv and install distilabel with the extras the tests and examples use.
# Safe to re-run: pip skips what is installed, and the llama-cpp-python wheel it
# builds the first time (about 9 minutes on 2 cores) is reused from pip's cache.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
EXTRAS="${DISTILABEL_EXTRAS:-tests,openai,anthropic,cohere,groq,mistralai,ollama,litellm,hf-inference-endpoints,hf-transformers,llama-cpp,vertexai,sentence-transformers}"

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi

# pip's output without this machine's notes about missing local package folders;
# a failing install still fails the script (pipefail, and grep never fails here).
pip_install() {
  .venv/bin/python -m pip --disable-pip-version-check install -q "$@" 2>&1 | { grep -v "^WARNING: Location" || true; }
}

pip_install --upgrade pip

# The CPU build of torch ships on this machine's disk; installing it first keeps pip
# from resolving a multi-GB CUDA build for the extras that depend on torch.
if [[ ",$EXTRAS," == *",hf-transformers,"* || ",$EXTRAS," == *",sentence-transformers,"* ]]; then
  .venv/bin/python -c "import torch" 2>/dev/null || pip_install "torch==2.13.0"
fi

pip_install -e ".[${EXTRAS}]"
.venv/bin/python -c "import distilabel" >/dev/null
