"""``TruncateTextColumn``: cut a text column to a number of characters or of tokens."""

from typing import TYPE_CHECKING, Any, Optional

from pydantic import Field, PositiveInt, PrivateAttr

from distilabel.models.local_files import local_only_kwargs
from distilabel.steps.base import Step, StepInput
from distilabel.utils.imports import require

if TYPE_CHECKING:
    from distilabel.typing.steps import StepColumns, StepOutput


class TruncateTextColumn(Step):
    """Cut the text in ``column`` to at most ``max_length`` characters, or tokens of ``tokenizer``.

    Useful before a model with a limited context. With a ``tokenizer`` the cut falls
    at the end of the ``max_length``-th token (special tokens not counted) and the
    text is kept as written: nothing is re-decoded, and a text within the limit is
    returned unchanged. Values that are not strings (e.g. ``None``) are left alone.

    Attributes:
        column: the column to truncate. Defaults to ``"text"``.
        max_length: the most characters (or tokens, with ``tokenizer``) to keep.
            Defaults to 8192.
        tokenizer: a Hugging Face tokenizer id or local folder; when set,
            ``max_length`` counts its tokens. Needs ``transformers``.

    Input columns:
        - dynamic (``column``): the text to truncate.

    Output columns:
        - dynamic (``column``): the truncated text.

    Examples:
        >>> step = TruncateTextColumn(column="text", max_length=10)
        >>> step.load()
        >>> next(step.process([{"text": "This is a sample text"}]))
        [{'text': 'This is a '}]
    """

    column: str = Field(default="text", description="The column to truncate.")
    max_length: PositiveInt = Field(
        default=8192, description="The most characters (or tokens, with a tokenizer) to keep."
    )
    tokenizer: Optional[str] = Field(
        default=None,
        description="A Hugging Face tokenizer id or folder; when set, max_length counts its tokens.",
    )

    _tokenizer: Any = PrivateAttr(default=None)

    @property
    def inputs(self) -> "StepColumns":
        return [self.column]

    @property
    def outputs(self) -> "StepColumns":
        return [self.column]

    def load(self) -> None:
        super().load()
        if self.tokenizer is not None:
            transformers = require("transformers", "hf-transformers", type(self).__name__)
            self._tokenizer = transformers.AutoTokenizer.from_pretrained(
                self.tokenizer, **local_only_kwargs(self.tokenizer)
            )

    def unload(self) -> None:
        self._tokenizer = None
        super().unload()

    def truncate(self, text: str) -> str:
        """``text`` cut to ``max_length`` characters or tokens."""
        if self.tokenizer is None:
            return text[: self.max_length]
        if self._tokenizer is None:
            raise RuntimeError(f"{type(self).__name__} is not loaded: call load() first.")
        return self._truncate_tokens(text)

    def _truncate_tokens(self, text: str) -> str:
        tokenizer = self._tokenizer
        if getattr(tokenizer, "is_fast", False):
            encoding = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
            offsets = encoding["offset_mapping"]
            if len(offsets) <= self.max_length:
                return text
            return text[: offsets[self.max_length - 1][1]]
        # Slow tokenizers have no offsets: decode the kept tokens instead.
        ids = tokenizer.encode(text, add_special_tokens=False)
        if len(ids) <= self.max_length:
            return text
        return tokenizer.decode(ids[: self.max_length])

    def process(self, inputs: StepInput) -> "StepOutput":
        for row in inputs:
            value = row.get(self.column)
            if isinstance(value, str):
                row[self.column] = self.truncate(value)
        yield inputs
