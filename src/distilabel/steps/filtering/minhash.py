"""``MinHashDedup``: flag near-duplicate texts with MinHash signatures and locality-sensitive hashing."""

from functools import partial
from typing import TYPE_CHECKING, Any, Callable, Iterable, List, Literal, Optional, Set

from pydantic import Field, PrivateAttr

from distilabel.errors import DistilabelUserError
from distilabel.steps.base import Step, StepInput
from distilabel.steps.column_property import column_property
from distilabel.steps.filtering.lsh import BandIndex
from distilabel.steps.filtering.words import tokenize_on_ngrams, tokenize_on_words
from distilabel.utils.imports import require

if TYPE_CHECKING:
    from distilabel.typing.steps import StepOutput

_EXTRA = "minhash"

# distilabel 1.5 exposed its tokenizers from this module, under these names.
tokenized_on_words = tokenize_on_words
__all__ = ["MinHashDedup", "tokenize_on_ngrams", "tokenize_on_words", "tokenized_on_words"]


class MinHashDedup(Step):
    """Flag texts that are near-duplicates of a text seen before, using MinHash and LSH.

    Each text becomes a set of tokens (words, or character n-grams), then a MinHash
    signature of ``num_perm`` values. A banded LSH index remembers the signatures of
    the texts kept so far; a text whose signature collides with one of them (their
    estimated Jaccard similarity is around ``threshold`` or more) is a duplicate. The
    first occurrence is kept, the later ones are flagged ``False``; filter on the
    column afterwards. The index lives for the whole run, across batches (bigger
    batches are faster).

    The ``"words"`` tokenizer splits like ``nltk.word_tokenize`` on sentences found by
    Punkt with an English abbreviation list built into distilabel
    (``distilabel.steps.filtering.words``), so no NLTK data has to be downloaded.

    Attributes:
        num_perm: the number of permutations (signature length). Defaults to 128.
        seed: the seed of the MinHash permutations. Defaults to 1.
        tokenizer: ``"words"`` (words and punctuation) or ``"ngrams"`` (character
            n-grams of length ``n``). Defaults to ``"words"``.
        n: the n-gram length for ``tokenizer="ngrams"``. Defaults to 5.
        threshold: the Jaccard similarity from which two texts are duplicates; lower
            values flag more duplicates. Defaults to 0.9.
        storage: ``"dict"`` keeps the index in memory; ``"disk"`` in a SQLite file in a
            temporary folder (for very large datasets), removed when the step unloads.
            Defaults to ``"dict"``.

    Input columns:
        - text (`str`): the texts to deduplicate.

    Output columns:
        - keep_row_after_minhash_filtering (`bool`): ``False`` for a near-duplicate of an earlier
            text; ``None`` for a row whose ``text`` is missing.

    Examples:
        >>> step = MinHashDedup(threshold=0.9)
        >>> step.load()
        >>> rows = [{"text": "This is a test document."}, {"text": "This document is a test."}, {"text": "Something else."}]
        >>> [r["keep_row_after_minhash_filtering"] for r in next(step.process(rows))]
        [True, False, True]
    """

    num_perm: int = Field(
        default=128, ge=2, description="The number of permutations (signature length)."
    )
    seed: int = Field(default=1, description="The seed of the MinHash permutations.")
    tokenizer: Literal["words", "ngrams"] = Field(
        default="words", description="'words' or character 'ngrams'."
    )
    n: Optional[int] = Field(
        default=5, ge=1, description="The n-gram length for tokenizer='ngrams'."
    )
    threshold: float = Field(
        default=0.9, ge=0.0, le=1.0, description="The Jaccard similarity of duplicates."
    )
    storage: Literal["dict", "disk"] = Field(
        default="dict", description="'dict' (memory) or 'disk' (SQLite)."
    )

    _index: Optional[BandIndex] = PrivateAttr(default=None)
    _tokenize: Optional[Callable[[Iterable[str]], List[Set[bytes]]]] = PrivateAttr(default=None)
    _hash: Any = PrivateAttr(default=None)

    inputs = column_property(["text"])
    outputs = column_property(["keep_row_after_minhash_filtering"])

    def load(self) -> None:
        super().load()
        datasketch = require("datasketch", _EXTRA, type(self).__name__)
        if self.tokenizer == "words":
            require("nltk", _EXTRA, type(self).__name__)
            self._tokenize = tokenize_on_words
        else:
            if self.n is None:
                raise DistilabelUserError(
                    "MinHashDedup: tokenizer='ngrams' needs the n-gram length `n`."
                )
            self._tokenize = partial(tokenize_on_ngrams, n=self.n)
        self._hash = datasketch.MinHash.bulk
        self._index = BandIndex(
            threshold=self.threshold, num_perm=self.num_perm, storage=self.storage
        )

    def unload(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None
        super().unload()

    def process(self, inputs: StepInput) -> "StepOutput":
        if self._index is None or self._tokenize is None:
            raise RuntimeError("MinHashDedup is not loaded: call load() first.")
        with_text = [row for row in inputs if isinstance(row.get("text"), str)]
        if len(with_text) < len(inputs):
            # A missing text (e.g. a failed generation upstream) is nobody's duplicate, but
            # there is nothing to keep either: None drops it in a filter on the column.
            self._logger.warning(
                "%d rows have no text: their flag is None.", len(inputs) - len(with_text)
            )
            for row in inputs:
                if not isinstance(row.get("text"), str):
                    row["keep_row_after_minhash_filtering"] = None
        signatures = self._hash(
            self._tokenize([row["text"] for row in with_text]),
            num_perm=self.num_perm,
            seed=self.seed,
        )
        for row, signature in zip(with_text, signatures, strict=True):
            row["keep_row_after_minhash_filtering"] = self._index.add_if_new(signature.hashvalues)
        yield inputs
