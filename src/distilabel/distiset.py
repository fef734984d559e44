"""``Distiset``: the output of a pipeline, one ``datasets.DatasetDict`` per leaf step.

A pipeline with a single leaf step gives one configuration called ``"default"``.
"""

import json
import logging
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from distilabel.constants import (
    DISTISET_ARTIFACTS_FOLDER,
    DISTISET_CONFIG_FOLDER,
    STEPS_ARTIFACTS_PATH,
)
from distilabel.errors import DistilabelUserError
from distilabel.utils.unicode import clean_value

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
        artifacts_path: the folder of the artifacts the run's steps saved
            (``Step.save_artifact``), one folder per step, if any.
    """

    pipeline_path: Optional[Path] = None
    log_filename_path: Optional[Path] = None
    _artifacts_path: Optional[Path] = None

    @property
    def artifacts_path(self) -> Optional[Path]:
        """The folder of the artifacts the steps saved: ``<step name>/<artifact name>/`` with a ``metadata.json``."""
        return self._artifacts_path

    @artifacts_path.setter
    def artifacts_path(self, path: Optional[Union[str, os.PathLike]]) -> None:
        self._artifacts_path = Path(path) if path is not None else None

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

    # --- images ---------------------------------------------------------------------------------

    def transform_columns_to_image(self, columns: Union[str, List[str]]) -> "Distiset":
        """Turn columns of base64 image text (e.g. ``ImageGeneration``'s ``image``) into image columns.

        Each column becomes a ``datasets.Image`` column (a list of them for a column
        of lists, as ``group_generations`` makes): reading it gives ``PIL.Image.Image``
        objects, ``push_to_hub`` uploads the images and the Hub's viewer shows them.
        The image bytes are kept as they are, not re-encoded; ``None`` stays ``None``.

        Args:
            columns: the column, or columns, to transform, in every configuration and
                split that has them.

        Returns:
            The distiset itself, transformed in place.

        Raises:
            DistilabelUserError: no configuration has one of the columns, or a value is
                not base64 image data.
        """
        names = [columns] if isinstance(columns, str) else list(columns)
        found: set = set()
        for config, splits in list(self.items()):
            if not isinstance(splits.column_names, dict):
                self[config] = _image_columns(splits, names, found)  # a Dataset, not a DatasetDict
                continue
            for split, dataset in list(splits.items()):
                splits[split] = _image_columns(dataset, names, found)
        missing = [name for name in names if name not in found]
        if missing:
            raise DistilabelUserError(
                f"No configuration of this distiset has the column(s) {missing} to transform into images."
            )
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
        if self.artifacts_path is not None and Path(self.artifacts_path).is_dir():
            shutil.copytree(self.artifacts_path, path / DISTISET_ARTIFACTS_FOLDER, dirs_exist_ok=True)
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
        # distilabel 1.5 keeps them in a `distiset_configs` folder.
        for folder in (path, path / DISTISET_CONFIG_FOLDER):
            if distiset.pipeline_path is None and (folder / _PIPELINE_FILE).exists():
                distiset.pipeline_path = folder / _PIPELINE_FILE
            if distiset.log_filename_path is None and (folder / _LOG_FILE).exists():
                distiset.log_filename_path = folder / _LOG_FILE
        if (path / DISTISET_ARTIFACTS_FOLDER).is_dir():
            distiset.artifacts_path = path / DISTISET_ARTIFACTS_FOLDER
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
        """Push every configuration to the Hub dataset ``repo_id``, with its card and the pipeline's files.

        Each configuration becomes a configuration of the dataset (``load_dataset(repo_id, name)``),
        pushed by ``datasets`` as Parquet files. Then one commit adds the dataset card
        (``README.md``: the configurations, how the data was made and how to make it again),
        ``pipeline.yaml``, ``pipeline.log`` and, with ``include_script``, the script that ran
        the pipeline. Secrets are never uploaded: dumps hold none; the token, the values of
        credential environment variables and the keys components were given are replaced by
        ``**********`` in every uploaded file, and in the script also any string literal given
        to a name like ``api_key`` / ``token`` and anything shaped like a known token (``hf_...``,
        ``sk-...``). ``pipeline.yaml`` and ``pipeline.log`` are uploaded with or without a card.

        Args:
            repo_id: ``"user/name"`` (or ``"name"``, in the token's user's namespace) of the dataset.
            private: create the repository as private (a repository that exists keeps its visibility).
            token: the Hugging Face token; ``HF_TOKEN`` or the token ``hf auth login`` saved when not given.
            generate_card: write the dataset card.
            include_script: upload the Python file that ran the pipeline (the ``__main__`` script),
                under its own name, and link it from the card.
            **kwargs: passed to ``DatasetDict.push_to_hub``: ``commit_message`` (also the message of the
                card's commit), ``commit_description``, ``revision``, ``create_pr``, ``max_shard_size``,
                ``num_shards``, ``embed_external_files``, ``num_proc``.

        Raises:
            DistilabelUserError: there is no token (``no Hugging Face token: set HF_TOKEN or pass
                token=``), the Hub cannot be reached (``cannot reach the Hub at <endpoint>: ...``)
                or it refused the push; each in one line.
        """
        from huggingface_hub import HfApi

        from distilabel.utils.hub import hub_endpoint, hub_errors, hub_token

        token = hub_token(token)
        script = _main_script() if include_script else None
        api = HfApi(endpoint=hub_endpoint(), token=token)
        with hub_errors(f"pushing the dataset {repo_id}"):
            repo_id = api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True).repo_id
            for name, splits in self.items():
                splits.push_to_hub(repo_id, config_name=name, private=private, token=token, **kwargs)
            operations = self._hub_files(api, repo_id, token, generate_card, script, kwargs.get("revision"))
            if operations:
                api.create_commit(
                    repo_id,
                    operations=operations,
                    commit_message=kwargs.get("commit_message") or "Add the dataset card and the pipeline files",
                    commit_description=kwargs.get("commit_description"),
                    repo_type="dataset",
                    revision=kwargs.get("revision"),
                    create_pr=bool(kwargs.get("create_pr")),
                )
        logger.info("Pushed %d configuration(s) to %s/datasets/%s", len(self), hub_endpoint(), repo_id)

    def _hub_files(
        self,
        api: Any,
        repo_id: str,
        token: str,
        generate_card: bool,
        script: Optional["tuple[str, str]"],
        revision: Optional[str],
    ) -> List[Any]:
        """The commit operations that add the card, ``pipeline.yaml``, ``pipeline.log`` and the script."""
        from huggingface_hub import CommitOperationAdd

        from distilabel.utils.hub import scrub_known_secrets, scrub_secrets

        files: Dict[str, str] = {}
        has_pipeline = bool(self.pipeline_path and Path(self.pipeline_path).exists())
        if has_pipeline:
            files[_PIPELINE_FILE] = scrub_known_secrets(Path(self.pipeline_path).read_text(), (token,))  # type: ignore[arg-type]
        if self.log_filename_path and Path(self.log_filename_path).exists():
            files[_LOG_FILE] = scrub_known_secrets(Path(self.log_filename_path).read_text(errors="replace"), (token,))
        if script is not None:
            files[script[0]] = scrub_secrets(script[1], (token,))
        if generate_card:
            from distilabel.utils.card import card_metadata, dataset_card

            metadata = card_metadata(self, _pushed_metadata(api, repo_id, revision))
            files[_CARD_FILE] = dataset_card(
                self, repo_id, metadata, has_pipeline, script_name=script[0] if script else None
            )
        operations = [
            CommitOperationAdd(path_in_repo=path, path_or_fileobj=text.encode()) for path, text in files.items()
        ]
        return operations + self._artifact_operations()

    def _artifact_operations(self) -> List[Any]:
        """Commit operations that upload the steps' artifacts under ``artifacts/``, as distilabel 1.5 does."""
        from huggingface_hub import CommitOperationAdd

        if self.artifacts_path is None or not Path(self.artifacts_path).is_dir():
            return []
        root = Path(self.artifacts_path)
        return [
            CommitOperationAdd(
                path_in_repo=f"{DISTISET_ARTIFACTS_FOLDER}/{file.relative_to(root).as_posix()}",
                path_or_fileobj=str(file),
            )
            for file in sorted(root.rglob("*"))
            if file.is_file()
        ]

    def _card(self, repo_id: Optional[str] = None) -> str:
        """The dataset card ``save_to_disk`` writes beside the configuration folders."""
        from distilabel.utils.card import card_metadata, dataset_card

        has_pipeline = bool(self.pipeline_path and Path(self.pipeline_path).exists())
        return dataset_card(self, repo_id, card_metadata(self, local=True), has_pipeline)


def _main_script() -> "Optional[tuple[str, str]]":
    """``(file name, text)`` of the script that runs this process, or None (with a warning) without one."""
    main = sys.modules.get("__main__")
    path = Path(getattr(main, "__file__", None) or "")
    in_packages = any(part in ("site-packages", "dist-packages") for part in path.parts)
    if path.suffix != ".py" or not path.is_file() or in_packages:
        logger.warning(
            "include_script=True, but this process was not started from a Python script (a notebook,"
            " the CLI or `python -m`): no script is uploaded."
        )
        return None
    return path.name, path.read_text(encoding="utf-8", errors="replace")


def _pushed_metadata(api: Any, repo_id: str, revision: Optional[str]) -> Dict[str, Any]:
    """The metadata block of the README ``datasets`` wrote on the Hub (empty when there is none)."""
    from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError

    from distilabel.utils.card import read_metadata

    try:
        path = api.hf_hub_download(repo_id, _CARD_FILE, repo_type="dataset", revision=revision)
    except (EntryNotFoundError, HfHubHTTPError) as error:
        if getattr(getattr(error, "response", None), "status_code", 404) != 404:
            raise
        return {}
    return read_metadata(Path(path).read_text(encoding="utf-8"))


def _image_columns(dataset: "Dataset", names: List[str], found: set) -> "Dataset":
    """``dataset`` with its base64 text columns among ``names`` as ``datasets.Image`` columns."""
    import datasets

    from distilabel.models.image_generation.utils import decode_base64_image

    image, features, convert = datasets.Image(), dataset.features.copy(), {}
    sequence = getattr(datasets, "List", None) or datasets.Sequence
    for name in names:
        if name not in dataset.column_names:
            continue
        found.add(name)
        feature = features[name]
        if isinstance(feature, datasets.Image) or isinstance(getattr(feature, "feature", None), datasets.Image):
            continue  # transformed already
        is_list = isinstance(feature, (list, datasets.Sequence, sequence))
        features[name] = sequence(image) if is_list else image
        convert[name] = is_list

    def encoded(value: Any) -> Any:
        return None if value is None else {"bytes": decode_base64_image(value), "path": None}

    def transform(batch: Dict[str, List[Any]]) -> Dict[str, List[Any]]:
        for name, is_list in convert.items():
            batch[name] = [
                None if values is None else [encoded(v) for v in values] if is_list else encoded(values)
                for values in batch[name]
            ]
        return batch

    if not convert:
        return dataset
    return dataset.map(transform, batched=True, features=features, desc="Transforming columns to images")


def rows_to_dataset(rows: List[Dict[str, Any]]) -> "Dataset":
    """A ``Dataset`` from rows whose keys may differ (missing values become ``None``).

    Arrow wants one type per column. A column that mixes types (an int here, a str
    there: say a row that failed kept its bad input) is written as text, each value
    not already a string as JSON, with a warning naming it; the row store keeps the
    values as they were.
    """
    import pyarrow as pa
    from datasets import Dataset

    columns: Dict[str, None] = {}
    for row in rows:
        for key in row:
            columns.setdefault(key, None)
    if any(len(row) != len(columns) for row in rows):
        rows = [{key: row.get(key) for key in columns} for row in rows]
    try:
        return Dataset.from_list(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError) as error:
        first_error = error
    rows = clean_value(rows)
    mixed = [column for column in columns if not _one_arrow_type([row[column] for row in rows])]
    for column in mixed:
        kinds = sorted({type(row[column]).__name__ for row in rows if row[column] is not None})
        logger.warning(
            "Column %r mixes value types (%s), and a dataset column holds one type: it is written as"
            " text (JSON for values that are not strings). The run folder's rows keep the original values.",
            column,
            ", ".join(kinds),
        )
        for row in rows:
            value = row[column]
            if value is not None and not isinstance(value, str):
                row[column] = json.dumps(value, ensure_ascii=False, default=repr)
    try:
        return Dataset.from_list(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise DistilabelUserError(
            f"The rows cannot be made into a dataset: {error} (first error: {first_error})."
        ) from error


def _one_arrow_type(values: List[Any]) -> bool:
    import pyarrow as pa

    try:
        pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return False
    return True


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
    artifacts = run_dir / STEPS_ARTIFACTS_PATH
    if artifacts.is_dir() and any(path.is_file() for path in artifacts.rglob("*")):
        distiset.artifacts_path = artifacts
    return distiset


__all__ = ["Distiset", "create_distiset"]
