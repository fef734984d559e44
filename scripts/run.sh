#!/usr/bin/env bash
# Set up (if needed) and run the main job: a real pipeline on the embedded SmolLM2
# model (llama.cpp), printing the dataset it made. No API key, no download.
set -euo pipefail
cd "$(dirname "$0")/.."
DISTILABEL_EXTRAS="${DISTILABEL_EXTRAS:-llama-cpp}" bash scripts/setup.sh
exec .venv/bin/python examples/quickstart.py "$@"
