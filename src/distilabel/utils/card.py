"""The dataset card (``README.md``) of a distiset: its metadata block and a body for readers.

The metadata block is what the Hub and ``datasets.load_dataset`` read: the ``configs`` (which
files make which configuration and split) and ``dataset_info`` that ``datasets`` wrote when it
pushed the data, kept as they are, plus the ``tags`` and ``size_categories`` of a distilabel
dataset. The body says how the data was made, how to run the pipeline again and what each
configuration holds, with one example row.
"""

import json
import re
from typing import TYPE_CHECKING, Any, Dict, List, Optional

import yaml

if TYPE_CHECKING:
    from distilabel.distiset import Distiset

CARD_TAGS = ["synthetic", "distilabel", "rlaif"]
_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.DOTALL)
_MAX_EXAMPLE_LIST = 10
_MAX_EXAMPLE_TEXT = 2000
_SIZES = [
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
    (10_000_000_000, "1B<n<10B"),
    (100_000_000_000, "10B<n<100B"),
    (1_000_000_000_000, "100B<n<1T"),
]


def size_category(rows: int) -> str:
    """The Hub's ``size_categories`` value for a dataset of ``rows`` rows."""
    for limit, name in _SIZES:
        if rows < limit:
            return name
    return "n>1T"


def read_metadata(readme: str) -> Dict[str, Any]:
    """The YAML metadata block at the top of a README (empty when it has none)."""
    match = _FRONT_MATTER.match(readme)
    if match is None:
        return {}
    data = yaml.safe_load(match.group(1))
    return data if isinstance(data, dict) else {}


def config_entries(distiset: "Distiset", local: bool = False) -> List[Dict[str, Any]]:
    """``configs`` entries for the distiset's configurations.

    On the Hub the files of a configuration are where ``datasets`` puts them (``data/`` for
    ``default``, the configuration's name for the others); beside ``save_to_disk`` folders
    they are the Arrow files of ``<config>/<split>/``.
    """
    entries = []
    for name, splits in distiset.items():
        folder = "data" if name == "default" and not local else name
        pattern = "{folder}/{split}/*.arrow" if local else "{folder}/{split}-*"
        names = list(splits) if hasattr(splits, "keys") else ["train"]
        files = [{"split": split, "path": pattern.format(folder=folder, split=split)} for split in names]
        entries.append({"config_name": name, "data_files": files})
    return entries


def card_metadata(distiset: "Distiset", pushed: Optional[Dict[str, Any]] = None, local: bool = False) -> Dict[str, Any]:
    """The metadata block: what ``datasets`` pushed (``pushed``), distilabel's tags and the size.

    A configuration the pushed metadata does not list (or all of them, when it could not be
    read) gets its ``configs`` entry from ``config_entries``.

    Args:
        distiset: the distiset the card describes.
        pushed: the metadata of the README ``datasets`` wrote on the Hub, if read.
        local: the card sits beside ``save_to_disk`` folders.
    """
    metadata = dict(pushed or {})
    metadata["tags"] = CARD_TAGS + [tag for tag in metadata.get("tags") or [] if tag not in CARD_TAGS]
    metadata["size_categories"] = size_category(max((_rows(splits) for splits in distiset.values()), default=0))
    configs = [entry for entry in metadata.get("configs") or [] if isinstance(entry, dict)]
    known = {entry.get("config_name") for entry in configs}
    metadata["configs"] = configs + [e for e in config_entries(distiset, local) if e["config_name"] not in known]
    return metadata


def dataset_card(
    distiset: "Distiset",
    repo_id: Optional[str],
    metadata: Dict[str, Any],
    has_pipeline: bool,
    script_name: Optional[str] = None,
) -> str:
    """The whole ``README.md``: the metadata block, then the body.

    Args:
        distiset: the distiset the card describes.
        repo_id: the Hub dataset, for the snippets; a placeholder when saved to disk.
        metadata: the metadata block (see ``card_metadata``).
        has_pipeline: a ``pipeline.yaml`` sits beside the card.
        script_name: the file name of the uploaded script that ran the pipeline, if any.
    """
    name = repo_id or "<user>/<dataset>"
    intro = (
        "This dataset was made with [distilabel](https://github.com/argilla-io/distilabel), which builds"
        " datasets with large language models."
    )
    if script_name:
        intro += f" The script that ran the pipeline, [`{script_name}`]({script_name}), is in this repository."
    sections = [
        "---\n" + yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True, width=1000) + "---",
        f"# Dataset card for {name.split('/')[-1]}",
        intro,
    ]
    if has_pipeline:
        sections += [
            "## Making it again",
            "`pipeline.yaml` in this repository is the pipeline that made the data: its steps, their"
            " parameters and the models they called (API keys are never written to it). Download it, then"
            " see what it does or run it again:",
            "```console\n"
            f"hf download {name} pipeline.yaml --repo-type dataset --local-dir .\n"
            "distilabel pipeline info --config pipeline.yaml\n"
            "distilabel pipeline run --config pipeline.yaml\n"
            "```",
        ]
    sections += _structure(distiset, name)
    return "\n\n".join(sections) + "\n"


def _structure(distiset: "Distiset", name: str) -> List[str]:
    """The sections on the configurations: splits, columns, an example row, how to load it."""
    configs = ", ".join(f"`{config}`" for config in distiset)
    plural = "s" if len(distiset) != 1 else ""
    sections = ["## Dataset structure", f"{len(distiset)} configuration{plural}, one per leaf step of the pipeline: {configs}."]
    for config, splits in distiset.items():
        split_items = list(splits.items()) if hasattr(splits, "keys") else [("train", splits)]
        sections.append(f"### Configuration `{config}`")
        sections.append("\n".join(["| split | rows |", "|---|---|", *(f"| {split} | {len(data)} |" for split, data in split_items)]))
        first = split_items[0][1] if split_items else None
        if first is not None:
            columns = ", ".join(f"`{column}` ({_type_name(feature)})" for column, feature in first.features.items())
            sections.append(f"Columns: {columns}.")
            if len(first):
                example = json.dumps(_shorten(first[0]), indent=4, ensure_ascii=False, default=str)
                sections.append(f"<details><summary>An example row</summary>\n\n```json\n{example}\n```\n\n</details>")
        sections.append(f'```python\nfrom datasets import load_dataset\n\nds = load_dataset("{name}", "{config}")\n```')
    return sections


def _rows(splits: Any) -> int:
    if hasattr(splits, "keys"):
        return max((len(dataset) for dataset in splits.values()), default=0)
    return len(splits)


def _type_name(feature: Any) -> str:
    dtype = getattr(feature, "dtype", None)
    if isinstance(dtype, str) and dtype != "list":
        return dtype
    inner = getattr(feature, "feature", None)
    if inner is not None:
        return f"list of {_type_name(inner)}"
    if isinstance(feature, dict):
        return "struct"
    if isinstance(feature, list) and feature:
        return f"list of {_type_name(feature[0])}"
    return type(feature).__name__.lower()


def _shorten(value: Any) -> Any:
    """An example value small enough for a card: long lists and texts cut, images left out."""
    if isinstance(value, dict):
        return {key: _shorten(item) for key, item in value.items()}
    if isinstance(value, list):
        shown = [_shorten(item) for item in value[:_MAX_EXAMPLE_LIST]]
        if len(value) > _MAX_EXAMPLE_LIST:
            shown.append(f"... ({len(value) - _MAX_EXAMPLE_LIST} more of {len(value)})")
        return shown
    if isinstance(value, str) and len(value) > _MAX_EXAMPLE_TEXT:
        return value[:_MAX_EXAMPLE_TEXT] + f"... ({len(value)} characters)"
    if isinstance(value, (bytes, bytearray)) or type(value).__module__.startswith("PIL"):
        return "<binary>"
    return value


__all__ = ["CARD_TAGS", "card_metadata", "config_entries", "dataset_card", "read_metadata", "size_category"]
