"""``Distiset``: the output of a pipeline, one ``datasets.DatasetDict`` per leaf step.

A pipeline with a single leaf step gives one configuration called ``"default"``.
"""

import json
import logging
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from distilabel.errors import DistilabelUserError

if TYPE_CHECKING:
    from datasets import Dataset

logger = logging.getLogger("distilabel.distiset")

_PIPELINE_FILE = "pipeline.yaml"
_LOG_FILE = "pipeline.log"
_CARD_FILE = "README.md"
_METADATA_COLUMN = "distilabel_metadata"


class Distiset(dict):
    """Configuration names mapped to ``datasets.DatasetDict`` (split ``"train"`` by default).

    Attributes:
        pipeline_path: the ``pipeline.yaml`` of the run that made it, if known.
        log_filename_path: the ``pipeline.log`` of that run, if known.
    """

    pipeline_path: Optional[Path] = None
    log_filename_path: Optional[Path] = None

    def __repr__(self) -> str:
        inner = ",\n".join(f"  {name}: {dataset!r}".replace("\n", "\n  ") for name, dataset in self.items())
        return f"Distiset({{\n{inner}\n}})"

    # --- splits ---------------------------------------------------------------------------------

    def train_test_split(
        self, train_size: float, shuffle: bool = True, seed: Optional[int] = None
    ) -> "Distiset":
        """Split the ``train`` split of every configuration into ``train`` and ``test``.

        Args:
            train_size: the fraction of rows (0 to 1) that goes to ``train``.
            shuffle: shuffle before splitting.
            seed: the seed of the shuffle.
        """
        if not 0 < train_size < 1:
            raise DistilabelUserError(f"train_size must be between 0 and 1, got {train_size}.")
        for name, dataset_dict in self.items():
            if "train" not in dataset_dict:
                raise DistilabelUserError(f"Configuration {name!r} has no 'train' split to divide.")
            self[name] = dataset_dict["train"].train_test_split(train_size=train_size, shuffle=shuffle, seed=seed)
        return self

    # --- disk -----------------------------------------------------------------------------------

    def save_to_disk(
        self,
        distiset_path: Union[str, os.PathLike],
        max_shard_size: Optional[Union[str, int]] = None,
        num_shards: Optional[int] = None,
        num_proc: Optional[int] = None,
        storage_options: Optional[Dict[str, Any]] = None,
        save_card: bool = True,
        save_pipeline_config: bool = True,
        save_pipeline_log: bool = True,
    ) -> None:
        """Save every configuration under ``distiset_path/<name>``, with the card and pipeline files."""
        path = Path(distiset_path)
        path.mkdir(parents=True, exist_ok=True)
        for name, dataset_dict in self.items():
            dataset_dict.save_to_disk(
                str(path / name), max_shard_size=max_shard_size, num_shards=num_shards, num_proc=num_proc
            )
        if save_pipeline_config and self.pipeline_path and Path(self.pipeline_path).exists():
            shutil.copyfile(self.pipeline_path, path / _PIPELINE_FILE)
        if save_pipeline_log and self.log_filename_path and Path(self.log_filename_path).exists():
            shutil.copyfile(self.log_filename_path, path / _LOG_FILE)
        if save_card:
            (path / _CARD_FILE).write_text(self._card())
        (path / "distiset.json").write_text(json.dumps({"configs": list(self)}))

    @classmethod
    def load_from_disk(
        cls,
        distiset_path: Union[str, os.PathLike],
        keep_in_memory: Optional[bool] = None,
        storage_options: Optional[Dict[str, Any]] = None,
        download_dir: Optional[Union[str, os.PathLike]] = None,
    ) -> "Distiset":
        """Load a distiset written by ``save_to_disk``."""
        from datasets import load_from_disk

        path = Path(distiset_path)
        if not path.is_dir():
            raise DistilabelUserError(f"No distiset at {str(path)!r}: the directory does not exist.")
        distiset = cls()
        for child in sorted(path.iterdir()):
            if child.is_dir() and (child / "dataset_dict.json").exists():
                distiset[child.name] = load_from_disk(str(child), keep_in_memory=keep_in_memory)
        if not distiset:
            raise DistilabelUserError(f"No distiset at {str(path)!r}: it has no saved configurations.")
        if (path / _PIPELINE_FILE).exists():
            distiset.pipeline_path = path / _PIPELINE_FILE
        if (path / _LOG_FILE).exists():
            distiset.log_filename_path = path / _LOG_FILE
        return distiset

    # --- the Hub ----------------------------------------------------------------------------------

    def push_to_hub(
        self,
        repo_id: str,
        private: bool = False,
        token: Optional[str] = None,
        generate_card: bool = True,
        include_script: bool = False,
        **kwargs: Any,
    ) -> None:
        """Push every configuration to the Hub dataset ``repo_id``, with the card and ``pipeline.yaml``.

        Args:
            repo_id: ``"user/name"`` of the dataset repository.
            private: create the repository as private.
            token: the Hugging Face token; ``HF_TOKEN`` or the cached login when not given.
            generate_card: write a dataset card (``README.md``).
            include_script: accepted for compatibility (the script is not uploaded).
            **kwargs: passed to ``DatasetDict.push_to_hub``.
        """
        from huggingface_hub import HfApi

        token = token or os.environ.get("HF_TOKEN")
        for name, dataset_dict in self.items():
            dataset_dict.push_to_hub(repo_id, config_name=name, private=private, token=token, **kwargs)
        api = HfApi(token=token)
        if self.pipeline_path and Path(self.pipeline_path).exists():
            api.upload_file(
                path_or_fileobj=str(self.pipeline_path),
                path_in_repo=_PIPELINE_FILE,
                repo_id=repo_id,
                repo_type="dataset",
            )
        if generate_card:
            api.upload_file(
                path_or_fileobj=self._card().encode(), path_in_repo=_CARD_FILE, repo_id=repo_id, repo_type="dataset"
            )

    def _card(self, repo_id: Optional[str] = None) -> str:
        """A dataset card: configurations, splits, columns, and how to reproduce the data."""
        configs = []
        body = []
        for name, dataset_dict in self.items():
            splits = {split: len(dataset) for split, dataset in dataset_dict.items()}
            configs.append(
                f"- config_name: {name}\n  data_files:\n"
                + "".join(f"  - split: {split}\n    path: {name}/{split}/*\n" for split in splits)
            )
            first = next(iter(dataset_dict.values()), None)
            columns = ", ".join(first.column_names) if first is not None else ""
            body.append(f"### Configuration `{name}`\n\nSplits: {splits}. Columns: {columns}.\n")
        load_id = repo_id or "<repo_id>"
        return (
            "---\ntags:\n- synthetic\n- distilabel\nconfigs:\n"
            + "".join(configs)
            + "---\n\n# Dataset built with distilabel\n\n"
            + "The `pipeline.yaml` beside this card describes the pipeline that made it; run it again with\n\n"
            + "```console\ndistilabel pipeline run --config pipeline.yaml\n```\n\n"
            + "\n".join(body)
            + "\n## Loading\n\n```python\nfrom datasets import load_dataset\n\n"
            + f'ds = load_dataset("{load_id}", "{next(iter(self), "default")}")\n```\n'
        )


def rows_to_dataset(rows: List[Dict[str, Any]]) -> "Dataset":
    """A ``Dataset`` from rows whose keys may differ (missing values become ``None``)."""
    from datasets import Dataset

    columns: Dict[str, None] = {}
    for row in rows:
        for key in row:
            columns.setdefault(key, None)
    if any(len(row) != len(columns) for row in rows):
        rows = [{key: row.get(key) for key in columns} for row in rows]
    return Dataset.from_list(rows)


def create_distiset(
    run_dir: Path,
    leaf_dirs: Dict[str, Path],
    enable_metadata: bool = False,
    pipeline_path: Optional[Path] = None,
    log_filename_path: Optional[Path] = None,
) -> Distiset:
    """Build the ``Distiset`` of a run from the row stores of its leaf steps."""
    from datasets import DatasetDict

    from distilabel.pipeline.row_store import RowStore

    distiset = Distiset()
    for name, directory in leaf_dirs.items():
        rows = RowStore.read_sorted(directory)
        if not enable_metadata:
            for row in rows:
                row.pop(_METADATA_COLUMN, None)
        distiset[name] = DatasetDict({"train": rows_to_dataset(rows)})
    if len(distiset) == 1:
        distiset["default"] = distiset.pop(next(iter(distiset)))
    distiset.pipeline_path = pipeline_path
    distiset.log_filename_path = log_filename_path
    return distiset


__all__ = ["Distiset", "create_distiset"]
