"""Chat message types, at distilabel 1.5's module path ``distilabel.typing.base``.

They are defined in ``distilabel.typing.models`` and importable from ``distilabel.typing``.
"""

from distilabel.typing.models import ChatItem, ChatType, ImageContent, ImageUrl, TextContent

__all__ = ["ChatItem", "ChatType", "ImageContent", "ImageUrl", "TextContent"]
