"""Images as text (distilabel 1.5's ``distilabel.utils.image``)."""

import base64
import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image


def image_to_str(image: "Image.Image", image_format: str = "JPEG") -> str:
    """``image`` encoded in ``image_format`` as base64 text (what vision LLMs and ``ImageGeneration`` exchange)."""
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    return base64.b64encode(buffer.getvalue()).decode("utf-8")


__all__ = ["image_to_str"]
