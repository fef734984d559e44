"""Column and formatting steps behave as distilabel 1.5's: names, metadata merging, ties, optional columns."""

import hashlib
import json
from pathlib import Path

import pytest

from distilabel.errors import DistilabelUserError
from distilabel.pipeline import Pipeline
from distilabel.steps import (
    CombineColumns,
    CombineOutputs,
    ExpandColumns,
    FormatChatGenerationDPO,
    FormatChatGenerationSFT,
    FormatTextGenerationDPO,
    FormatTextGenerationSFT,
    GroupColumns,
    LoadDataFromDicts,
    MergeColumns,
)
from distilabel.steps.columns.utils import merge_distilabel_metadata
from distilabel.steps.formatting.sft import prompt_id
from distilabel.steps.tasks import TextGeneration
from tests.unit.pipeline.fakes import EchoAsyncLLM

# --- GroupColumns / CombineColumns -----------------------------------------------------------------------


def test_group_columns_names_outputs_grouped() -> None:
    step = GroupColumns(columns=["generation", "model_name"])
    assert step.outputs == ["grouped_generation", "grouped_model_name"]
    rows = next(
        step.process(
            [{"id": 0, "generation": "a", "model_name": "m1", "extra": "first"}],
            [{"id": 0, "generation": "b", "model_name": "m2", "extra": "second"}],
        )
    )
    # Other columns: the later upstream row's value wins.
    assert rows == [
        {
            "id": 0,
            "extra": "second",
            "grouped_generation": ["a", "b"],
            "grouped_model_name": ["m1", "m2"],
        }
    ]


def test_group_columns_skips_missing_values_and_renames() -> None:
    step = GroupColumns(
        columns=["generation", "model_name"], output_columns=["generations", "generation_models"]
    )
    rows = next(
        step.process(
            [{"generation": "a"}, {"model_name": "m"}],
            [{"generation": "b", "model_name": "m2"}, {"generation": "c"}],
        )
    )
    # A row without a grouped column adds nothing to its list.
    assert rows == [
        {"generations": ["a", "b"], "generation_models": ["m2"]},
        {"generation_models": ["m"], "generations": ["c"]},
    ]
    with pytest.raises(ValueError, match="one output name per grouped column"):
        GroupColumns(columns=["a", "b"], output_columns=["x"])


def test_group_columns_merges_metadata_keeping_repeated_keys() -> None:
    step = GroupColumns(columns=["generation"])
    [row] = next(
        step.process(
            [
                {
                    "generation": "a",
                    "distilabel_metadata": {"statistics_t0": {"input_tokens": 3}, "shared": 1},
                }
            ],
            [
                {
                    "generation": "b",
                    "distilabel_metadata": {"statistics_t1": {"input_tokens": 4}, "shared": 2},
                }
            ],
            [{"generation": "c"}],
        )
    )
    assert row["grouped_generation"] == ["a", "b", "c"]
    assert row["distilabel_metadata"] == {
        "statistics_t0": {"input_tokens": 3},
        "statistics_t1": {"input_tokens": 4},
        "shared": [1, 2],
    }
    [plain] = next(step.process([{"generation": "a"}], [{"generation": "b"}]))
    assert "distilabel_metadata" not in plain


def test_combine_columns_is_a_deprecated_group_columns() -> None:
    with pytest.warns(DeprecationWarning, match="GroupColumns"):
        step = CombineColumns(columns=["g"])
    assert isinstance(step, GroupColumns)
    assert next(step.process([{"g": 1}], [{"g": 2}])) == [{"grouped_g": [1, 2]}]


def test_group_columns_in_a_pipeline(tmp_path: Path) -> None:
    with Pipeline(name="group", cache_dir=tmp_path, enable_metadata=True) as pipeline:
        load = LoadDataFromDicts(data=[{"instruction": "q0"}, {"instruction": "q1"}])
        tasks = [TextGeneration(name=f"t{i}", llm=EchoAsyncLLM()) for i in range(2)]
        load >> tasks >> GroupColumns(columns=["generation", "model_name"])
    train = pipeline.run(use_cache=False)["default"]["train"]
    assert train["grouped_generation"] == [["Echo: q0", "Echo: q0"], ["Echo: q1", "Echo: q1"]]
    assert train["grouped_model_name"] == [["echo-async", "echo-async"]] * 2
    metadata = train["distilabel_metadata"][0]
    assert metadata["statistics_t0"] == {"input_tokens": 2, "output_tokens": 3}
    assert metadata["statistics_t1"] == {"input_tokens": 2, "output_tokens": 3}


# --- CombineOutputs ----------------------------------------------------------------------------------------


def test_combine_outputs_keeps_both_values_of_a_repeated_metadata_key() -> None:
    rows = next(
        CombineOutputs().process(
            [{"a": 1, "shared": "left", "distilabel_metadata": {"k": 1, "only_left": True}}],
            [{"b": 2, "shared": "right", "distilabel_metadata": {"k": 2}}],
        )
    )
    assert rows == [
        {"a": 1, "b": 2, "shared": "right", "distilabel_metadata": {"k": [1, 2], "only_left": True}}
    ]
    # Like 1.5, the merged row always has distilabel_metadata.
    assert next(CombineOutputs().process([{"a": 1}], [{"b": 2}])) == [
        {"a": 1, "b": 2, "distilabel_metadata": {}}
    ]


def test_merge_distilabel_metadata_concatenates_per_generation_lists() -> None:
    merged = merge_distilabel_metadata(
        {"distilabel_metadata": [{"raw_output_t": "x"}]},
        {"distilabel_metadata": [{"raw_output_t": "y"}]},
    )
    assert merged == [{"raw_output_t": "x"}, {"raw_output_t": "y"}]
    assert merge_distilabel_metadata({"a": 1}, {"distilabel_metadata": {"k": 1}}) == {"k": 1}


# --- ExpandColumns -----------------------------------------------------------------------------------------


def test_expand_columns_keeps_the_source_column_when_renamed() -> None:
    step = ExpandColumns(columns={"generations": "generation"})
    assert step.inputs == ["generations"] and step.outputs == ["generation"]
    rows = next(step.process([{"id": 0, "generations": ["a", "b"]}]))
    assert rows == [
        {"id": 0, "generations": ["a", "b"], "generation": "a"},
        {"id": 0, "generations": ["a", "b"], "generation": "b"},
    ]
    # Not renamed: the list is replaced by its elements.
    assert next(ExpandColumns(columns=["xs"]).process([{"xs": [1, 2], "k": 0}])) == [
        {"xs": 1, "k": 0},
        {"xs": 2, "k": 0},
    ]


def test_expand_columns_several_columns_encoded_and_uneven() -> None:
    step = ExpandColumns(columns={"a": "x", "b": "b"}, encoded=["a"])
    rows = next(step.process([{"a": json.dumps([1, 2, 3]), "b": ["p", "q"]}]))
    assert [(r["x"], r["b"]) for r in rows] == [(1, "p"), (2, "q"), (3, None)]
    assert rows[0]["a"] == [1, 2, 3]  # the decoded source column
    assert next(ExpandColumns(columns=["a"], encoded=True).process([{"a": "[4, 5]"}])) == [
        {"a": 4},
        {"a": 5},
    ]
    assert next(ExpandColumns(columns=["a"]).process([{"a": []}])) == []
    with pytest.raises(ValueError, match="subset"):
        ExpandColumns(columns=["a"], encoded=["b"])
    with pytest.raises(DistilabelUserError, match="is not a list"):
        next(ExpandColumns(columns=["a"]).process([{"a": "not a list"}]))


def test_expand_columns_split_statistics_divides_token_counts() -> None:
    step = ExpandColumns(columns=["instructions"], split_statistics=True)
    metadata = {
        "statistics_gen": {"input_tokens": [12], "output_tokens": [30]},
        "statistics_other": {"input_tokens": 9, "output_tokens": 6},
        "raw_output_gen": "1. a 2. b 3. c",
    }
    rows = next(step.process([{"instructions": ["a", "b", "c"], "distilabel_metadata": metadata}]))
    assert [r["instructions"] for r in rows] == ["a", "b", "c"]
    for row in rows:
        assert row["distilabel_metadata"] == {
            "statistics_gen": {"input_tokens": [4], "output_tokens": [10]},
            "statistics_other": {"input_tokens": 3, "output_tokens": 2},
            "raw_output_gen": "1. a 2. b 3. c",
        }
    # Each expanded row owns its metadata, and the input's is left as it was.
    rows[0]["distilabel_metadata"]["new"] = 1
    assert "new" not in rows[1]["distilabel_metadata"]
    assert metadata["statistics_gen"] == {"input_tokens": [12], "output_tokens": [30]}
    unsplit = next(
        ExpandColumns(columns=["instructions"]).process(
            [{"instructions": ["a", "b"], "distilabel_metadata": metadata}]
        )
    )
    assert unsplit[0]["distilabel_metadata"]["statistics_gen"] == {
        "input_tokens": [12],
        "output_tokens": [30],
    }


# --- MergeColumns --------------------------------------------------------------------------------------------


def test_merge_columns_default_name() -> None:
    step = MergeColumns(columns=["q1", "q2"])
    assert step.outputs == ["merged_column"]
    assert next(step.process([{"q1": "a", "q2": ["b", "c"], "k": 1}])) == [
        {"k": 1, "merged_column": ["a", "b", "c"]}
    ]


# --- SFT -------------------------------------------------------------------------------------------------------


def test_format_chat_generation_sft_takes_the_first_user_turn() -> None:
    messages = [
        {"role": "system", "content": "be kind"},
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "first answer"},
        {"role": "user", "content": "second question"},
    ]
    [row] = next(
        FormatChatGenerationSFT().process([{"messages": messages, "generation": "second answer"}])
    )
    assert row["prompt"] == "first question"
    assert (
        row["prompt_id"]
        == prompt_id("first question")
        == hashlib.sha256(b"first question").hexdigest()
    )
    assert row["messages"] == [*messages, {"role": "assistant", "content": "second answer"}]
    with pytest.raises(DistilabelUserError, match="no user message"):
        next(
            FormatChatGenerationSFT().process(
                [{"messages": [{"role": "system", "content": "x"}], "generation": "y"}]
            )
        )


def test_format_text_generation_sft_ignores_an_empty_system_prompt() -> None:
    [row] = next(
        FormatTextGenerationSFT().process(
            [{"instruction": "q", "generation": "a", "system_prompt": ""}]
        )
    )
    assert row["messages"] == [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "a"},
    ]


# --- DPO -------------------------------------------------------------------------------------------------------


def test_format_text_generation_dpo_picks_the_first_max_and_first_min_on_ties() -> None:
    [row] = next(
        FormatTextGenerationDPO().process(
            [
                {
                    "instruction": "q",
                    "generations": ["g0", "g1", "g2", "g3"],
                    "ratings": [2, 5, 5, 2],
                    "generation_models": ["m0", "m1", "m2", "m3"],
                }
            ]
        )
    )
    assert row["chosen"] == [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "g1"},
    ]
    assert row["rejected"] == [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "g0"},
    ]
    assert (row["chosen_model"], row["chosen_rating"]) == ("m1", 5)
    assert (row["rejected_model"], row["rejected_rating"]) == ("m0", 2)
    assert row["prompt"] == "q" and row["prompt_id"] == prompt_id("q")


def test_format_dpo_without_generation_models_writes_no_model_columns() -> None:
    [row] = next(
        FormatTextGenerationDPO().process(
            [
                {
                    "instruction": "q",
                    "system_prompt": "s",
                    "generations": ["a", "b"],
                    "ratings": [1.0, 3.0],
                }
            ]
        )
    )
    assert "chosen_model" not in row and "rejected_model" not in row
    assert row["chosen"] == [
        {"role": "system", "content": "s"},
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "b"},
    ]
    assert (row["chosen_rating"], row["rejected_rating"]) == (3.0, 1.0)
    [chat] = next(
        FormatChatGenerationDPO().process(
            [
                {
                    "messages": [{"role": "user", "content": "hi"}],
                    "generations": ["x", "y"],
                    "ratings": [4, 4],
                }
            ]
        )
    )
    assert "chosen_model" not in chat and "rejected_model" not in chat
    # All tied: the first generation is both the first max and the first min.
    assert chat["chosen"][-1]["content"] == "x" and chat["rejected"][-1]["content"] == "x"


def test_format_chat_generation_dpo_prompt_is_the_first_user_turn_and_unrated_are_skipped() -> None:
    messages = [
        {"role": "user", "content": "opening"},
        {"role": "assistant", "content": "reply"},
        {"role": "user", "content": "follow-up"},
    ]
    [row] = next(
        FormatChatGenerationDPO().process(
            [
                {
                    "messages": messages,
                    "generations": ["x", "y", "z"],
                    "ratings": [None, 1, 3],
                    "generation_models": ["mx", "my", "mz"],
                }
            ]
        )
    )
    assert row["prompt"] == "opening" and row["prompt_id"] == prompt_id("opening")
    assert row["chosen"] == [*messages, {"role": "assistant", "content": "z"}]
    assert row["rejected"] == [*messages, {"role": "assistant", "content": "y"}]
    assert (row["chosen_model"], row["rejected_model"]) == ("mz", "my")
    [unrated] = next(
        FormatChatGenerationDPO().process(
            [
                {
                    "messages": messages,
                    "generations": ["x"],
                    "ratings": [None],
                    "generation_models": ["mx"],
                }
            ]
        )
    )
    assert (
        unrated["chosen"] is None
        and unrated["rejected"] is None
        and unrated["chosen_model"] is None
    )
