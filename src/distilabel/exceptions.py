"""Exceptions that carry state for the caller: jobs still running, jobs that failed."""

from typing import Tuple

from distilabel.errors import DistilabelError


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


class DistilabelCircuitOpenError(DistilabelGenerationException, DistilabelError):
    """Nearly every request to an LLM kept failing, so the run stopped instead of retrying forever.

    Finished rows are kept; fix the cause and run again to resume. It is also a
    ``DistilabelError``, so code that lets user-facing errors through (instead of
    turning them into failed rows) lets this one through too.

    Attributes:
        llm: which LLM (class and model) the failing requests went to.
        seconds: how long nearly every request had been failing.
        failed: how many of the last ``window`` requests failed.
        window: how many of the latest requests were looked at.
        reason: the most common error among them.
    """

    def __init__(self, llm: str, *, seconds: float, failed: int, window: int, reason: str) -> None:
        self.llm = llm
        self.seconds = seconds
        self.failed = failed
        self.window = window
        self.reason = reason
        super().__init__(
            f"Stopped sending requests to {llm}: {failed} of the last {window} requests failed,"
            f" and nearly all have been failing for {seconds:.0f} s. Most common error: {reason}."
            " Finished rows are kept; fix the cause and run again to resume"
            " (`circuit_breaker_seconds` sets how long failures are tolerated)."
        )


__all__ = [
    "DistilabelCircuitOpenError",
    "DistilabelException",
    "DistilabelGenerationException",
    "DistilabelOfflineBatchGenerationFailedException",
    "DistilabelOfflineBatchGenerationNotFinishedException",
]
