"""``SignatureMixin``: a hash of what a component is, from its dump.

Two steps with the same class and the same configuration have the same
``signature``; fields that do not change what a step produces (batch sizes,
resources, ids of offline batch jobs, ...) are left out, and a subclass can leave
out more with ``exclude_from_signature``.
"""

import hashlib
import json
from typing import Any, Dict, Iterator, Set, Tuple

from pydantic import BaseModel, Field

from distilabel.utils.serialization import TYPE_INFO_KEY

# The keys distilabel 1.5 leaves out of signatures. The class (``type_info``) always counts.
_EXCLUDE_FROM_SIGNATURE_DEFAULTS = frozenset(
    {
        "disable_cuda_device_placement",
        "input_batch_size",
        "gpu_memory_utilization",
        "resources",
        "exclude_from_signature",
        "llm_jobs_ids",
        "llm_offline_batch_generation_block_until_done",
    }
)


class SignatureMixin(BaseModel):
    """Gives a component a ``signature``: a SHA-1 of its dump, less the excluded keys.

    Attributes:
        exclude_from_signature: the dump keys left out of the signature; a nested key
            is named by its path joined with ``_`` (``llm_jobs_ids``).
    """

    exclude_from_signature: Set[str] = Field(default=set(_EXCLUDE_FROM_SIGNATURE_DEFAULTS), exclude=True)

    @property
    def signature(self) -> str:
        """A hex SHA-1 of the component's configuration."""
        dump = self.dump() if hasattr(self, "dump") else self.model_dump(mode="json")
        dump.pop("runtime_parameters_info", None)
        parts = [
            f"{key}={json.dumps(value, sort_keys=True, default=str)}"
            for key, value in _flatten(dump, "", self.exclude_from_signature)
        ]
        return hashlib.sha1("\n".join(parts).encode()).hexdigest()


def _flatten(value: Dict[str, Any], prefix: str, excluded: Set[str]) -> Iterator[Tuple[str, Any]]:
    for key, item in value.items():
        path = f"{prefix}_{key}" if prefix else str(key)
        if path in excluded or (key in excluded and key != TYPE_INFO_KEY):
            continue
        if isinstance(item, dict):
            yield from _flatten(item, path, excluded)
        else:
            yield path, item


__all__ = ["SignatureMixin"]
