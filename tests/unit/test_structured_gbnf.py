"""Regex -> GBNF: every grammar string matches the regex; caps keep answers inside the budget."""

import re

import pytest

from distilabel.errors import DistilabelUserError
from distilabel.models.structured.budget import cap_json_schema
from distilabel.models.structured.gbnf import regex_to_gbnf

SEED_PATTERN = r"<name>(.*?)</name>.*?<grade>(.*?)</grade>"


def test_lazy_group_stops_at_the_first_closing_literal() -> None:
    grammar = regex_to_gbnf(SEED_PATTERN)
    assert grammar.startswith('root ::= "\\x3Cname\\x3E"')
    # The text of <name> is an automaton that cannot contain "</name>".
    assert "lazy0-6 ::= [^\\x3C\\x3E] lazy0-0 | \"\\x3C\" lazy0-1 | \"\"" in grammar


def test_caps_fit_the_budget() -> None:
    grammar = regex_to_gbnf(SEED_PATTERN, 200)
    caps = [int(n) for n in re.findall(r"\{0,(\d+)\}", grammar)]
    literal = len("<name></name><grade></grade>")
    assert caps and literal + sum(caps) <= 200


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"^\d{3}-[A-Z]+(foo|bar)?$", 'root ::= [0-9]{3} "\\x2D" [A-Z]+ ( ( "foo" | "bar" ) )?'),
        (r"(?i)yes|no", "root ::= ( [Yy] [Ee] [Ss] | [Nn] [Oo] )"),
        (r"a.+?bb", 'root ::= "a" ( [^b] lazy0-0 | "b" lazy0-1 ) "bb"'),
    ],
)
def test_translations(pattern: str, expected: str) -> None:
    assert regex_to_gbnf(pattern).splitlines()[0] == expected


def test_regex_that_does_not_compile() -> None:
    with pytest.raises(DistilabelUserError, match="does not compile"):
        regex_to_gbnf(r"(unclosed")


@pytest.mark.parametrize("pattern", [r"(a)\1", r"foo(?=bar)", r"a\bb"])
def test_constructs_no_grammar_can_express(pattern: str) -> None:
    with pytest.raises(DistilabelUserError, match="does not support"):
        regex_to_gbnf(pattern)


def test_json_caps_only_when_they_leave_room() -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "id": {"type": "integer"}}}
    assert cap_json_schema(schema, 20) is schema  # too small a budget: left unbounded
    capped = cap_json_schema(schema, 200)
    assert capped["properties"]["name"]["maxLength"] > 100
    assert "maxLength" not in schema["properties"]["name"]


def test_tight_json_budget_bounds_integers_too() -> None:
    from distilabel.models.structured.budget import TIGHT_INTEGER_MAXIMUM, integers_all_tight

    user = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "last_name": {"type": "string"}, "id": {"type": "integer"}},
        "required": ["name", "last_name", "id"],
    }
    capped = cap_json_schema(user, 50)
    assert capped["properties"]["name"]["maxLength"] >= 8
    assert capped["properties"]["id"]["maximum"] == TIGHT_INTEGER_MAXIMUM
    assert integers_all_tight(capped)
    # With room to spare the integers keep their range.
    assert "maximum" not in cap_json_schema(user, 200)["properties"]["id"]


def test_llamacpp_grammar_bounds_digits_when_tight() -> None:
    pytest.importorskip("llama_cpp")
    from distilabel.models.structured.llamacpp import structured_output_gbnf
    from distilabel.models.structured.spec import normalize_structured_output

    spec = normalize_structured_output(
        {"schema": {"type": "object", "properties": {"a": {"type": "string"}, "n": {"type": "integer"}}}}
    )
    tight = structured_output_gbnf(spec, 30)
    roomy = structured_output_gbnf(spec, 500)
    [tight_rule] = [line for line in tight.splitlines() if line.startswith("integral-part")]
    [roomy_rule] = [line for line in roomy.splitlines() if line.startswith("integral-part")]
    assert tight_rule.count("[0-9]") == 6  # at most six digits
    assert roomy_rule.count("[0-9]") > 6
