"""``ArgillaBase``: what the steps that send rows to an Argilla dataset share.

Such a step creates its Argilla dataset (fields and questions of its own kind) when it
loads, or reuses one of the same name in the workspace, and then sends each batch of rows
as records, passing the rows on unchanged. It talks to Argilla through the ``argilla``
SDK (2.x, extra ``argilla``).
"""

import contextlib
import os
import warnings
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional

from pydantic import Field, PrivateAttr, SecretStr

from distilabel.errors import DistilabelUserError
from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.steps.base import Step, StepInput
from distilabel.utils.imports import require
from distilabel.utils.secrets import redact_known

if TYPE_CHECKING:
    from distilabel.typing.steps import StepColumns, StepOutput

_ARGILLA_API_URL_ENV_VAR_NAME = "ARGILLA_API_URL"
_ARGILLA_API_KEY_ENV_VAR_NAME = "ARGILLA_API_KEY"
# The largest batch the SDK sends in one request (`RecordsAPI.MAX_RECORDS_PER_UPSERT_BULK`).
_MAX_BATCH = 500


class ArgillaBase(Step, ABC):
    """Base of the steps that send rows to a dataset in Argilla, as records.

    When the step loads it connects to Argilla and finds the dataset ``dataset_name`` in
    ``dataset_workspace``; when there is none it creates it with the fields and questions
    of the subclass. A dataset that exists is reused, unless it has a required field the
    step cannot fill. Each batch becomes records (``process``), and the rows go on unchanged.

    Attributes:
        dataset_name: the name of the dataset in Argilla.
        dataset_workspace: the workspace of the dataset; the user's first (default)
            workspace when not given.
        api_url: the URL of the Argilla server; read from ``ARGILLA_API_URL`` when not given.
        api_key: the API key of the Argilla user; read from ``ARGILLA_API_KEY`` when not given.

    Runtime parameters:
        - `dataset_name`: the name of the dataset in Argilla.
        - `dataset_workspace`: the workspace of the dataset.
        - `api_url`: the URL of the Argilla server.
        - `api_key`: the API key of the Argilla user.

    Input columns:
        - dynamic, the ``inputs`` of the subclass.
    """

    dataset_name: RuntimeParameter[str] = Field(default=None, description="The name of the dataset in Argilla.")
    dataset_workspace: Optional[RuntimeParameter[str]] = Field(
        default=None,
        description="The workspace where the dataset will be created in Argilla; the default workspace when not given.",
    )
    api_url: Optional[RuntimeParameter[str]] = Field(
        default_factory=lambda: os.getenv(_ARGILLA_API_URL_ENV_VAR_NAME),
        description="The base URL to use for the Argilla API requests.",
    )
    api_key: Optional[RuntimeParameter[SecretStr]] = Field(
        default_factory=lambda: os.getenv(_ARGILLA_API_KEY_ENV_VAR_NAME),
        description="The API key to authenticate the requests to the Argilla API.",
    )

    _client: Any = PrivateAttr(default=None)
    _dataset: Any = PrivateAttr(default=None)

    @property
    def outputs(self) -> "StepColumns":
        """None: the rows pass through unchanged."""
        return []

    # --- what a subclass says ---------------------------------------------------------------

    @abstractmethod
    def _fields(self, rg: Any) -> List[Any]:
        """The fields of a dataset this step creates."""

    @abstractmethod
    def _questions(self, rg: Any) -> List[Any]:
        """The questions of a dataset this step creates."""

    @abstractmethod
    def _records(self, rg: Any, rows: List[Dict[str, Any]]) -> List[Any]:
        """The records for a batch of rows."""

    # --- loading ----------------------------------------------------------------------------

    def load(self) -> None:
        """Connect to Argilla, then find the dataset or create it."""
        super().load()
        api_key = self.api_key.get_secret_value() if self.api_key is not None else None
        missing = [
            name
            for name, value in (
                ("dataset_name", self.dataset_name),
                (f"api_url ({_ARGILLA_API_URL_ENV_VAR_NAME})", self.api_url),
                (f"api_key ({_ARGILLA_API_KEY_ENV_VAR_NAME})", api_key),
            )
            if not value
        ]
        if missing:
            raise DistilabelUserError(
                f"{type(self).__name__} {self.name!r} needs {', '.join(missing)}: give them to the step,"
                " set the environment variables, or pass them as runtime parameters in"
                " `pipeline.run(parameters={...})`.",
                page="sections/how_to_guides/advanced/argilla/",
            )
        rg = require("argilla", "argilla", type(self).__name__)
        with self._argilla_errors("connecting"):
            self._client = rg.Argilla(api_url=self.api_url, api_key=api_key, headers=_space_headers(self.api_url))
            workspace = self._workspace()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # the SDK warns when the dataset does not exist
                dataset = self._client.datasets(name=self.dataset_name, workspace=workspace)
            if dataset is not None:
                self._check_reusable(rg, dataset)
                self._dataset = dataset
                self._logger.info("Sending records to the Argilla dataset %r that exists", self.dataset_name)
                return
            settings = rg.Settings(fields=self._fields(rg), questions=self._questions(rg))
            self._dataset = rg.Dataset(
                name=self.dataset_name, workspace=workspace, settings=settings, client=self._client
            ).create()
            self._logger.info("Created the Argilla dataset %r in workspace %r", self.dataset_name, workspace.name)

    def _workspace(self) -> Any:
        workspaces = self._client.workspaces
        if self.dataset_workspace is None:
            return workspaces.default
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            workspace = workspaces(self.dataset_workspace)
        if workspace is None:
            names = [w.name for w in workspaces.list()]
            raise DistilabelUserError(
                f"There is no workspace {self.dataset_workspace!r} in Argilla at {self.api_url}"
                f" (workspaces: {names}): create it, or leave dataset_workspace unset for the default one."
            )
        return workspace

    def _check_reusable(self, rg: Any, dataset: Any) -> None:
        """Refuse a dataset that exists with a required field the step does not fill."""
        ours = {field.name for field in self._fields(rg)}
        foreign = [f.name for f in dataset.fields if isinstance(f, rg.TextField) and f.required and f.name not in ours]
        if foreign:
            raise DistilabelUserError(
                f"The dataset {self.dataset_name!r} in the workspace {self.dataset_workspace!r} already exists, but"
                f" it has required fields {foreign} that {type(self).__name__} does not fill (it fills"
                f" {sorted(ours)}): use another dataset_name, or delete that dataset."
            )

    # --- processing --------------------------------------------------------------------------

    def process(self, inputs: StepInput) -> "StepOutput":  # type: ignore[override]
        """Send ``inputs`` to the dataset as records, then yield them unchanged."""
        rg = require("argilla", "argilla", type(self).__name__)
        records = self._records(rg, inputs)
        if records:
            with self._argilla_errors(f"sending {len(records)} records"):
                self._dataset.records.log(records, batch_size=min(len(records), _MAX_BATCH))
        self._logger.info("Sent %d records to the Argilla dataset %r", len(records), self.dataset_name)
        yield inputs

    # --- errors ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _argilla_errors(self, what: str) -> Iterator[None]:
        """One-line ``DistilabelUserError``s for a server that cannot be reached or that refuses."""
        try:
            yield
        except DistilabelUserError:
            raise
        except Exception as error:
            message = self._error_message(error, what)
            if message is None:
                raise
            raise DistilabelUserError(message, page="sections/how_to_guides/advanced/argilla/") from None

    def _error_message(self, error: BaseException, what: str) -> Optional[str]:
        kinds = {cls.__name__ for cls in type(error).__mro__}
        detail = " ".join(redact_known(str(error)).split())
        where = f"Argilla at {self.api_url}"
        if "ArgillaCredentialsError" in kinds or getattr(error, "status_code", None) == 401:
            return f"{where} refused the API key while {what} (check ARGILLA_API_KEY or api_key=): {detail}"
        if "TransportError" in kinds or isinstance(error, (ConnectionError, TimeoutError)):
            return f"cannot reach {where} while {what}: {detail}"
        if "ArgillaAPIError" in kinds or "ArgillaError" in kinds:
            return f"{where} answered an error while {what} for the dataset {self.dataset_name!r}: {detail}"
        return None


def _space_headers(api_url: Optional[str]) -> Dict[str, str]:
    """A private Hugging Face Space in front of Argilla needs the Hugging Face token too."""
    if isinstance(api_url, str) and "hf.space" in api_url and os.environ.get("HF_TOKEN"):
        return {"Authorization": f"Bearer {os.environ['HF_TOKEN']}"}
    return {}


def text_value(value: Any) -> Optional[str]:
    """A row value as the text of a ``TextField`` (None stays None; non-text becomes JSON)."""
    if value is None or isinstance(value, str):
        return value
    import json

    return json.dumps(value, ensure_ascii=False, default=str)


__all__ = ["ArgillaBase", "text_value"]
