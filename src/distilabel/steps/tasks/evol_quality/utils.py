"""EvolQuality's mutations: rewrite an answer to be more helpful, relevant, deep, creative or
detailed. Written for this project from the method of Liu et al., "What Makes Good Data for
Alignment?" (2023, https://arxiv.org/abs/2312.15685); ``<PROMPT>`` and ``<RESPONSE>`` mark
where the instruction and the answer go."""

from typing import Dict

from distilabel.utils.template import package_template, render_template


def _rewrite(method: str) -> str:
    return render_template(package_template("evol_quality/rewrite.jinja2"), method=method)


MUTATION_TEMPLATES: Dict[str, str] = {
    "HELPFULNESS": _rewrite("make the answer more helpful to the user."),
    "RELEVANCE": _rewrite("make the answer more relevant to the prompt."),
    "DEEPENING": _rewrite("make the answer go deeper into the subject."),
    "CREATIVITY": _rewrite("make the answer more creative."),
    "DETAILS": _rewrite("make the answer more detailed."),
}

# The rewrite prompt ends with this header; models often repeat it before the answer.
REWRITTEN_RESPONSE_MARKER = "#Rewritten Response#:"


def parse_evolved_response(text: str) -> str:
    """The rewritten answer: the output without a repeated header, trimmed."""
    return text.split(REWRITTEN_RESPONSE_MARKER)[-1].strip()


__all__ = ["MUTATION_TEMPLATES", "parse_evolved_response"]
