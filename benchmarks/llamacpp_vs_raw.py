"""LlamaCppLLM inside a pipeline vs bare ``llama_cpp.Llama``: tokens per second.

The same 20 prompts go through ``LoadDataFromDicts >> TextGeneration(llm=LlamaCppLLM())``
and through ``Llama.create_chat_completion`` in a plain loop, both on the embedded
SmolLM2 GGUF. End-of-sequence is banned (logit bias) so both sides generate exactly
``MAX_NEW_TOKENS`` tokens per prompt; the pipeline's time includes loading the model
and everything the pipeline does around the LLM. Each side runs ``ROUNDS`` times,
interleaved; the best round counts. Target: ratio >= 0.95.

Two rates are printed: per wall-clock second, and per CPU second of this process
(all its threads). On a shared 2-core machine other processes steal time from the
wall-clock rate; the CPU rate is the steadier comparison of the work each side does.

    .venv/bin/python benchmarks/llamacpp_vs_raw.py
"""

import logging
import tempfile
import time
from typing import Dict, List, Tuple

from distilabel.models.llms import LlamaCppLLM
from distilabel.models.local_files import embedded_smollm2_path
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration

N_PROMPTS = 20
MAX_NEW_TOKENS = 48
ROUNDS = 3
N_CTX = 1024
SEED = 1234
TOPICS = [
    "the sea", "a lighthouse", "autumn leaves", "a busy market", "the moon", "a train journey",
    "a mountain lake", "city lights", "an old library", "a thunderstorm", "a garden", "the desert",
    "a snowy forest", "a river", "a bakery", "a violin", "the first day of school", "a cat", "a bridge", "stars",
]
PROMPTS = [f"Write two sentences about {topic}." for topic in TOPICS[:N_PROMPTS]]


def _eos_ban() -> Dict[int, float]:
    from llama_cpp import Llama

    vocab_only = Llama(model_path=str(embedded_smollm2_path()), vocab_only=True, verbose=False)
    try:
        return {vocab_only.token_eos(): -100.0}
    finally:
        vocab_only.close()


def run_raw(bias: Dict[int, float]) -> Tuple[float, float]:
    """Tokens per wall second and per CPU second of a bare llama_cpp.Llama loop (model load included)."""
    from llama_cpp import Llama

    start, cpu = time.perf_counter(), time.process_time()
    llm = Llama(model_path=str(embedded_smollm2_path()), n_ctx=N_CTX, seed=SEED, verbose=False)
    tokens = 0
    for prompt in PROMPTS:
        response = llm.create_chat_completion(
            messages=[{"role": "user", "content": prompt}],
            max_tokens=MAX_NEW_TOKENS,
            temperature=1.0,
            top_p=1.0,
            logit_bias=bias,
        )
        tokens += response["usage"]["completion_tokens"]
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    llm.close()
    assert tokens == N_PROMPTS * MAX_NEW_TOKENS, tokens
    return tokens / elapsed, tokens / cpu


def run_pipeline(bias: Dict[int, float]) -> Tuple[float, float]:
    """Tokens per wall second and per CPU second of the same prompts through a pipeline."""
    with tempfile.TemporaryDirectory() as cache_dir:
        with Pipeline(name="llamacpp-vs-raw", cache_dir=cache_dir) as pipeline:
            load = LoadDataFromDicts(data=[{"instruction": p} for p in PROMPTS], batch_size=N_PROMPTS)
            generate = TextGeneration(
                llm=LlamaCppLLM(
                    n_ctx=N_CTX,
                    seed=SEED,
                    generation_kwargs={
                        "max_new_tokens": MAX_NEW_TOKENS,
                        "extra_generation_kwargs": {"logit_bias": bias},
                    },
                ),
                input_batch_size=N_PROMPTS,
            )
            load >> generate
        start, cpu = time.perf_counter(), time.process_time()
        distiset = pipeline.run(use_cache=False)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    rows: List[dict] = list(distiset["default"]["train"])
    assert len(rows) == N_PROMPTS and all(row["generation"] for row in rows), rows
    tokens = N_PROMPTS * MAX_NEW_TOKENS
    return tokens / elapsed, tokens / cpu


def main() -> None:
    logging.getLogger("distilabel").setLevel(logging.WARNING)
    bias = _eos_ban()
    raw_runs, pipeline_runs = [], []
    for _ in range(ROUNDS):
        raw_runs.append(run_raw(bias))
        pipeline_runs.append(run_pipeline(bias))
    print(f"{N_PROMPTS} prompts x {MAX_NEW_TOKENS} tokens, SmolLM2-135M Q4_1, best of {ROUNDS} rounds")
    for column, label in ((0, "per wall second"), (1, "per CPU second")):
        raw = max(run[column] for run in raw_runs)
        piped = max(run[column] for run in pipeline_runs)
        print(f"tokens {label}:")
        print(f"  bare llama_cpp.Llama : {raw:7.1f}  (rounds: {', '.join(f'{r[column]:.1f}' for r in raw_runs)})")
        print(f"  LlamaCppLLM pipeline : {piped:7.1f}  (rounds: {', '.join(f'{r[column]:.1f}' for r in pipeline_runs)})")
        print(f"  ratio pipeline/raw   : {piped / raw:7.3f}  (target >= 0.95)")


if __name__ == "__main__":
    main()
