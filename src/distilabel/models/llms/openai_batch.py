"""OpenAI's Batch API: upload requests as JSONL files, create jobs, collect results in order."""

import json
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Sequence, Tuple

from distilabel.exceptions import (
    DistilabelOfflineBatchGenerationFailedException,
    DistilabelOfflineBatchGenerationNotFinishedException,
)
from distilabel.models.llms.outputs import describe_error, failed_output

if TYPE_CHECKING:
    from openai import OpenAI
    from openai.types import Batch

    from distilabel.typing import GenerateOutput

_ENDED_WITHOUT_RESULTS = ("failed", "expired", "cancelling", "cancelled")
_STATUS_REASONS = {
    "expired": "the job did not finish within its completion window",
    "cancelling": "the job is being cancelled",
    "cancelled": "the job was cancelled",
}


class OpenAIBatchJobs:
    """Create and collect OpenAI batch jobs.

    Args:
        client: a sync ``openai.OpenAI`` client.
        max_requests: the most requests one job may hold (the API allows 50 000).
        max_bytes: the largest input file one job may use (the API allows 200 MB).
    """

    def __init__(self, client: "OpenAI", max_requests: int, max_bytes: int) -> None:
        self._client = client
        self._max_requests = max_requests
        self._max_bytes = max_bytes

    def submit(self, lines: Sequence[Dict[str, Any]]) -> Tuple[str, ...]:
        """Upload ``lines`` (split at the API's limits) and create one job per file."""
        jobs_ids = []
        for number, chunk in enumerate(self._chunks(lines)):
            file = self._client.files.create(file=(f"distilabel-batch-{number}.jsonl", chunk), purpose="batch")
            batch = self._client.batches.create(
                input_file_id=file.id,
                endpoint="/v1/chat/completions",
                completion_window="24h",
                metadata={"created_by": "distilabel"},
            )
            jobs_ids.append(batch.id)
        return tuple(jobs_ids)

    def _chunks(self, lines: Sequence[Dict[str, Any]]) -> Iterator[bytes]:
        chunk: List[bytes] = []
        size = 0
        for line in lines:
            encoded = json.dumps(line, ensure_ascii=False).encode() + b"\n"
            if len(encoded) > self._max_bytes:
                raise ValueError(
                    f"Request {line.get('custom_id')} is {len(encoded)} bytes, more than a batch file may hold."
                )
            if chunk and (len(chunk) >= self._max_requests or size + len(encoded) > self._max_bytes):
                yield b"".join(chunk)
                chunk, size = [], 0
            chunk.append(encoded)
            size += len(encoded)
        if chunk:
            yield b"".join(chunk)

    def raise_not_finished(self, jobs_ids: Tuple[str, ...]) -> None:
        raise DistilabelOfflineBatchGenerationNotFinishedException(jobs_ids=jobs_ids)

    def collect(self, jobs_ids: Sequence[str], num_generations: int = 1) -> List["GenerateOutput"]:
        """The outputs of finished jobs, in input order.

        Raises:
            DistilabelOfflineBatchGenerationNotFinishedException: some job is still running.
            DistilabelOfflineBatchGenerationFailedException: some job ended without results.
        """
        batches = [self._client.batches.retrieve(job_id) for job_id in jobs_ids]
        for batch in batches:
            if batch.status in _ENDED_WITHOUT_RESULTS:
                raise DistilabelOfflineBatchGenerationFailedException(batch.id, batch.status, _reason(batch))
        if any(batch.status != "completed" for batch in batches):
            raise DistilabelOfflineBatchGenerationNotFinishedException(jobs_ids=tuple(jobs_ids))

        results: Dict[int, GenerateOutput] = {}
        total = 0
        for batch in batches:
            total += batch.request_counts.total if batch.request_counts else 0
            for file_id in (batch.output_file_id, batch.error_file_id):
                if file_id:
                    for line in self._client.files.content(file_id).text.splitlines():
                        if line.strip():
                            index, output = _parse_result_line(json.loads(line), num_generations)
                            results[index] = output
        total = max(total, max(results, default=-1) + 1)
        missing = failed_output(num_generations, "the batch job returned no result for this request")
        return [results.get(index, missing) for index in range(total)]


def _reason(batch: "Batch") -> str:
    messages = [error.message for error in (batch.errors.data if batch.errors and batch.errors.data else [])]
    if messages:
        return "; ".join(m for m in messages if m)
    return _STATUS_REASONS.get(batch.status, f"the job ended with status {batch.status!r}")


def _parse_result_line(line: Dict[str, Any], num_generations: int) -> Tuple[int, "GenerateOutput"]:
    from distilabel.models.llms.openai_wire import output_from_chat_completion

    index = int(line["custom_id"])
    response = line.get("response") or {}
    body = response.get("body") or {}
    if line.get("error") or response.get("status_code", 200) >= 400:
        error = line.get("error") or body.get("error") or {}
        message = error.get("message") if isinstance(error, dict) else str(error)
        status = response.get("status_code")
        return index, failed_output(num_generations, f"HTTP {status}: {message}" if status else str(message))
    try:
        return index, output_from_chat_completion(body)
    except Exception as error:  # a malformed line fails its row, not the whole batch
        return index, failed_output(num_generations, f"unreadable batch result: {describe_error(error)}")
