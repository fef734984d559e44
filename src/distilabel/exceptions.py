"""Exceptions that carry state for the caller: jobs still running, jobs that failed."""

from typing import Tuple


class DistilabelException(Exception):
    """Base of the exceptions distilabel raises to signal a state, not a user mistake."""


class DistilabelGenerationException(DistilabelException):
    """Generating with an LLM did not produce the outputs."""


class DistilabelOfflineBatchGenerationNotFinishedException(DistilabelGenerationException):
    """The provider's batch jobs are still running: call again later with the same LLM.

    Attributes:
        jobs_ids: the ids of the provider's batch jobs, to poll them later.
    """

    def __init__(self, jobs_ids: Tuple[str, ...]) -> None:
        self.jobs_ids = tuple(jobs_ids)
        super().__init__(f"Batch generation with jobs_ids={self.jobs_ids!r} is not finished")


class DistilabelOfflineBatchGenerationFailedException(DistilabelGenerationException):
    """A provider's batch job ended without results (failed, expired or cancelled).

    Attributes:
        job_id: the id of the job that ended.
        status: the status the provider reported.
        reason: what the provider said about it.
    """

    def __init__(self, job_id: str, status: str, reason: str) -> None:
        self.job_id = job_id
        self.status = status
        self.reason = reason
        super().__init__(f"Batch job {job_id!r} ended with status {status!r}: {reason}")


__all__ = [
    "DistilabelException",
    "DistilabelGenerationException",
    "DistilabelOfflineBatchGenerationFailedException",
    "DistilabelOfflineBatchGenerationNotFinishedException",
]
