"""Deterministic images for the loopback servers' image routes, without Pillow.

`prompt_png(prompt, width, height)` is a valid PNG of a solid colour derived from
the prompt (`prompt_color`), so a test can tell which prompt an image answers by
reading one pixel. `index` shifts the colour, so the `n` images of one request
differ.
"""

from __future__ import annotations

import hashlib
import struct
import zlib

MAX_SIDE = 4096


def prompt_color(prompt: str, index: int = 0) -> tuple[int, int, int]:
    """The RGB colour the servers paint for `prompt` (image `index` of a request)."""
    digest = hashlib.sha256(f"{prompt}\x00{index}".encode()).digest()
    return digest[0], digest[1], digest[2]


def solid_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A `width` x `height` 8-bit RGB PNG filled with `rgb`."""
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        raise ValueError(f"image size must be within 1..{MAX_SIDE} pixels a side, got {width}x{height}")
    row = b"\x00" + bytes(rgb) * width  # filter type 0, then the pixels
    raw = row * height
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 6)) + _chunk(b"IEND", b"")


def prompt_png(prompt: str, width: int, height: int, index: int = 0) -> bytes:
    """The PNG the servers answer for `prompt`."""
    return solid_png(width, height, prompt_color(prompt, index))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
