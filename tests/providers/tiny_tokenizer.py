"""A tiny Hugging Face tokenizer with a chat template, built on disk (no download).

Providers with a `tokenizer_id` format conversations with the tokenizer's chat
template; tests point `tokenizer_id` at the directory this writes.
"""

from __future__ import annotations

from pathlib import Path

CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def make_tiny_tokenizer(directory: Path) -> str:
    """Write a whitespace word-level tokenizer with `CHAT_TEMPLATE` to `directory`."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"[UNK]": 0, "<|user|>": 1, "<|system|>": 2, "<|assistant|>": 3}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, unk_token="[UNK]")
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(str(directory))
    return str(directory)
