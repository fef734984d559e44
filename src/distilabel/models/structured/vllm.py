"""Structured output for vLLM, in-process and behind its OpenAI-compatible server.

vLLM has its own constrained decoding; it gets the same grammars as the other local
engines: the (budget-capped) JSON schema, and the budget-capped GBNF of a regex.
"""

import json
from typing import Any, Dict, Optional

from distilabel.models.structured.budget import cap_json_schema
from distilabel.models.structured.gbnf import regex_to_gbnf
from distilabel.models.structured.spec import JsonSchemaOutput, RegexOutput, StructuredOutput


def vllm_structured_fields(structured: Optional[StructuredOutput], max_new_tokens: Optional[int]) -> Dict[str, Any]:
    """``{"json": schema}`` or ``{"grammar": gbnf}``: the fields of vLLM's structured output params."""
    if isinstance(structured, JsonSchemaOutput):
        return {"json": cap_json_schema(json.loads(json.dumps(structured.schema)), max_new_tokens)}
    if isinstance(structured, RegexOutput):
        return {"grammar": regex_to_gbnf(structured.pattern, max_new_tokens)}
    return {}


def vllm_sampling_structured(vllm: Any, structured: Optional[StructuredOutput], max_new_tokens: int) -> Dict[str, Any]:
    """Keyword arguments for ``vllm.SamplingParams`` enforcing ``structured`` (any vLLM version)."""
    fields = vllm_structured_fields(structured, max_new_tokens)
    if not fields:
        return {}
    params = getattr(vllm.sampling_params, "StructuredOutputsParams", None)
    if params is not None:  # vLLM >= 0.10.2
        return {"structured_outputs": params(**fields)}
    return {"guided_decoding": vllm.sampling_params.GuidedDecodingParams(**fields)}


def openai_server_structured_body(structured: Optional[StructuredOutput], max_new_tokens: int) -> Dict[str, Any]:
    """Extra request body for an OpenAI-compatible vLLM (or llama.cpp) server.

    vLLM reads ``structured_outputs`` (>= 0.10.2) or the older ``guided_json`` /
    ``guided_grammar``; llama.cpp's server reads ``grammar`` (GBNF), so a regex is
    enforced there too.
    """
    fields = vllm_structured_fields(structured, max_new_tokens)
    if "json" in fields:
        return {"structured_outputs": fields, "guided_json": fields["json"]}
    if "grammar" in fields:
        return {"structured_outputs": fields, "guided_grammar": fields["grammar"], "grammar": fields["grammar"]}
    return {}
