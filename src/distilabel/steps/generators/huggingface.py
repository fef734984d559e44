"""Generator steps reading ``datasets`` data: from the Hub cache, a local path, files."""

from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from pydantic import Field, PrivateAttr

from distilabel.errors import DistilabelUserError
from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.steps.base import GeneratorStep
from distilabel.utils.ignored import warn_ignored

if TYPE_CHECKING:
    from distilabel.typing.steps import GeneratorStepOutput, StepColumns

_FILETYPES = {".jsonl": "json", ".json": "json", ".csv": "csv", ".parquet": "parquet", ".txt": "text"}


class _DatasetGenerator(GeneratorStep):
    """Yields the rows of a ``datasets.Dataset`` loaded in ``load()``."""

    num_examples: Optional[RuntimeParameter[int]] = Field(
        default=None, description="The number of examples to load; all when not given."
    )
    _dataset: Any = PrivateAttr(default=None)

    def _load_dataset(self) -> Any:
        raise NotImplementedError

    def load(self) -> None:
        super().load()
        if getattr(self, "streaming", False):
            warn_ignored(
                f"{type(self).__name__}(streaming=True)",
                "the split is loaded (memory-mapped by `datasets`, not read into memory) and its rows"
                " are read batch_size at a time",
            )
        dataset = self._load_dataset()
        if hasattr(dataset, "keys") and not hasattr(dataset, "column_names"):
            raise DistilabelUserError(
                f"{self.name!r} loaded several splits {list(dataset.keys())}: set `split` to one of them."
            )
        if self.num_examples is not None:
            dataset = dataset.select(range(min(self.num_examples, len(dataset))))
        self._dataset = dataset

    @property
    def outputs(self) -> "StepColumns":
        return list(self._dataset.column_names) if self._dataset is not None else []

    @property
    def total_rows(self) -> Optional[int]:
        return len(self._dataset) if self._dataset is not None else None

    def process(self, offset: int = 0) -> "GeneratorStepOutput":
        dataset = self._dataset
        total = len(dataset)
        if offset >= total:
            yield [], True
            return
        for start in range(offset, total, self.batch_size):
            columns: Dict[str, List[Any]] = dataset[start : start + self.batch_size]
            rows = [dict(zip(columns, values, strict=False)) for values in zip(*columns.values(), strict=False)]
            yield rows, start + self.batch_size >= total


class LoadDataFromHub(_DatasetGenerator):
    """Load a dataset by its Hub id (from the local cache when offline) or from a local path.

    A local directory written by ``Dataset.save_to_disk`` / ``Distiset.save_to_disk`` is
    read with ``load_from_disk``; any other local path or id goes to ``datasets.load_dataset``,
    which reads the local cache when ``HF_HUB_OFFLINE=1``.

    Attributes:
        repo_id: the Hub id or local path of the dataset.
        split: the split to load.
        config: the dataset configuration to load.
        revision: the revision of the dataset on the Hub.
        streaming: ignored, with a warning: the split is loaded (memory-mapped) and read in batches.
        storage_options: passed to ``datasets`` for remote filesystems.
    """

    repo_id: RuntimeParameter[str] = Field(default=None, description="The Hub id or local path of the dataset.")
    split: Optional[RuntimeParameter[str]] = Field(default="train", description="The split to load.")
    config: Optional[RuntimeParameter[str]] = Field(default=None, description="The configuration to load.")
    revision: Optional[RuntimeParameter[str]] = Field(default=None, description="The revision to load.")
    streaming: RuntimeParameter[bool] = Field(default=False, description="Whether to stream the dataset.")
    storage_options: Optional[Dict[str, Any]] = Field(default=None)

    def _load_dataset(self) -> Any:
        import datasets

        path = Path(str(self.repo_id)).expanduser()
        if path.is_dir() and _is_saved_dataset(path, self.config):
            return _load_saved(path, self.config, self.split, storage_options=self.storage_options)
        try:
            return datasets.load_dataset(
                str(path) if path.exists() else self.repo_id,
                self.config,
                split=self.split,
                revision=self.revision,
                storage_options=self.storage_options,
            )
        except Exception as error:
            raise DistilabelUserError(
                f"{self.name!r} could not load dataset {self.repo_id!r} (split={self.split!r},"
                f" config={self.config!r}): {error}. Offline, use a local path or a dataset in the"
                " local Hugging Face cache with HF_HUB_OFFLINE=1."
            ) from error


class LoadDataFromDisk(LoadDataFromHub):
    """Load a dataset or a distiset saved with ``save_to_disk``.

    Attributes:
        dataset_path: the directory to read.
        is_distiset: the directory holds a ``Distiset`` (one folder per configuration).
        config: the configuration of a distiset to read (``"default"``, the name a
            distiset with one configuration gives it); a plain dataset's directory is
            read as it is unless it has a folder of that name.
        keep_in_memory: load the data in memory instead of memory-mapping it.
        split: the split to read; a distiset's ``train`` when not given, or the only
            split of a dataset that has one.
    """

    dataset_path: RuntimeParameter[Union[str, Path]] = Field(
        default=None, description="Path to the dataset or distiset."
    )
    config: Optional[RuntimeParameter[str]] = Field(
        default="default", description="The configuration of the distiset to load."
    )
    is_distiset: Optional[RuntimeParameter[bool]] = Field(
        default=False, description="Whether the directory holds a Distiset."
    )
    keep_in_memory: Optional[RuntimeParameter[bool]] = Field(
        default=None, description="Whether to read the dataset into memory instead of memory-mapping it."
    )
    split: Optional[RuntimeParameter[str]] = Field(default=None, description="The split to load.")
    # distilabel 1.5 has the field but never writes it in a dump.
    repo_id: Optional[str] = Field(default=None, exclude=True)  # type: ignore[assignment]

    def _load_dataset(self) -> Any:
        path = Path(str(self.dataset_path)).expanduser()
        if not path.exists():
            raise DistilabelUserError(f"{self.name!r}: dataset_path {str(path)!r} does not exist.")
        config = (self.config or "default") if self.is_distiset else self.config
        split = self.split or ("train" if self.is_distiset else None)
        return _load_saved(
            path, config, split, keep_in_memory=self.keep_in_memory, storage_options=self.storage_options
        )


class LoadDataFromFileSystem(LoadDataFromHub):
    """Load rows from files: jsonl, json, csv, parquet (a file, a directory or a glob).

    It has ``LoadDataFromHub``'s fields, as in distilabel 1.5 (``repo_id`` aside, which
    it does not use): ``storage_options`` reach ``datasets`` for remote filesystems.

    Attributes:
        data_files: the file, directory or glob to read.
        split: the split name to give the data.
        filetype: ``json``, ``csv`` or ``parquet``; inferred from the extension when not given.
    """

    data_files: RuntimeParameter[Union[str, Path]] = Field(default=None, description="The files to read.")
    split: RuntimeParameter[str] = Field(default="train", description="The split name.")
    filetype: Optional[RuntimeParameter[str]] = Field(default=None, description="json, csv or parquet.")
    repo_id: Optional[str] = Field(default=None, exclude=True)  # type: ignore[assignment]

    def _load_dataset(self) -> Any:
        import datasets

        files = self._files()
        filetype = self.filetype or _FILETYPES.get(files[0].suffix.lower())
        if filetype is None:
            raise DistilabelUserError(
                f"{self.name!r}: cannot tell the type of {str(files[0])!r}; set filetype to json, csv or parquet."
            )
        return datasets.load_dataset(
            filetype, data_files=[str(f) for f in files], split=self.split, storage_options=self.storage_options
        )

    def _files(self) -> List[Path]:
        path = Path(str(self.data_files)).expanduser()
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix.lower() in _FILETYPES)
        elif path.exists():
            files = [path]
        else:
            files = sorted(Path(path.anchor or ".").glob(str(path.relative_to(path.anchor)) if path.anchor else str(path)))
        if not files:
            raise DistilabelUserError(f"{self.name!r}: no data files found at {str(self.data_files)!r}.")
        return files


def _is_saved_dataset(path: Path, config: Optional[str]) -> bool:
    if (path / "dataset_info.json").exists() or (path / "dataset_dict.json").exists():
        return True
    return config is not None and (path / config).is_dir()


def _load_saved(
    path: Path,
    config: Optional[str],
    split: Optional[str],
    keep_in_memory: Optional[bool] = None,
    storage_options: Optional[Dict[str, Any]] = None,
) -> Any:
    import datasets

    if config is not None and (path / config).is_dir():
        path = path / config
    dataset = datasets.load_from_disk(str(path), keep_in_memory=keep_in_memory, storage_options=storage_options)
    if isinstance(dataset, datasets.DatasetDict):
        if split is None:
            if len(dataset) != 1:
                raise DistilabelUserError(f"{str(path)!r} has splits {list(dataset)}: set `split`.")
            split = next(iter(dataset))
        return dataset[split]
    return dataset
