"""Types exchanged with models: chat messages, structured output specs, generation results."""

from typing import TYPE_CHECKING, Any, Dict, List, Literal, Optional, Tuple, Type, TypeVar, Union

from pydantic import BaseModel
from typing_extensions import NotRequired, Required, TypedDict


class TextContent(TypedDict, total=False):
    type: Required[Literal["text"]]
    text: Required[str]


class ImageUrl(TypedDict):
    url: str


class ImageContent(TypedDict, total=False):
    type: Required[Literal["image_url"]]
    image_url: Required[ImageUrl]


class ChatItem(TypedDict):
    """One message of a conversation, in the OpenAI chat format."""

    role: Literal["system", "user", "assistant", "tool"]
    content: Union[str, List[Union[TextContent, ImageContent]]]


ChatType = List[ChatItem]
"""A conversation: the input every chat model accepts."""


class OutlinesStructuredOutputType(TypedDict, total=False):
    """Structured output for local engines: a JSON schema or a regex to follow."""

    format: Literal["json", "regex"]
    schema: Union[str, Type[BaseModel], Dict[str, Any]]
    whitespace_pattern: Optional[Union[str, List[str]]]


class InstructorStructuredOutputType(TypedDict, total=False):
    """Structured output for API models: a JSON schema or pydantic model to follow."""

    format: Optional[Literal["json"]]
    schema: Union[Type[BaseModel], Dict[str, Any]]
    mode: Optional[str]
    max_retries: int


StructuredOutputType = Union[OutlinesStructuredOutputType, InstructorStructuredOutputType]

StandardInput = ChatType
StructuredInput = Tuple[StandardInput, Union[StructuredOutputType, None]]
"""A conversation and the structured output its answer must follow."""
FormattedInput = Union[StandardInput, StructuredInput, str]
"""What a Task hands to an LLM: a conversation, a conversation with a structured
output spec, or a raw prompt string for completion-style endpoints."""

LLMOutput = List[Union[str, None]]
"""The generations for one input; ``None`` marks a generation that failed."""


class Logprob(TypedDict):
    token: str
    logprob: float


LLMLogprobs = List[List[List[Logprob]]]
"""Per generation, per generated token, the top candidate tokens with their logprobs."""


class TokenCount(TypedDict):
    input_tokens: List[int]
    output_tokens: List[int]


LLMStatistics = Union[TokenCount, Dict[str, Any]]
"""Token counts of the requests that produced a ``GenerateOutput`` (one entry per request)."""


class GenerateOutput(TypedDict):
    """What ``generate`` returns for one input."""

    generations: LLMOutput
    statistics: LLMStatistics
    logprobs: NotRequired[LLMLogprobs]
    errors: NotRequired[List[Optional[str]]]
    """Why each ``None`` generation failed, aligned with ``generations``; only
    present when at least one generation failed."""


if TYPE_CHECKING:
    from numpy import floating
    from numpy.typing import NDArray

    _Float = TypeVar("_Float", bound=floating[Any])
    HiddenState = NDArray[_Float]
else:
    # As in distilabel 1.5: ``Any`` at run time, so annotations with it evaluate
    # without importing numpy.
    HiddenState = Any
"""The last hidden state of a model for one input: a numpy array of shape (tokens, width)."""

__all__ = [
    "ChatItem",
    "ChatType",
    "FormattedInput",
    "GenerateOutput",
    "HiddenState",
    "ImageContent",
    "ImageUrl",
    "InstructorStructuredOutputType",
    "LLMLogprobs",
    "LLMOutput",
    "LLMStatistics",
    "Logprob",
    "OutlinesStructuredOutputType",
    "StandardInput",
    "StructuredInput",
    "StructuredOutputType",
    "TextContent",
    "TokenCount",
]
