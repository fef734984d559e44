"""``DataSampler``: rows of examples drawn at random from a list, e.g. few-shot examples per prompt."""

import random
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from pydantic import Field

from distilabel.errors import DistilabelUserError
from distilabel.steps.base import GeneratorStep

if TYPE_CHECKING:
    from distilabel.typing.steps import GeneratorStepOutput, StepColumns


class DataSampler(GeneratorStep):
    """Yield ``samples`` rows, each made of ``size`` examples drawn (with replacement) from ``data``.

    Each output row has the columns of ``data``, every one holding the list of the
    drawn examples' values, so a row can feed a prompt with a few examples that change
    from row to row. To pair each sample with another loader's rows, set ``samples``
    to that loader's number of rows and join both with ``CombineOutputs``.

    Draws depend only on ``seed`` and the row's position: with a seed, a run, a rerun
    and a resumed run yield the same rows. Without one each run draws anew.

    Attributes:
        data: the examples to sample from.
        size: how many examples each row holds. Defaults to 2.
        samples: how many rows to yield in total. Defaults to 100.
        seed: the seed of the draws; ``None`` draws differently on every run.

    Output columns:
        - dynamic (the keys of the first example in ``data``): lists of ``size`` values.

    Examples:
        >>> sampler = DataSampler(data=[{"q": f"question {i}"} for i in range(10)], size=2, samples=3, seed=0)
        >>> sampler.load()
        >>> rows, last = next(sampler.process())
        >>> [len(row["q"]) for row in rows], last
        ([2, 2, 2], True)
    """

    data: List[Dict[str, Any]] = Field(
        default_factory=list, description="The examples to sample from."
    )
    size: int = Field(default=2, ge=1, description="How many examples each row holds.")
    samples: int = Field(default=100, ge=0, description="How many rows to yield in total.")
    seed: Optional[int] = Field(
        default=None, description="The seed of the draws; None draws anew on every run."
    )

    @property
    def outputs(self) -> "StepColumns":
        return list(self.data[0]) if self.data else []

    @property
    def total_rows(self) -> Optional[int]:
        return self.samples

    def _draw(self, index: int, run_salt: int) -> Dict[str, List[Any]]:
        # One generator per row, keyed by the row's position: row i is the same whatever
        # offset the run starts from.
        rng = random.Random(f"{self.seed if self.seed is not None else run_salt}:{index}")
        examples = rng.choices(self.data, k=self.size)
        return {column: [example.get(column) for example in examples] for column in self.outputs}

    def process(self, offset: int = 0) -> "GeneratorStepOutput":
        if not self.data:
            raise DistilabelUserError(
                f"DataSampler {self.name!r}: `data` is empty, there is nothing to sample from."
            )
        run_salt = random.SystemRandom().getrandbits(64)
        if offset >= self.samples:
            yield [], True
            return
        for start in range(offset, self.samples, self.batch_size):
            end = min(start + self.batch_size, self.samples)
            yield [self._draw(i, run_salt) for i in range(start, end)], end >= self.samples
