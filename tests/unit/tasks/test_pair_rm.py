"""PairRM: loading a local checkpoint (a tiny one built here), ranking, clear failures, dumps, a pipeline."""

import itertools
import json
from pathlib import Path
from typing import Any, Dict, List

import pytest

from distilabel.errors import DistilabelUserError
from distilabel.pipeline import Pipeline
from distilabel.steps import LoadDataFromDicts
from distilabel.steps.tasks import PairRM

torch = pytest.importorskip("torch", reason="PairRM runs through torch (pip install 'distilabel[hf-transformers]')")
transformers = pytest.importorskip("transformers")

WORDS = ["hello", "how", "are", "you", "fine", "good", "bad", "the", "a", "is", "it", "sky", "blue", "green", "because", "light"]
SPECIAL = ["[PAD]", "[CLS]", "[SEP]", "[UNK]", "<|source|>", "<|candidate1|>", "<|candidate2|>"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random PairRM checkpoint in the llm-blender/PairRM-hf format, with a word-level tokenizer."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    from distilabel.steps.tasks._pair_ranker import PairRankerModel

    folder = tmp_path_factory.mktemp("pairrm")
    vocab = {token: i for i, token in enumerate(SPECIAL + WORDS)}
    tokenizer = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])]
    )
    fast = transformers.PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]", unk_token="[UNK]"
    )
    fast.add_special_tokens({"additional_special_tokens": SPECIAL[4:]})
    fast.save_pretrained(str(folder))
    config = transformers.DebertaV2Config(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        relative_attention=True,
        position_biased_input=False,
        pos_att_type=["p2c", "c2p"],
        # Large initial weights, so that a random model's comparisons depend on the texts.
        initializer_range=0.5,
        pad_token_id=0,
        n_tasks=1,
        drop_out=0.05,
        source_prefix_id=vocab["<|source|>"],
        cand_prefix_id=vocab["<|candidate1|>"],
        cand1_prefix_id=vocab["<|candidate1|>"],
        cand2_prefix_id=vocab["<|candidate2|>"],
    )
    torch.manual_seed(0)
    PairRankerModel(config).save_pretrained(str(folder))
    return folder


@pytest.fixture(scope="module")
def ranker(checkpoint: Path) -> PairRM:
    step = PairRM(model=str(checkpoint))
    step.load()
    return step


def reference_logit(checkpoint: Path, source: str, first: str, second: str) -> float:
    """PairRM's comparison, computed here from the raw weights with plain torch ops."""
    from safetensors.torch import load_file

    weights = load_file(str(checkpoint / "model.safetensors"))
    config = transformers.AutoConfig.from_pretrained(str(checkpoint))
    encoder = transformers.DebertaV2Model(config)
    encoder.load_state_dict({k.removeprefix("pretrained_model."): v for k, v in weights.items() if k.startswith("pretrained_model.")})
    encoder.eval()
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(checkpoint))
    ids = (
        tokenizer.encode("<|source|>" + source)
        + tokenizer.encode("<|candidate1|>" + first)
        + tokenizer.encode("<|candidate2|>" + second)
    )
    with torch.no_grad():
        hidden = encoder(input_ids=torch.tensor([ids])).last_hidden_state[0]

        def head(vector: Any) -> Any:
            inner = torch.tanh(vector @ weights["head_layer.1.weight"].T + weights["head_layer.1.bias"])
            return inner @ weights["head_layer.4.weight"].T + weights["head_layer.4.bias"]

        source_h, first_h, second_h = (hidden[ids.index(config.__dict__[f])] for f in ("source_prefix_id", "cand1_prefix_id", "cand2_prefix_id"))
        return float((head(torch.cat([source_h, first_h])) - head(torch.cat([source_h, second_h]))).mean())


def expected_ranks(checkpoint: Path, source: str, candidates: List[str]) -> List[int]:
    n = len(candidates)
    logit = {(i, j): reference_logit(checkpoint, source, candidates[i], candidates[j]) for i, j in itertools.permutations(range(n), 2)}
    scores = [sum(logit[i, j] - logit[j, i] for j in range(n) if j != i) for i in range(n)]
    return [1 + sum(other > score for other in scores) for score in scores]


def test_fields_columns_and_defaults() -> None:
    step = PairRM()
    assert step.model == "llm-blender/PairRM" and step.instructions is None and step.input_batch_size == 50
    assert step.inputs == ["input", "candidates"]
    assert step.outputs == ["ranks", "ranked_candidates", "model_name"]


def test_ranks_match_the_pairwise_comparisons_of_the_weights(ranker: PairRM, checkpoint: Path) -> None:
    rows = [
        {"input": "hello how are you", "candidates": ["fine", "good", "bad"]},
        {"input": "is the sky blue", "candidates": ["the sky is blue", "green", "because light", "it is"]},
    ]
    out = next(ranker.process([dict(r) for r in rows]))
    for row, original in zip(out, rows, strict=True):
        ranks = expected_ranks(checkpoint, original["input"], original["candidates"])
        assert row["ranks"] == ranks
        assert sorted(row["ranks"]) == list(range(1, len(ranks) + 1))
        best_first = sorted(range(len(ranks)), key=lambda k: ranks[k])
        assert row["ranked_candidates"] == [original["candidates"][k] for k in best_first]
        assert row["model_name"] == str(checkpoint)
        assert row["input"] == original["input"] and row["candidates"] == original["candidates"]


def test_ranking_follows_the_candidates_when_their_order_changes(ranker: PairRM) -> None:
    candidates = ["the sky is blue", "green", "because light", "it is"]
    [forward] = next(ranker.process([{"input": "is the sky blue", "candidates": candidates}]))
    [backward] = next(ranker.process([{"input": "is the sky blue", "candidates": candidates[::-1]}]))
    assert backward["ranks"] == forward["ranks"][::-1]
    assert backward["ranked_candidates"] == forward["ranked_candidates"]


def test_instructions_are_put_before_the_input(checkpoint: Path) -> None:
    step = PairRM(model=str(checkpoint), instructions="hello ")
    step.load()
    [row] = next(step.process([{"input": "how are you", "candidates": ["fine", "good", "bad"]}]))
    assert row["ranks"] == expected_ranks(checkpoint, "hello how are you", ["fine", "good", "bad"])


def test_a_small_input_batch_size_gives_the_same_ranks(checkpoint: Path, ranker: PairRM) -> None:
    rows = [{"input": "is the sky blue", "candidates": ["the sky is blue", "green", "because light"]}]
    small = PairRM(model=str(checkpoint), input_batch_size=1)
    small.load()
    assert next(small.process([dict(r) for r in rows]))[0]["ranks"] == next(ranker.process([dict(r) for r in rows]))[0]["ranks"]


def test_without_a_local_model_load_fails_clearly_and_downloads_nothing(tmp_path: Path) -> None:
    with pytest.raises(DistilabelUserError, match="local folder.*does not download"):
        PairRM().load()
    with pytest.raises(DistilabelUserError, match="not one"):
        PairRM(model=str(tmp_path / "missing")).load()
    with pytest.raises(DistilabelUserError, match="no config.json"):
        PairRM(model=str(tmp_path)).load()
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(DistilabelUserError, match="not a checkpoint in the format of llm-blender/PairRM-hf"):
        PairRM(model=str(tmp_path)).load()


def test_bad_rows_and_an_unloaded_step_fail_clearly(ranker: PairRM) -> None:
    with pytest.raises(DistilabelUserError, match="non-empty list of strings"):
        next(ranker.process([{"input": "hi", "candidates": "fine"}]))
    with pytest.raises(DistilabelUserError, match="`input` to be a string"):
        next(ranker.process([{"input": None, "candidates": ["a"]}]))
    with pytest.raises(RuntimeError, match="not loaded"):
        next(PairRM(model="x").process([{"input": "hi", "candidates": ["a"]}]))


def test_dump_and_from_dict_round_trip(checkpoint: Path) -> None:
    step = PairRM(model=str(checkpoint), instructions="Rate: ", input_batch_size=4)
    dumped = step.dump()
    assert (dumped["model"], dumped["instructions"], dumped["input_batch_size"]) == (str(checkpoint), "Rate: ", 4)
    again = PairRM.from_dict(dumped)
    assert (again.model, again.instructions, again.input_batch_size) == (str(checkpoint), "Rate: ", 4)


def test_in_a_pipeline(checkpoint: Path, tmp_path: Path) -> None:
    data: List[Dict[str, Any]] = [
        {"input": "hello how are you", "candidates": ["fine", "good", "bad"]},
        {"input": "is the sky blue", "candidates": ["green", "the sky is blue"]},
    ]
    with Pipeline(name="pair-rm", cache_dir=tmp_path) as pipeline:
        LoadDataFromDicts(data=data) >> PairRM(model=str(checkpoint))
    rows = list(pipeline.run(use_cache=False)["default"]["train"])
    assert len(rows) == 2
    for row, original in zip(sorted(rows, key=lambda r: r["input"]), data, strict=True):
        assert row["ranks"] == expected_ranks(checkpoint, original["input"], original["candidates"])
        assert sorted(row["ranked_candidates"]) == sorted(original["candidates"])
