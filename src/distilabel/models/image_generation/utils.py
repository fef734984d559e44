"""Images as base64 strings and back: the form images take in rows and outputs.

Rows hold images as base64 text (it goes into JSON lines, Arrow tables and
datasets as is); these helpers turn that text into ``PIL.Image.Image`` objects
and back, and name an image's media type from its first bytes. Pillow is needed
(``pip install 'distilabel[vision]'``) only by the functions that make or read
``PIL`` images.
"""

import base64
import binascii
import io
from types import ModuleType
from typing import TYPE_CHECKING, Any, Optional

from distilabel.errors import DistilabelUserError
from distilabel.utils.imports import require

if TYPE_CHECKING:
    from PIL.Image import Image

# Modes JPEG cannot store; such images are converted to RGB before saving as JPEG.
_NOT_JPEG_MODES = frozenset({"RGBA", "LA", "P", "PA", "I", "I;16", "F", "CMYK;I"})
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
)


def _pil() -> ModuleType:
    return require("PIL.Image", "vision", "Working with images")


def image_to_str(image: "Image", image_format: str = "JPEG") -> str:
    """Encode a ``PIL`` image as base64 text, in ``image_format`` (any format Pillow writes).

    An image JPEG cannot hold as it is (transparency, a palette) is converted to RGB first.

    Args:
        image: the image.
        image_format: the file format to encode it in, e.g. ``"JPEG"`` or ``"PNG"``.

    Returns:
        The encoded image as base64 text (no ``data:`` prefix).
    """
    buffer = io.BytesIO()
    save_image(image, buffer, image_format)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def save_image(image: "Image", target: Any, image_format: str) -> None:
    """Write ``image`` to ``target`` (a path or a binary file) in ``image_format``.

    An image JPEG cannot hold as it is (transparency, a palette) is converted to RGB first.
    """
    _pil()
    if image_format.upper() in ("JPEG", "JPG") and image.mode in _NOT_JPEG_MODES:
        image = image.convert("RGB")
    image.save(target, format=image_format)


def image_from_str(image_str: str) -> "Image":
    """Decode base64 text (optionally a ``data:image/...;base64,`` URL) into a ``PIL`` image.

    Raises:
        DistilabelUserError: the text is not base64, or the bytes are no image Pillow reads.
    """
    pil = _pil()
    data = decode_base64_image(image_str)
    try:
        image = pil.open(io.BytesIO(data))  # type: ignore[attr-defined]
        image.load()
    except Exception as error:
        raise DistilabelUserError(
            f"The base64 text decodes to {len(data)} bytes that are not an image Pillow can read: {error}."
        ) from None
    return image


def decode_base64_image(image_str: str) -> bytes:
    """The bytes of an image given as base64 text or a base64 ``data:`` URL.

    Raises:
        DistilabelUserError: ``image_str`` is not text or not valid base64.
    """
    if not isinstance(image_str, str):
        raise DistilabelUserError(f"An image as base64 text was expected, got {type(image_str).__name__}.")
    text = image_str.split(",", 1)[1] if image_str.startswith("data:") else image_str
    # Some encoders wrap base64 at 76 columns.
    text = "".join(text.split())
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        preview = image_str[:40] + ("..." if len(image_str) > 40 else "")
        raise DistilabelUserError(f"This is not base64-encoded image data: {preview!r}.") from None


def media_type_of(data: bytes) -> Optional[str]:
    """The media type of an image file's bytes (PNG, JPEG, GIF, WebP, BMP), or ``None``."""
    for signature, media_type in _SIGNATURES:
        if data.startswith(signature):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def base64_data_url(image_str: str, default_media_type: str = "image/jpeg") -> str:
    """A ``data:`` URL for base64 image text, its media type read from the image's bytes.

    Providers that check the declared type against the bytes (Anthropic does) then
    accept PNG, GIF and WebP images as well as JPEG. Text already a ``data:`` URL is
    returned as it is.

    Args:
        image_str: the image as base64 text.
        default_media_type: the type declared when the bytes are not recognised.
    """
    if image_str.startswith("data:"):
        return image_str
    # The first 48 bytes (64 base64 characters) are enough to recognise the format.
    head = decode_base64_image("".join(image_str[:128].split())[:64])
    return f"data:{media_type_of(head) or default_media_type};base64,{image_str}"


__all__ = [
    "base64_data_url",
    "decode_base64_image",
    "image_from_str",
    "image_to_str",
    "media_type_of",
    "save_image",
]
