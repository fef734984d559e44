"""A spending limit shared by every LLM of a run: ``Pipeline.run(max_budget=...)``.

Before a request is sent it reserves its worst case: its prompt's token estimate
(``prompt_token_bound``, on the high side) times the input price, plus the most
tokens it may generate (``max_new_tokens`` or the provider's name for it, times the
generations asked for) times the output price. The answer settles the reservation
with what the usage it reports costs. Requests in flight hold their reservations, so
however many run at once, what is spent never passes the budget (unless a provider
reports more prompt tokens than the bound).

A request whose reservation does not fit in what is left waits until the requests in
flight have settled (their answers often cost less than reserved) and tries again;
when nothing is in flight and it still does not fit, the budget is spent:
``DistilabelBudgetExceededError`` is raised, and every later request raises it too.
The pipeline stops there, cleanly: every finished row is kept (answers that arrived
are in the response cache as well) and the next run resumes from them.

Only new requests count: answers from the response cache and rows reused from an
earlier run are free. A request that failed with an HTTP error was not billed and
costs nothing; one that timed out or was cancelled may have been, so it keeps its
worst case.
"""

import asyncio
import threading
from typing import Any, List, Optional, Tuple

from distilabel.errors import DistilabelError
from distilabel.runtime.pricing import TokenPrices
from distilabel.runtime.rate_limit import _DEFAULT_MAX_TOKENS, _MAX_TOKENS_KWARGS, _text_length


class DistilabelBudgetExceededError(DistilabelError):
    """The run's ``max_budget`` has no room for the next request; the run stops and keeps its rows.

    Attributes:
        budget: the budget, in US dollars.
        spent: what the run spent, in US dollars.
        needed: the worst case of the request that did not fit.
    """

    def __init__(self, message: str, budget: float, spent: float, needed: float) -> None:
        super().__init__(message)
        self.budget = budget
        self.spent = spent
        self.needed = needed


class Reservation:
    """What one request set aside; settled once with its real cost."""

    __slots__ = ("amount", "settled")

    def __init__(self, amount: float) -> None:
        self.amount = amount
        self.settled = False


class Budget:
    """A run's spending limit in US dollars, safe to share across threads and event loops.

    Args:
        limit: the most the run may spend on new requests.
    """

    def __init__(self, limit: float) -> None:
        if limit < 0:
            raise ValueError("max_budget must be zero or more dollars")
        self.limit = float(limit)
        self.spent = 0.0
        self.reserved = 0.0
        self.in_flight = 0
        self.requests = 0
        self.exhausted: Optional[DistilabelBudgetExceededError] = None
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._waiters: List[Tuple[asyncio.AbstractEventLoop, asyncio.Future]] = []

    @property
    def left(self) -> float:
        """What is neither spent nor reserved."""
        return self.limit - self.spent - self.reserved

    # --- reserving --------------------------------------------------------------------------

    def _try(self, amount: float) -> Optional[Reservation]:
        """Under the lock: a reservation, ``None`` to wait, or raise when the budget is spent."""
        if self.exhausted is not None:
            raise self.exhausted
        if self.spent + self.reserved + amount <= self.limit + 1e-12:
            self.reserved += amount
            self.in_flight += 1
            self.requests += 1
            return Reservation(amount)
        if self.in_flight == 0:
            self.exhausted = DistilabelBudgetExceededError(
                f"The budget of ${self.limit:.4f} is spent (${self.spent:.4f} on {self.requests} requests):"
                f" the next request may cost up to ${amount:.4f}, more than the ${max(self.left, 0.0):.4f} left.",
                self.limit,
                self.spent,
                amount,
            )
            self._wake()
            raise self.exhausted
        return None

    async def reserve(self, amount: float) -> Reservation:
        """Set ``amount`` aside for one request, waiting for the requests in flight when it does not fit.

        Raises:
            DistilabelBudgetExceededError: nothing is in flight and ``amount`` does not fit.
        """
        loop = asyncio.get_running_loop()
        while True:
            with self._lock:
                reservation = self._try(amount)
                if reservation is not None:
                    return reservation
                future = loop.create_future()
                self._waiters.append((loop, future))
            await future

    def reserve_blocking(self, amount: float) -> Reservation:
        """``reserve`` for a worker thread (an LLM that generates a batch at a time)."""
        with self._lock:
            while True:
                reservation = self._try(amount)
                if reservation is not None:
                    return reservation
                self._changed.wait()

    def settle(self, reservation: Reservation, cost: Optional[float]) -> None:
        """Replace a reservation by what the request cost (``None``: its worst case)."""
        with self._lock:
            if reservation.settled:
                return
            reservation.settled = True
            self.reserved -= reservation.amount
            self.in_flight -= 1
            self.spent += reservation.amount if cost is None else cost
            self._wake()

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        for loop, future in waiters:
            loop.call_soon_threadsafe(_resolve, future)
        self._changed.notify_all()

    def as_dict(self) -> dict:
        return {
            "max_budget_usd": self.limit,
            "spent_usd": round(self.spent, 10),
            "requests": self.requests,
        }


def _resolve(future: asyncio.Future) -> None:
    if not future.done():
        future.set_result(None)


def prompt_token_bound(prompt: Any) -> int:
    """More prompt tokens than a provider reports for ``prompt``, for any usual text.

    Tokenizers make about one token per 4 characters of English and rarely fewer than
    2 characters per token; each message adds a few tokens of chat template.
    """
    messages = len(prompt) if isinstance(prompt, list) else 1
    return -(-_text_length(prompt) // 2) + 8 * messages + 8


def max_output_tokens(kwargs: Any, num_generations: int) -> int:
    """The most tokens a request may generate: its max-tokens kwarg (any provider's name) times the generations."""
    value = next(
        (kwargs[name] for name in _MAX_TOKENS_KWARGS if kwargs.get(name)), _DEFAULT_MAX_TOKENS
    )
    return int(value) * max(1, num_generations)


def worst_case_cost(prices: TokenPrices, prompt: Any, num_generations: int, kwargs: Any) -> float:
    """What one request may cost at most (see the module docstring)."""
    return prices.cost(prompt_token_bound(prompt), max_output_tokens(kwargs, num_generations))


def generate_within_budget(llm: Any, inputs: List[Any], num_generations: int, kwargs: Any) -> Any:
    """``llm.generate(...)`` for a sync LLM, its batch's worst case reserved first when a budget is set.

    An LLM that generates a batch at a time reserves for the whole batch, so near the
    end of a budget a batch that does not fit stops the run even if some of its inputs would.
    """
    from distilabel.models.structured import split_formatted_input
    from distilabel.runtime.pricing import prices_for, reported_tokens, request_cost

    budget: Optional[Budget] = llm._state.budget
    prices = prices_for(llm) if budget is not None else None
    if budget is None or prices is None or (prices.input == 0 and prices.output == 0):
        return llm.generate(inputs=inputs, num_generations=num_generations, **kwargs)
    merged = {**llm._generation_signature().defaults, **kwargs}
    worst = sum(
        worst_case_cost(prices, split_formatted_input(i)[0], num_generations, merged)
        for i in inputs
    )
    try:
        reservation = budget.reserve_blocking(worst)
    except DistilabelBudgetExceededError:
        llm._state.stats.requests -= len(inputs)  # counted by the caller, and never sent
        raise
    cost: Optional[float] = None
    try:
        outputs = llm.generate(inputs=inputs, num_generations=num_generations, **kwargs)
        if all(reported_tokens(output)[0] for output in outputs):
            cost = sum(request_cost(output, prices) or 0.0 for output in outputs)
        return outputs
    finally:
        budget.settle(reservation, cost)


__all__ = [
    "Budget",
    "DistilabelBudgetExceededError",
    "Reservation",
    "generate_within_budget",
    "max_output_tokens",
    "prompt_token_bound",
    "worst_case_cost",
]
