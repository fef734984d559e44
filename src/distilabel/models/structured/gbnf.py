"""Turn a regex into a GBNF grammar (the grammar language of llama.cpp, also read by xgrammar).

The translation walks Python's own parse of the pattern, so it accepts exactly the
syntax ``re`` accepts, and every string the grammar allows fully matches the regex.

One deliberate narrowing: a lazy repeat followed by a literal (``(.*?)</name>``)
becomes "characters that do not contain ``</name>``, then ``</name>``". That is what
the lazy match captures anyway, and it lets the model finish: after the closing
literal the grammar is complete, instead of allowing the text to run on until the
token budget is spent (which leaves an output that no longer matches).

Character classes ``\\d``, ``\\w`` and ``\\s`` are read as their ASCII sets.
"""

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Dict, List, Optional, Sequence, Tuple

from distilabel.errors import DistilabelUserError

try:  # Python >= 3.11
    from re import _constants as sre_constants  # type: ignore[attr-defined]
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

_MAX_CHAR = 0x10FFFF
Ranges = Tuple[Tuple[int, int], ...]

_CATEGORIES: Dict[Any, Tuple[Ranges, bool]] = {
    sre_constants.CATEGORY_DIGIT: (((48, 57),), False),
    sre_constants.CATEGORY_NOT_DIGIT: (((48, 57),), True),
    sre_constants.CATEGORY_WORD: (((48, 57), (65, 90), (95, 95), (97, 122)), False),
    sre_constants.CATEGORY_NOT_WORD: (((48, 57), (65, 90), (95, 95), (97, 122)), True),
    sre_constants.CATEGORY_SPACE: (((9, 13), (32, 32)), False),
    sre_constants.CATEGORY_NOT_SPACE: (((9, 13), (32, 32)), True),
}


def _normalize(ranges: Sequence[Tuple[int, int]]) -> Ranges:
    merged: List[List[int]] = []
    for lo, hi in sorted(ranges):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return tuple((lo, hi) for lo, hi in merged)


def _complement(ranges: Ranges) -> Ranges:
    result, start = [], 0
    for lo, hi in ranges:
        if lo > start:
            result.append((start, lo - 1))
        start = hi + 1
    if start <= _MAX_CHAR:
        result.append((start, _MAX_CHAR))
    return tuple(result)


def _subtract(ranges: Ranges, chars: Sequence[int]) -> Ranges:
    removed = _normalize([(c, c) for c in chars])
    return _intersect(ranges, _complement(removed))


def _intersect(a: Ranges, b: Ranges) -> Ranges:
    result = []
    for lo1, hi1 in a:
        for lo2, hi2 in b:
            lo, hi = max(lo1, lo2), min(hi1, hi2)
            if lo <= hi:
                result.append((lo, hi))
    return _normalize(result)


def _contains(ranges: Ranges, char: int) -> bool:
    return any(lo <= char <= hi for lo, hi in ranges)


def _escape_char(code: int) -> str:
    char = chr(code)
    if char.isascii() and char.isalnum():
        return char
    if code < 0x100:
        return f"\\x{code:02X}"
    if code < 0x10000:
        return f"\\u{code:04X}"
    return f"\\U{code:08X}"


def _literal(text: str) -> str:
    return '"' + "".join(_escape_char(ord(c)) for c in text) + '"'


def _char_class(ranges: Ranges) -> str:
    if not ranges:
        raise DistilabelUserError("The regex has a character class that matches nothing.")
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return _literal(chr(ranges[0][0]))
    # A class covering most of Unicode reads better (and parses faster) negated.
    negated = _complement(ranges)
    if not negated:
        return "[\\U00000000-\\U0010FFFF]"
    if ranges[0][0] == 0 and ranges[-1][1] == _MAX_CHAR and len(negated) < len(ranges) + 1:
        body, prefix = negated, "^"
    else:
        body, prefix = ranges, ""
    parts = [_escape_char(lo) if lo == hi else f"{_escape_char(lo)}-{_escape_char(hi)}" for lo, hi in body]
    return f"[{prefix}{''.join(parts)}]"


@dataclass
class _Converter:
    pattern: str
    ignore_case: bool = False
    cap: Optional[int] = None  # the most repetitions an unbounded repeat may make
    rules: Dict[str, str] = field(default_factory=dict)

    # --- character sets ---------------------------------------------------------------

    def char_ranges(self, op: Any, arg: Any) -> Optional[Ranges]:
        """The characters one single-character node matches, or ``None`` if it is not one."""
        if op is sre_constants.LITERAL:
            return self.case_ranges(((arg, arg),))
        if op is sre_constants.NOT_LITERAL:
            return _complement(self.case_ranges(((arg, arg),)))
        if op is sre_constants.ANY:
            return ((0, _MAX_CHAR),)  # the pattern is checked with re.DOTALL
        if op is sre_constants.IN:
            return self.in_ranges(arg)
        return None

    def case_ranges(self, ranges: Ranges) -> Ranges:
        if not self.ignore_case:
            return _normalize(ranges)
        extra = []
        for lo, hi in ranges:
            for code in range(lo, min(hi, lo + 512) + 1):
                for variant in {chr(code).lower(), chr(code).upper()}:
                    if len(variant) == 1:
                        extra.append((ord(variant), ord(variant)))
        return _normalize([*ranges, *extra])

    def in_ranges(self, items: Sequence[Tuple[Any, Any]]) -> Ranges:
        negate = False
        collected: List[Tuple[int, int]] = []
        for op, arg in items:
            if op is sre_constants.NEGATE:
                negate = True
            elif op is sre_constants.LITERAL:
                collected.append((arg, arg))
            elif op is sre_constants.RANGE:
                collected.append(arg)
            elif op is sre_constants.CATEGORY:
                ranges, negated = _CATEGORIES.get(arg, ((), False))
                if not ranges:
                    raise self.unsupported(f"character category {arg}")
                collected.extend(_complement(ranges) if negated else ranges)
            else:
                raise self.unsupported(str(op))
        ranges = self.case_ranges(tuple(collected))
        return _complement(ranges) if negate else ranges

    # --- sequences ----------------------------------------------------------------------

    def unsupported(self, what: str) -> DistilabelUserError:
        return DistilabelUserError(
            f"The regex {self.pattern!r} uses {what}, which constrained generation does not support"
            " (back-references, look-arounds and anchors inside the pattern cannot become a grammar)."
        )

    def sequence(self, items: Sequence[Tuple[Any, Any]], after: str = "", at_edges: bool = False) -> str:
        """GBNF for a sequence of nodes; ``after`` is the literal text known to follow it."""
        items = list(items)
        if at_edges:
            while items and items[0][0] is sre_constants.AT:
                items.pop(0)
            while items and items[-1][0] is sre_constants.AT:
                items.pop()
        parts: List[str] = []
        text = ""  # consecutive literal characters, emitted as one string
        for i, (op, arg) in enumerate(items):
            if op is sre_constants.LITERAL and not self.ignore_case:
                text += chr(arg)
                continue
            if text:
                parts.append(_literal(text))
                text = ""
            rest = items[i + 1 :]
            following = self.literal_prefix(rest) if rest else after
            if op is sre_constants.MIN_REPEAT and following:
                lazy = self.lazy_until(arg, following)
                if lazy is not None:
                    parts.append(lazy)
                    continue
            parts.append(self.node(op, arg, following))
        if text:
            parts.append(_literal(text))
        return " ".join(parts) if parts else '""'

    def literal_prefix(self, items: Sequence[Tuple[Any, Any]]) -> str:
        """The literal text every match of ``items`` starts with (looking into groups)."""
        text = ""
        for op, arg in items:
            if op is sre_constants.LITERAL and not self.ignore_case:
                text += chr(arg)
            elif op is sre_constants.SUBPATTERN and not text:
                return self.literal_prefix(arg[-1])
            else:
                break
        return text

    def lazy_until(self, arg: Any, stop: str) -> Optional[str]:
        """``X*?`` followed by ``stop``: X characters up to (not including) the first ``stop``."""
        low, _high, body = arg
        if low > 1 or _high != sre_constants.MAXREPEAT or len(body) != 1:
            return None
        chars = self.char_ranges(*body[0])
        if chars is None:
            return None
        if self.cap is not None:
            # Within a length cap, leaving out the stop text's first character keeps the
            # grammar small (no automaton state per repetition) and still stops there.
            return _char_class(_subtract(chars, [ord(stop[0])])) + _quantifier(low, max(low, self.cap))
        return self.not_containing(chars, stop, at_least_one=low == 1)

    def not_containing(self, chars: Ranges, stop: str, at_least_one: bool) -> str:
        # A KMP automaton over `stop`: state k means the text ends with stop[:k].
        codes = [ord(c) for c in stop]
        special = sorted(set(codes))
        failure = [0] * len(codes)
        for k in range(1, len(codes)):
            j = failure[k - 1]
            while j and codes[k] != codes[j]:
                j = failure[j - 1]
            failure[k] = j + 1 if codes[k] == codes[j] else 0

        def step(state: int, code: int) -> int:
            while state and codes[state] != code:
                state = failure[state - 1]
            return state + 1 if codes[state] == code else 0

        base = f"lazy{len(self.rules)}-"
        names = [f"{base}{k}" for k in range(len(codes))]
        others = _subtract(chars, special)
        for k, name in enumerate(names):
            # Group the allowed characters by the state they lead to: one alternative each.
            targets: Dict[int, List[Tuple[int, int]]] = {0: list(others)} if others else {}
            for code in special:
                nxt = step(k, code)
                if nxt < len(codes) and _contains(chars, code):
                    targets.setdefault(nxt, []).append((code, code))
            alternatives = [f"{_char_class(_normalize(r))} {names[t]}" for t, r in sorted(targets.items())]
            self.rules[name] = " | ".join([*alternatives, '""'])
        if not at_least_one:
            return names[0]
        # The same choices as state 0, minus stopping at once.
        first = self.rules[names[0]].rsplit(" | ", 1)[0]
        return f"( {first} )"

    def node(self, op: Any, arg: Any, after: str = "") -> str:
        chars = self.char_ranges(op, arg)
        if chars is not None:
            return _char_class(chars)
        if op is sre_constants.SUBPATTERN:
            _group, add_flags, del_flags, items = arg
            saved = self.ignore_case
            if add_flags & sre_constants.SRE_FLAG_IGNORECASE:
                self.ignore_case = True
            if del_flags & sre_constants.SRE_FLAG_IGNORECASE:
                self.ignore_case = False
            try:
                return f"( {self.sequence(items, after)} )"
            finally:
                self.ignore_case = saved
        if op is sre_constants.BRANCH:
            return "( " + " | ".join(self.sequence(branch, after) for branch in arg[1]) + " )"
        if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, _POSSESSIVE_REPEAT):
            low, high, items = arg
            inner = self.sequence(items)
            inner = inner if len(items) == 1 and inner.startswith(("(", "[", '"')) else f"( {inner} )"
            if high == sre_constants.MAXREPEAT:
                high = None if self.cap is None else max(low, self.cap)
            return inner + _quantifier(low, high)
        if op is sre_constants.AT:
            raise self.unsupported(f"an anchor ({arg}) inside the pattern")
        names = {
            sre_constants.GROUPREF: "a back-reference",
            sre_constants.ASSERT: "a look-ahead/look-behind",
            sre_constants.ASSERT_NOT: "a negative look-ahead/look-behind",
            sre_constants.GROUPREF_EXISTS: "a conditional group",
        }
        raise self.unsupported(names.get(op, str(op)))

    def grammar(self, root: str) -> str:
        lines = [f"root ::= {root}"]
        lines += [f"{name} ::= {body}" for name, body in self.rules.items()]
        return "\n".join(lines) + "\n"


_POSSESSIVE_REPEAT = getattr(sre_constants, "POSSESSIVE_REPEAT", sre_constants.MAX_REPEAT)


def _quantifier(low: int, high: Optional[int]) -> str:
    if (low, high) == (0, None):
        return "*"
    if (low, high) == (1, None):
        return "+"
    if (low, high) == (0, 1):
        return "?"
    if high is None:
        return f"{{{low},}}"
    if low == high:
        return f"{{{low}}}"
    return f"{{{low},{high}}}"


def _max_length(items: Sequence[Tuple[Any, Any]], cap: int) -> int:
    """The longest match of ``items`` (in characters) when unbounded repeats stop at ``cap``."""
    total = 0
    for op, arg in items:
        if op is sre_constants.SUBPATTERN:
            total += _max_length(arg[-1], cap)
        elif op is sre_constants.BRANCH:
            total += max(_max_length(branch, cap) for branch in arg[1])
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, _POSSESSIVE_REPEAT):
            low, high, body = arg
            times = max(low, cap) if high == sre_constants.MAXREPEAT else high
            total += times * _max_length(body, cap)
        elif op is not sre_constants.AT:
            total += 1
    return total


def _repeat_cap(items: Sequence[Tuple[Any, Any]], max_chars: int) -> Optional[int]:
    """The largest repeat cap whose longest match fits in ``max_chars``, or ``None``."""
    if _max_length(items, 0) > max_chars:
        return None  # even the shortest text does not fit: leave the grammar unbounded
    low, high = 0, max_chars
    while low < high:
        middle = (low + high + 1) // 2
        if _max_length(items, middle) <= max_chars:
            low = middle
        else:
            high = middle - 1
    return low


@lru_cache(maxsize=128)
def regex_to_gbnf(pattern: str, max_chars: Optional[int] = None) -> str:
    """A GBNF grammar whose every string fully matches ``pattern`` (with ``re.DOTALL``).

    Args:
        pattern: the regex.
        max_chars: when given, unbounded repeats are capped so that no string of the
            grammar is longer than this. Pass the token budget: every token is at least
            one character, so the model can always finish the pattern in time instead of
            being cut off inside a ``.*`` with text that no longer matches.

    Raises:
        DistilabelUserError: the pattern does not compile, or uses a construct no
            grammar can express (back-references, look-arounds, inner anchors).
    """
    try:
        parsed = sre_parse.parse(pattern, re.DOTALL)
    except re.error as error:
        raise DistilabelUserError(f"The regex {pattern!r} does not compile: {error}.") from error
    items = list(parsed)
    cap = None if max_chars is None else _repeat_cap(items, max_chars)
    converter = _Converter(pattern, ignore_case=bool(parsed.state.flags & re.IGNORECASE), cap=cap)
    return converter.grammar(converter.sequence(items, at_edges=True))
