"""Counted fault injection for provider fakes: fail exactly the next N requests.

`LoopbackServer` injects faults by time window (`fail_all_for`) or at random
(`fault_rate`); a test that wants "one 429, then success" needs neither
timing nor luck. Servers mixing this in accept a `fail_next` config key (an
int) and call `take_failure()` at the top of their handlers.
"""

from __future__ import annotations

from typing import Any, ClassVar

from aiohttp import web


class FailNextMixin:
    """Answer the next `fail_next` provider requests with `fail_all_status`."""

    FAIL_NEXT_CONFIG: ClassVar[dict[str, Any]] = {"fail_next": 0}

    config: dict[str, Any]

    def take_failure(self) -> web.Response | None:
        """The error to send for this request, while failures remain; else None."""
        remaining = int(self.config.get("fail_next") or 0)
        if remaining <= 0:
            return None
        # Handlers run on the server's own loop, so this needs no lock.
        self.config["fail_next"] = remaining - 1
        status = int(self.config["fail_all_status"])
        return self.json_error(status, f"Simulated failure ({status}), please retry.")  # type: ignore[attr-defined]
