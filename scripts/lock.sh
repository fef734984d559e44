#!/usr/bin/env bash
# Refresh requirements.lock on purpose: resolve the newest versions that pyproject.toml
# allows, for every extra, in a scratch virtual environment, and write them all pinned.
# Run the tests afterwards (bash scripts/test.sh) and commit the lock on its own.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
# Every extra but the GPU-only one (vllm needs CUDA and is installed by hand where there is one).
EXTRAS="$("$PYTHON" - <<'PY'
import tomllib
extras = tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]
print(",".join(name for name in extras if name not in {"vllm", "mlx"}))
PY
)"
# The same portable llama.cpp build as setup.sh (see there why not -march=native).
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON}"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

"$PYTHON" -m venv "$scratch/venv"
pip=("$scratch/venv/bin/python" -m pip --disable-pip-version-check install -q)
"${pip[@]}" --upgrade pip
# The build back-ends go into the lock too, so the builds setup.sh runs are pinned as well.
"${pip[@]}" -e ".[${EXTRAS}]" hatchling editables scikit-build-core

{
  echo "# Every dependency of distilabel and its extras, pinned. Written by scripts/lock.sh"
  echo "# (the only way to change it); scripts/setup.sh installs exactly these versions."
  "$scratch/venv/bin/python" -m pip freeze --all --exclude-editable | grep -v -i '^distilabel[= @]'
} > requirements.lock
echo "requirements.lock: $(grep -vc '^#' requirements.lock) packages pinned"
