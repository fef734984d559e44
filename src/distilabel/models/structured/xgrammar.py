"""Structured output for engines without their own constrained decoding (Transformers).

xgrammar computes the allowed-token mask for each step from the same grammars the
llama.cpp engine uses: the budget-capped GBNF of a regex, and the (capped) JSON
schema. ``docs/structured_output.md`` says why xgrammar (measured against
llguidance and outlines-core).
"""

import json
import threading
from typing import Any, Dict, Optional, Tuple

from distilabel.errors import DistilabelUserError
from distilabel.models.structured.budget import cap_json_schema
from distilabel.models.structured.gbnf import regex_to_gbnf
from distilabel.models.structured.spec import JsonSchemaOutput, RegexOutput, StructuredOutput
from distilabel.utils.imports import require


class XGrammarCompiler:
    """Compiles structured outputs for one tokenizer, caching each compiled grammar.

    Args:
        tokenizer: a Hugging Face tokenizer.
        vocab_size: the model's vocabulary size (the logits width), which may exceed
            the tokenizer's.
        user: the component that needs xgrammar, named in the install hint.
    """

    def __init__(self, tokenizer: Any, vocab_size: Optional[int] = None, user: str = "TransformersLLM") -> None:
        self._xgr = require("xgrammar", "hf-transformers", user)
        info = self._xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=vocab_size or len(tokenizer))
        self._compiler = self._xgr.GrammarCompiler(info)
        self._cache: Dict[Tuple[str, str, Optional[int]], Any] = {}
        self._lock = threading.Lock()

    def compile(self, structured: StructuredOutput, max_new_tokens: Optional[int] = None) -> Any:
        """The ``xgrammar.CompiledGrammar`` for ``structured``, sized to ``max_new_tokens``."""
        if isinstance(structured, RegexOutput):
            key = ("regex", structured.pattern, max_new_tokens)
        elif isinstance(structured, JsonSchemaOutput):
            key = ("json", json.dumps(structured.schema), max_new_tokens)
        else:
            raise DistilabelUserError(f"Unsupported structured output {structured!r}.")
        with self._lock:
            compiled = self._cache.get(key)
            if compiled is None:
                compiled = self._cache[key] = self._compile(key)
        return compiled

    def _compile(self, key: Tuple[str, str, Optional[int]]) -> Any:
        kind, text, budget = key
        try:
            if kind == "regex":
                return self._compiler.compile_grammar(regex_to_gbnf(text, budget))
            schema = cap_json_schema(json.loads(text), budget)
            return self._compiler.compile_json_schema(json.dumps(schema), any_whitespace=False)
        except DistilabelUserError:
            raise
        except Exception as error:
            raise DistilabelUserError(f"xgrammar cannot compile the structured output: {error}") from error

    def logits_processor(self, grammars: Any) -> Any:
        """A transformers logits processor enforcing one compiled grammar per batch row (or one for all)."""
        from xgrammar.contrib.hf import LogitsProcessor

        return LogitsProcessor(grammars)
