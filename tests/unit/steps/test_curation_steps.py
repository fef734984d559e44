"""Curation steps: sampling, conversation template, truncation, DEITA, faiss neighbours, dedup, UMAP/DBSCAN."""

import math
from pathlib import Path
from typing import Any, Dict, List

import pytest

from distilabel.errors import DistilabelUserError
from distilabel.pipeline import Pipeline
from distilabel.steps import (
    DBSCAN,
    UMAP,
    CombineOutputs,
    ConversationTemplate,
    DataSampler,
    DeitaFiltering,
    EmbeddingDedup,
    FaissNearestNeighbour,
    LoadDataFromDicts,
    MinHashDedup,
    TruncateTextColumn,
)


def round_trip(step: Any) -> Any:
    """The step rebuilt from its dump: same class, same fields."""
    rebuilt = type(step).from_dict(step.dump())
    assert type(rebuilt) is type(step)
    assert rebuilt.model_dump() == step.model_dump()
    return rebuilt


# --- DataSampler --------------------------------------------------------------------------------------


EXAMPLES = [{"q": f"question {i}", "a": f"answer {i}"} for i in range(30)]


def sampled(sampler: DataSampler, offset: int = 0) -> List[tuple]:
    sampler.load()
    return [([dict(row) for row in batch], last) for batch, last in sampler.process(offset=offset)]


def test_data_sampler_batches_columns_and_sizes() -> None:
    batches = sampled(DataSampler(data=EXAMPLES, size=3, samples=7, batch_size=3, seed=11))
    assert [(len(batch), last) for batch, last in batches] == [(3, False), (3, False), (1, True)]
    rows = [row for batch, _ in batches for row in batch]
    for row in rows:
        assert sorted(row) == ["a", "q"]
        assert len(row["q"]) == 3
        # Each drawn example keeps its question and answer together.
        assert [q.split()[1] for q in row["q"]] == [a.split()[1] for a in row["a"]]
        assert all(q in {e["q"] for e in EXAMPLES} for q in row["q"])
    assert DataSampler(data=EXAMPLES).outputs == ["q", "a"]
    assert DataSampler(data=EXAMPLES, samples=5).total_rows == 5


def test_data_sampler_is_reproducible_with_a_seed_and_resumes_at_an_offset() -> None:
    first = [
        row
        for batch, _ in sampled(DataSampler(data=EXAMPLES, samples=10, batch_size=4, seed=3))
        for row in batch
    ]
    again = [
        row
        for batch, _ in sampled(DataSampler(data=EXAMPLES, samples=10, batch_size=4, seed=3))
        for row in batch
    ]
    assert first == again
    # Another batch size, same rows: draws depend on the row's position, not the batching.
    other_batches = sampled(DataSampler(data=EXAMPLES, samples=10, batch_size=3, seed=3))
    assert [row for batch, _ in other_batches for row in batch] == first
    resumed = sampled(DataSampler(data=EXAMPLES, samples=10, batch_size=4, seed=3), offset=6)
    assert [row for batch, _ in resumed for row in batch] == first[6:]
    assert resumed[-1][1] is True
    other_seed = [
        row for batch, _ in sampled(DataSampler(data=EXAMPLES, samples=10, seed=4)) for row in batch
    ]
    assert other_seed != first
    # With replacement and 10 rows x 2 draws out of 30 examples, some repeats across rows are expected;
    # the sampling covers many distinct examples.
    assert len({q for row in first for q in row["q"]}) > 8


def test_data_sampler_empty_data_and_dump() -> None:
    with pytest.raises(DistilabelUserError, match="nothing to sample"):
        sampled(DataSampler(data=[], samples=2))
    assert sampled(DataSampler(data=EXAMPLES, samples=0)) == [([], True)]
    rebuilt = round_trip(DataSampler(data=EXAMPLES[:3], size=1, samples=4, seed=9))
    assert rebuilt.data == EXAMPLES[:3] and rebuilt.seed == 9


def test_data_sampler_joins_a_loader_in_a_pipeline(tmp_path: Path) -> None:
    with Pipeline(name="sampler", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=[{"topic": f"t{i}"} for i in range(4)], batch_size=2)
        sampler = DataSampler(data=EXAMPLES, size=2, samples=4, batch_size=3, seed=5)
        [load, sampler] >> CombineOutputs()
    train = pipeline.run(use_cache=False)["default"]["train"]
    assert train["topic"] == ["t0", "t1", "t2", "t3"]
    expected = [
        row
        for batch, _ in sampled(DataSampler(data=EXAMPLES, size=2, samples=4, seed=5))
        for row in batch
    ]
    assert train["q"] == [row["q"] for row in expected]


# --- ConversationTemplate -----------------------------------------------------------------------------------


def test_conversation_template() -> None:
    step = round_trip(ConversationTemplate())
    assert step.inputs == ["instruction", "response"] and step.outputs == ["conversation"]
    [row] = next(step.process([{"instruction": "Hello", "response": "Hi", "id": 1}]))
    assert row == {
        "instruction": "Hello",
        "response": "Hi",
        "id": 1,
        "conversation": [
            {"role": "user", "content": "Hello"},
            {"role": "assistant", "content": "Hi"},
        ],
    }


# --- TruncateTextColumn ---------------------------------------------------------------------------------------


def test_truncate_by_characters() -> None:
    step = TruncateTextColumn(column="body", max_length=10)
    step.load()
    rows = next(
        step.process([{"body": "This is a sample text"}, {"body": "short"}, {"body": None}])
    )
    assert [r["body"] for r in rows] == ["This is a ", "short", None]
    assert TruncateTextColumn().max_length == 8192 and TruncateTextColumn().column == "text"
    assert step.inputs == ["body"] and step.outputs == ["body"]
    with pytest.raises(ValueError):
        TruncateTextColumn(max_length=0)


def test_truncate_by_tokens_keeps_the_text_as_written(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    from tests.providers.tiny_tokenizer import make_tiny_tokenizer

    # The tiny tokenizer splits on whitespace: one token per word.
    step = round_trip(
        TruncateTextColumn(max_length=4, tokenizer=make_tiny_tokenizer(tmp_path / "tok"))
    )
    step.load()
    rows = next(
        step.process(
            [
                {"text": "One  two\tthree four five six"},
                {"text": "only three words"},
                {"text": "  leading spaces then words here"},
            ]
        )
    )
    assert [r["text"] for r in rows] == [
        "One  two\tthree four",
        "only three words",
        "  leading spaces then words",
    ]
    step.unload()
    with pytest.raises(RuntimeError, match="not loaded"):
        step.truncate("a b c d e")


# --- DeitaFiltering -----------------------------------------------------------------------------------------


def deita_rows() -> List[Dict[str, Any]]:
    return [
        {
            "id": 0,
            "evol_instruction_score": 2.0,
            "evol_response_score": 3.0,
            "embedding": [1.0, 0.0],
        },
        {
            "id": 1,
            "evol_instruction_score": 4.0,
            "evol_response_score": 2.0,
            "embedding": [0.0, 1.0],
        },
        {
            "id": 2,
            "evol_instruction_score": 5.0,
            "evol_response_score": 2.0,
            "embedding": [0.0, 2.0],
        },
        {
            "id": 3,
            "evol_instruction_score": None,
            "evol_response_score": 1.5,
            "embedding": [-1.0, 0.0],
        },
        {
            "id": 4,
            "evol_instruction_score": None,
            "evol_response_score": None,
            "embedding": [1.0, 1.0],
        },
    ]


def test_deita_scores_distances_and_selection() -> None:
    step = DeitaFiltering(data_budget=10, diversity_threshold=0.0)
    step.load()
    rows = next(step.process(deita_rows()))
    # Sorted by DEITA score, best first; a missing score falls back to the other one, or 0.
    assert [(r["id"], r["deita_score"]) for r in rows] == [
        (2, 10.0),
        (1, 8.0),
        (0, 6.0),
        (3, 1.5),
        (4, 0.0),
    ]
    distances = {r["id"]: r["nearest_neighbor_distance"] for r in rows}
    # Rows 1 and 2 point the same way (distance 0); [1, 1] is 45 degrees from its neighbours.
    assert distances[1] == pytest.approx(0.0, abs=1e-9) and distances[2] == pytest.approx(
        0.0, abs=1e-9
    )
    assert distances[0] == pytest.approx(1 - math.cos(math.pi / 4))
    assert distances[4] == pytest.approx(1 - math.cos(math.pi / 4))
    # [-1, 0] is at right angles to [0, 1] and [0, 2], its nearest rows.
    assert distances[3] == pytest.approx(1.0)


def test_deita_budget_and_diversity_threshold() -> None:
    step = DeitaFiltering(data_budget=2, diversity_threshold=0.25)
    step.load()
    # Rows 2 and 1 duplicate each other's direction: neither is diverse enough.
    assert [r["id"] for r in next(step.process(deita_rows()))] == [0, 3]
    step = DeitaFiltering(data_budget=1, diversity_threshold=0.0)
    assert [r["id"] for r in next(step.process(deita_rows()))] == [2]
    assert DeitaFiltering(data_budget=1).diversity_threshold == 0.9
    with pytest.raises(DistilabelUserError, match="data_budget"):
        next(DeitaFiltering().process(deita_rows()))
    assert DeitaFiltering().runtime_parameters_names["data_budget"] is False


def test_deita_in_a_pipeline_takes_data_budget_at_run_time(tmp_path: Path) -> None:
    with Pipeline(name="deita", cache_dir=tmp_path) as pipeline:
        deita = DeitaFiltering(diversity_threshold=0.25)
        LoadDataFromDicts(data=deita_rows()) >> deita
    train = pipeline.run(parameters={deita.name: {"data_budget": 3}}, use_cache=False)["default"][
        "train"
    ]
    assert train["id"] == [0, 3, 4]
    assert train["deita_score"] == [6.0, 1.5, 0.0]


# --- FaissNearestNeighbour -----------------------------------------------------------------------------------


def line_points() -> List[Dict[str, Any]]:
    return [{"id": i, "embedding": [float(x), 0.0]} for i, x in enumerate([0, 1, 3, 7, 15])]


def test_faiss_nearest_neighbours_exact_l2() -> None:
    pytest.importorskip("faiss")
    step = round_trip(FaissNearestNeighbour(k=2, search_batch_size=2))
    step.load()
    rows = next(step.process(line_points()))
    assert [r["nn_indices"] for r in rows] == [[1, 2], [0, 2], [1, 0], [2, 1], [3, 2]]
    # Squared L2 distances.
    assert [r["nn_scores"] for r in rows] == [
        [1.0, 9.0],
        [1.0, 4.0],
        [4.0, 9.0],
        [16.0, 36.0],
        [64.0, 144.0],
    ]
    assert all(isinstance(i, int) for r in rows for i in r["nn_indices"])


def test_faiss_inner_product_trained_index_and_errors() -> None:
    faiss = pytest.importorskip("faiss")
    # A trained (IVF) index with inner product, trained on all vectors when train_size is unset.
    rows = [{"embedding": [math.cos(a), math.sin(a)]} for a in (0.0, 0.1, 1.5, 1.6, 3.1)]
    step = FaissNearestNeighbour(
        k=1, metric_type=faiss.METRIC_INNER_PRODUCT, string_factory="IVF1,Flat"
    )
    step.load()
    out = next(step.process([dict(r) for r in rows]))
    assert [r["nn_indices"] for r in out] == [[1], [0], [3], [2], [3]]
    assert out[0]["nn_scores"][0] == pytest.approx(math.cos(0.1), abs=1e-6)
    # k larger than the other rows: faiss's missing results are dropped.
    step = FaissNearestNeighbour(k=10)
    assert [len(r["nn_indices"]) for r in next(step.process([dict(r) for r in rows]))] == [4] * 5
    with pytest.raises(DistilabelUserError, match="same width"):
        next(step.process([{"embedding": [1.0]}, {"embedding": [1.0, 2.0]}]))
    if not hasattr(faiss, "StandardGpuResources"):
        with pytest.raises(DistilabelUserError, match="GPU build"):
            next(FaissNearestNeighbour(device=0).process([dict(r) for r in rows]))


# --- MinHashDedup -----------------------------------------------------------------------------------------


TEXTS = [
    "This is a test document.",
    "This document is a test.",
    "Test document for duplication.",
    "Document for duplication test.",
    "This is another unique document.",
]


def test_word_tokenizer_matches_nltk_word_tokenize_without_data() -> None:
    pytest.importorskip("nltk")
    from distilabel.steps.filtering.minhash import tokenize_on_ngrams, tokenized_on_words
    from distilabel.steps.filtering.words import word_tokenize

    assert tokenized_on_words(TEXTS)[0] == {b".", b"This", b"a", b"document", b"is", b"test"}
    # Sentence ends detach their period; known abbreviations keep theirs.
    assert word_tokenize("Dr. Smith isn't home. He left, e.g. at 5 p.m. today!") == [
        "Dr.", "Smith", "is", "n't", "home", ".", "He", "left", ",", "e.g.", "at", "5", "p.m.", "today", "!",
    ]  # fmt: skip
    assert tokenize_on_ngrams(["abcd", "ab"], n=3) == [{b"abc", b"bcd"}, set()]
    assert tokenize_on_ngrams(["aba"], n=1) == [{b"a", b"b"}]


@pytest.mark.parametrize(
    ("tokenizer", "threshold", "storage", "expected"),
    [
        # The same words in another order are duplicates for the word tokenizer (case counts:
        # "Test document ..." and "Document ... test." share only 3 of 7 tokens).
        ("words", 0.9, "dict", [True, False, True, True, True]),
        ("words", 0.9, "disk", [True, False, True, True, True]),
        # Character 5-grams see the reordering.
        ("ngrams", 0.9, "dict", [True, True, True, True, True]),
        # A threshold near 0 makes everything a duplicate of the first text.
        ("words", 0.1, "dict", [True, False, False, False, False]),
    ],
)
def test_minhash_dedup(
    tokenizer: str, threshold: float, storage: str, expected: List[bool]
) -> None:
    pytest.importorskip("datasketch")
    pytest.importorskip("nltk")
    step = MinHashDedup(tokenizer=tokenizer, threshold=threshold, storage=storage)
    step.load()
    try:
        rows = next(step.process([{"text": t} for t in TEXTS]))
        assert [r["keep_row_after_minhash_filtering"] for r in rows] == expected
        # The index persists across batches: a later batch's copies are duplicates.
        later = next(step.process([{"text": TEXTS[0]}, {"text": "zebras graze quietly"}]))
        assert [r["keep_row_after_minhash_filtering"] for r in later] == [False, True]
    finally:
        step.unload()


def test_minhash_dedup_disk_index_is_removed_and_missing_text_is_none() -> None:
    pytest.importorskip("datasketch")
    step = round_trip(MinHashDedup(tokenizer="ngrams", n=3, storage="disk"))
    assert (step.num_perm, step.seed, step.threshold) == (128, 1, 0.9)
    step.load()
    folder = step._index._folder
    assert folder is not None and (folder / "bands.sqlite").exists()
    rows = next(step.process([{"text": "abcdef"}, {"text": None}, {"text": "abcdef"}]))
    assert [r["keep_row_after_minhash_filtering"] for r in rows] == [True, None, False]
    step.unload()
    assert not folder.exists()


def test_minhash_dedup_in_a_pipeline(tmp_path: Path) -> None:
    pytest.importorskip("datasketch")
    pytest.importorskip("nltk")
    with Pipeline(name="minhash", cache_dir=tmp_path) as pipeline:
        load = LoadDataFromDicts(data=[{"text": t} for t in TEXTS * 2], batch_size=3)
        load >> MinHashDedup(input_batch_size=4)
    train = pipeline.run(use_cache=False)["default"]["train"]
    assert (
        train["keep_row_after_minhash_filtering"] == [True, False, True, True, True] + [False] * 5
    )


# --- EmbeddingDedup ---------------------------------------------------------------------------------------


def test_embedding_dedup_keeps_the_first_of_each_duplicate_group() -> None:
    rows = [
        {"nn_indices": [1, 2], "nn_scores": [0.95, 0.30]},
        {"nn_indices": [0, 2], "nn_scores": [0.95, 0.40]},
        {"nn_indices": [3, 1], "nn_scores": [0.97, 0.40]},
        # Row 3 does not list row 2 (its neighbours were cut at k): row 2 listing it is enough.
        {"nn_indices": [4], "nn_scores": [0.10]},
        # Row 4's neighbour over the threshold is row 3, which was itself dropped: row 4 stays.
        {"nn_indices": [3], "nn_scores": [0.93]},
        {"nn_indices": [], "nn_scores": []},
    ]
    step = round_trip(EmbeddingDedup(threshold=0.9))
    assert [r["keep_row_after_embedding_filtering"] for r in next(step.process(rows))] == [
        True, False, True, False, True, True,
    ]  # fmt: skip
    assert EmbeddingDedup().threshold == 0.9
    # At 0.2 row 2 duplicates row 0 too; row 3 then has no kept duplicate before it, and row 4 has row 3.
    loose = EmbeddingDedup(threshold=0.2)
    assert [r["keep_row_after_embedding_filtering"] for r in next(loose.process(rows))] == [
        True, False, False, True, False, True,
    ]  # fmt: skip
    strict = EmbeddingDedup(threshold=0.99)
    assert all(r["keep_row_after_embedding_filtering"] for r in next(strict.process(rows)))
    with pytest.raises(DistilabelUserError, match="positions in this step's input"):
        next(step.process([{"nn_indices": [5], "nn_scores": [0.99]}]))


def test_faiss_then_embedding_dedup_in_a_pipeline(tmp_path: Path) -> None:
    faiss = pytest.importorskip("faiss")
    # Unit vectors: rows 0/1 and 3/4 are near-copies; row 2 stands alone.
    angles = [0.0, 0.05, 1.5, 3.0, 3.02]
    data = [{"id": i, "embedding": [math.cos(a), math.sin(a)]} for i, a in enumerate(angles)]
    with Pipeline(name="dedup", cache_dir=tmp_path) as pipeline:
        nn = FaissNearestNeighbour(k=2, metric_type=faiss.METRIC_INNER_PRODUCT)
        LoadDataFromDicts(data=data, batch_size=2) >> nn >> EmbeddingDedup(threshold=0.99)
    train = pipeline.run(use_cache=False)["default"]["train"]
    assert train["id"] == [0, 1, 2, 3, 4]
    assert train["nn_indices"][0] == [1, 2]
    assert train["keep_row_after_embedding_filtering"] == [True, False, True, True, False]


# --- UMAP and DBSCAN ----------------------------------------------------------------------------------------


def test_dbscan_labels_clusters_and_noise() -> None:
    pytest.importorskip("sklearn")
    step = round_trip(DBSCAN(eps=0.5, min_samples=2))
    assert (DBSCAN().eps, DBSCAN().min_samples, DBSCAN().metric, DBSCAN().n_jobs) == (
        0.3,
        30,
        "euclidean",
        8,
    )
    step.load()
    points = ([0, 0], [0, 0.1], [5, 5], [5, 5.1], [20, 20], [0.2, 0.1])
    rows = next(step.process([{"projection": p} for p in points]))
    assert [r["cluster_label"] for r in rows] == [0, 0, 1, 1, -1, 0]
    assert all(type(r["cluster_label"]) is int for r in rows)


@pytest.mark.slow
def test_umap_then_dbscan_separates_two_blobs(tmp_path: Path) -> None:
    pytest.importorskip("umap")
    pytest.importorskip("sklearn")
    import random

    rng = random.Random(0)
    data = [
        {"id": i, "embedding": [rng.gauss(centre, 0.05) for _ in range(8)]}
        for i, centre in enumerate([0.0] * 20 + [3.0] * 20)
    ]
    with Pipeline(name="umap", cache_dir=tmp_path) as pipeline:
        umap = UMAP(n_components=2, random_state=0, n_jobs=1)
        LoadDataFromDicts(data=data, batch_size=10) >> umap >> DBSCAN(eps=1.0, min_samples=5)
    train = pipeline.run(use_cache=False)["default"]["train"]
    assert all(len(p) == 2 and all(isinstance(x, float) for x in p) for p in train["projection"])
    labels = train["cluster_label"]
    assert len(set(labels[:20])) == 1 and len(set(labels[20:])) == 1
    assert labels[0] != labels[20] and -1 not in labels
    assert (UMAP().n_components, UMAP().metric, UMAP().n_jobs, UMAP().random_state) == (
        2,
        "euclidean",
        8,
        None,
    )
