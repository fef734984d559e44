#!/usr/bin/env bash
# Create .venv and install distilabel with the extras the tests and examples use, at exactly
# the versions in requirements.lock (refresh it on purpose with `bash scripts/lock.sh`).
# When .venv already holds those extras at the locked versions it returns at once (a stamp
# file records what was installed); otherwise pip installs what is missing. The
# llama-cpp-python wheel it builds the first time (4-9 minutes on 2 cores) is reused from
# pip's cache.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
EXTRAS="${DISTILABEL_EXTRAS:-tests,openai,anthropic,cohere,groq,mistralai,ollama,litellm,hf-inference-endpoints,hf-transformers,llama-cpp,vertexai,sentence-transformers,argilla,faiss-cpu,minhash,text-clustering,vision,cost,ray}"
LOCK=requirements.lock
STAMP=.venv/.distilabel-setup

# What an install depends on: the lock and pyproject.toml (both by content).
inputs_hash=$(cat "$LOCK" pyproject.toml | sha256sum | cut -d' ' -f1)

# True when the stamp says these inputs were installed with (at least) the wanted extras.
up_to_date() {
  [ -x .venv/bin/python ] && [ -f "$STAMP" ] || return 1
  local stamped_hash stamped_extras wanted
  read -r stamped_hash stamped_extras < "$STAMP" || return 1
  [ "$stamped_hash" = "$inputs_hash" ] || return 1
  for wanted in ${EXTRAS//,/ }; do
    [[ ",$stamped_extras," == *",$wanted,"* ]] || return 1
  done
}

if up_to_date; then
  exit 0
fi

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi

# llama-cpp-python compiles llama.cpp. A native build (-march=native) picks the AMX kernels on
# CPUs that have them, and those crash on this kind of machine (SIGSEGV in
# ggml_backend_amx_mul_mat on any prompt longer than one token): build for AVX2 instead.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON}"

# The lock constrains every install, the isolated build environments (hatchling,
# scikit-build-core) included: pip hands PIP_CONSTRAINT on to them.
export PIP_CONSTRAINT="$PWD/$LOCK"

# pip's output without this machine's notes about missing local package folders;
# a failing install still fails the script (pipefail, and grep never fails here).
pip_install() {
  .venv/bin/python -m pip --disable-pip-version-check install -q "$@" 2>&1 | { grep -v "^WARNING: Location" || true; }
}

pip_install pip
pip_install -e ".[${EXTRAS}]"
.venv/bin/python -c "import distilabel" >/dev/null

# A llama-cpp-python wheel built natively before (pip's cache outlives CMAKE_ARGS) crashes on
# its first real prompt: check it on the embedded model, and rebuild it once if it does.
if [[ ",$EXTRAS," == *",llama-cpp,"* ]] && ! .venv/bin/python scripts/llamacpp_smoke.py 2>/dev/null; then
  echo "llama-cpp-python crashed on a prompt; rebuilding it for AVX2 (a few minutes)" >&2
  .venv/bin/python -m pip cache remove llama_cpp_python >/dev/null 2>&1 || true
  llama_pin=$(grep -i '^llama[-_]cpp[-_]python==' "$LOCK")
  pip_install --force-reinstall --no-deps --no-cache-dir "$llama_pin"
  .venv/bin/python scripts/llamacpp_smoke.py
fi

# Keep the extras installed before, so a later call asking for fewer returns at once.
previous_extras=""
if [ -f "$STAMP" ]; then
  read -r stamped_hash previous_extras < "$STAMP" || true
  [ "${stamped_hash:-}" = "$inputs_hash" ] || previous_extras=""
fi
echo "$inputs_hash $(echo "${previous_extras},${EXTRAS}" | tr ',' '\n' | sed '/^$/d' | sort -u | paste -sd, -)" > "$STAMP"
