"""``PushToHub``: push the rows that reach it to a Hugging Face Hub dataset."""

from typing import TYPE_CHECKING, Optional

from pydantic import Field, SecretStr

from distilabel.errors import DistilabelUserError
from distilabel.mixins.runtime_parameters import RuntimeParameter
from distilabel.steps.base import GlobalStep, StepInput

if TYPE_CHECKING:
    from distilabel.typing.steps import StepOutput


class PushToHub(GlobalStep):
    """Push every row that reaches this step to a split of a Hugging Face Hub dataset.

    A global step: it receives all the rows at once, pushes them as a ``datasets.Dataset``
    (Parquet files, read back with ``load_dataset(repo_id, split=split)``) and passes them
    on unchanged, so it can sit at the end of a pipeline or in the middle of one. The
    repository is created when the step loads, so a missing or refused token and a Hub
    that cannot be reached stop the pipeline before it does any work, with a one-line error.

    Attributes:
        repo_id: the dataset to push to, ``"user/name"``.
        split: the split the rows become. Defaults to ``"train"``.
        private: create the repository as private (a repository that exists keeps its
            visibility). Defaults to ``False``.
        token: the Hugging Face token; ``HF_TOKEN`` or the token ``hf auth login`` saved
            when not given.

    Runtime parameters:
        - `repo_id`: the dataset to push to.
        - `split`: the split the rows become.
        - `private`: create the repository as private.
        - `token`: the Hugging Face token.

    Input columns:
        - dynamic: every column of the rows that reach the step.

    Output columns:
        - none: the rows pass through unchanged.

    Categories:
        - save
        - dataset
        - huggingface

    Examples:
        Push the generations of a pipeline as they are made:

        ```python
        from distilabel.pipeline import Pipeline
        from distilabel.steps import LoadDataFromDicts, PushToHub

        with Pipeline() as pipeline:
            load = LoadDataFromDicts(data=[{"instruction": "Name a prime number."}])
            push = PushToHub(repo_id="my-user/my-dataset")
            load >> push

        pipeline.run()
        ```
    """

    repo_id: RuntimeParameter[str] = Field(default=None, description="The Hub dataset to push to, 'user/name'.")
    split: RuntimeParameter[str] = Field(default="train", description="The split the rows become.")
    private: RuntimeParameter[bool] = Field(
        default=False, description="Whether to create the repository as private."
    )
    token: Optional[RuntimeParameter[SecretStr]] = Field(
        default=None,
        description="The Hugging Face token; HF_TOKEN or the token `hf auth login` saved when not given.",
    )

    def load(self) -> None:
        """Check ``repo_id`` and the token, and create the repository (if it does not exist)."""
        super().load()
        from huggingface_hub import HfApi

        from distilabel.utils.hub import hub_endpoint, hub_errors, hub_token

        if not self.repo_id:
            raise DistilabelUserError(
                f"{self.name!r} needs repo_id, the Hub dataset to push to ('user/name'): give it to"
                " PushToHub(...) or as a runtime parameter."
            )
        token = hub_token(self.token)
        # A missing or refused token and a Hub out of reach fail now, not after the pipeline did its work.
        with hub_errors(f"creating the dataset {self.repo_id}"):
            HfApi(endpoint=hub_endpoint(), token=token).create_repo(
                self.repo_id, repo_type="dataset", private=self.private, exist_ok=True
            )

    def process(self, inputs: StepInput) -> "StepOutput":  # type: ignore[override]
        """Push ``inputs`` to ``repo_id`` as the split ``split``, then yield them unchanged."""
        from distilabel.distiset import rows_to_dataset
        from distilabel.utils.hub import hub_errors, hub_token

        token = hub_token(self.token)
        with hub_errors(f"pushing {len(inputs)} rows to the dataset {self.repo_id}"):
            rows_to_dataset(inputs).push_to_hub(
                self.repo_id, split=self.split, private=self.private, token=token
            )
        self._logger.info("Pushed %d rows to %s (split %r)", len(inputs), self.repo_id, self.split)
        yield inputs


__all__ = ["PushToHub"]
