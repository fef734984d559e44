"""``TextGenerationWithImage``: an instruction and an image in, text out (vision models)."""

from typing import TYPE_CHECKING, Any, Dict, Literal

from pydantic import Field

from distilabel.errors import DistilabelUserError
from distilabel.steps.tasks.text_generation import TextGeneration

if TYPE_CHECKING:
    from distilabel.typing import ChatType
    from distilabel.typing.steps import StepColumns

_URL_PREFIXES = ("http://", "https://", "data:")


class TextGenerationWithImage(TextGeneration):
    """Generate text about an image with a vision LLM: the prompt and the image go in one user message.

    The prompt is built as in ``TextGeneration`` (``instruction``, or a Jinja2
    ``template`` over ``columns``); the ``image`` column is added to the message as
    an OpenAI-style ``image_url`` part, which every LLM that takes images accepts
    (OpenAI, Anthropic, Gemini/Vertex AI, Inference Endpoints, Ollama, ...).

    Attributes:
        system_prompt: a system message sent before each prompt (a ``system_prompt``
            column, when present, wins).
        template: a Jinja2 template rendering the prompt from ``columns``.
        columns: the columns the template uses. Defaults to `"instruction"`.
        image_type: what the ``image`` column holds: `"url"` (an http(s) or `data:`
            URL, sent as it is), `"base64"` (base64 image bytes; sent as a `data:` URL
            whose media type is read from the bytes) or `"PIL"` (a `PIL.Image.Image`,
            encoded as JPEG, or as PNG when it has transparency). Defaults to `"url"`.

    Input columns:
        - the ``columns`` (``instruction`` by default).
        - image (str or PIL.Image.Image): the image, as `image_type` says.

    Output columns:
        - generation (str): the generated text.
        - model_name (str): the model that generated it.

    Examples:
        ```python
        from distilabel.models.llms import OpenAILLM
        from distilabel.steps.tasks import TextGenerationWithImage

        task = TextGenerationWithImage(llm=OpenAILLM(model="gpt-4o-mini"), image_type="url")
        task.load()
        rows = next(task.process([{"instruction": "What is in this image?", "image": "https://example.com/cat.jpg"}]))
        ```
    """

    image_type: Literal["url", "base64", "PIL"] = Field(
        default="url", description="What the image column holds: 'url', 'base64' or 'PIL'."
    )

    @property
    def inputs(self) -> "StepColumns":
        columns = dict(super().inputs)  # type: ignore[arg-type]
        columns["image"] = True
        return columns

    def format_input(self, input: Dict[str, Any]) -> "ChatType":
        """The conversation for one row: the rendered prompt and the image in the last user message."""
        messages = super().format_input(input)
        url = self._image_url(input.get("image"))
        text = messages[-1]["content"]
        messages[-1] = {
            "role": "user",
            "content": [{"type": "text", "text": text}, {"type": "image_url", "image_url": {"url": url}}],
        }
        return messages

    def _image_url(self, image: Any) -> str:
        if image is None:
            raise DistilabelUserError("Column 'image' is None (a missing value): there is no image to send.")
        if self.image_type == "PIL":
            return _pil_data_url(image)
        if not isinstance(image, str):
            hint = " Set image_type='PIL' for PIL images." if hasattr(image, "save") else ""
            raise DistilabelUserError(
                f"Column 'image' must hold text for image_type={self.image_type!r}, got {type(image).__name__}.{hint}"
            )
        if self.image_type == "base64":
            from distilabel.models.image_generation.utils import base64_data_url

            return base64_data_url(image)
        if not image.startswith(_URL_PREFIXES):
            raise DistilabelUserError(
                f"Column 'image' holds {image[:60]!r}, which is not an http(s) or data: URL; set"
                " image_type='base64' if it is base64 image data."
            )
        return image


def _pil_data_url(image: Any) -> str:
    from distilabel.models.image_generation.utils import image_to_str
    from distilabel.utils.imports import require

    pil = require("PIL.Image", "vision", "TextGenerationWithImage")
    if not isinstance(image, pil.Image):  # type: ignore[attr-defined]
        raise DistilabelUserError(
            f"Column 'image' must hold a PIL.Image.Image for image_type='PIL', got {type(image).__name__}."
        )
    # JPEG keeps the message small; an image with transparency goes as PNG, which keeps it.
    if "A" in image.getbands() or image.mode == "P":
        return f"data:image/png;base64,{image_to_str(image, 'PNG')}"
    return f"data:image/jpeg;base64,{image_to_str(image, 'JPEG')}"


__all__ = ["TextGenerationWithImage"]
